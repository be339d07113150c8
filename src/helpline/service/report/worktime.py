"""How long something took in the desk's working time: only the seconds its team was open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpline.hours import Hours


def open_seconds(hours: Hours, start: float, end: float) -> float:
    """Seconds between two clock times (seconds since the epoch) that fall within the
    team's opening hours: a question left at 17:59 and answered at 09:01 next morning waited
    two minutes, not fifteen hours. Always-open hours count every second."""
    if end <= start:
        return 0.0
    if hours.always_open:
        return end - start
    zone = hours.zone
    first = datetime.fromtimestamp(start, UTC).astimezone(zone).date()
    last = datetime.fromtimestamp(end, UTC).astimezone(zone).date()
    total = 0.0
    day = first
    while day <= last:
        if day not in hours.holidays:
            for opens, closes in hours.weekly.get(day.weekday(), ()):
                begin = datetime.combine(day, opens, tzinfo=zone).timestamp()
                finish = datetime.combine(day, closes, tzinfo=zone).timestamp()
                total += max(0.0, min(end, finish) - max(start, begin))
        day += timedelta(days=1)
    return total
