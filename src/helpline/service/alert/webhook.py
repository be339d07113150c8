"""What the alert webhook posts: Slack's `text` (in the desk's languages) and the alert's
fields for any other receiver."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpline.rules.model import Config
from helpline.service.alert import frames
from helpline.spike import FALLBACK
from helpline.store.alerts import Alert

TEXTS = {
    "raised": {
        "en": "Spike: {what} {count} in the last {minutes} min, usually {expected} (since {since})",
        "ko": "급증: {what} 최근 {minutes}분 동안 {count}건, 평소 {expected}건 ({since}부터)",
    },
    "cleared": {
        "en": "Back to usual: {what} (spike since {since})",
        "ko": "평소 수준으로 돌아옴: {what} ({since}부터 급증)",
    },
}
FALLBACK_NAME = {"en": "messages the bot could not answer", "ko": "챗봇이 답하지 못한 메시지"}


def payload(alert: Alert, config: Config) -> dict[str, Any]:
    """The JSON body for one raised or cleared alert."""
    event = "cleared" if alert.cleared_at is not None else "raised"
    lines = [
        _line(event, alert, config, lang) for lang in config.languages if lang in FALLBACK_NAME
    ]
    return {
        "text": "\n".join(lines) or _line(event, alert, config, "en"),
        "event": frames.CLEARED if event == "cleared" else frames.RAISED,
        "alert": frames.alert_view(alert),
    }


def _line(event: str, alert: Alert, config: Config, lang: str) -> str:
    zone = ZoneInfo(config.business_hours.desk.timezone)
    since = datetime.fromtimestamp(alert.since, zone).strftime("%H:%M %Z")
    what = FALLBACK_NAME[lang] if alert.key == FALLBACK else f"`{alert.key}`"
    minutes = round((alert.raised_at - alert.since) / 60)
    return TEXTS[event][lang].format(
        what=what, count=alert.count, expected=f"{alert.expected:.2g}", since=since,
        minutes=minutes,
    )  # fmt: skip
