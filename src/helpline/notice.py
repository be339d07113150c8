"""What the customer is told about email: the bot's confirmation, and the offline-reply email."""

from __future__ import annotations

from dataclasses import dataclass

from helpline.rules.model import Config

# Built-in wording, used when config.yaml's `texts:` has no entry of that name (authors may
# override any of them there, per language, with the same {placeholders}).
DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "email_saved": {
        "en": "Thanks! We'll email you at {email} when a person replies.",
        "ko": "감사합니다! 상담원이 답변하면 {email}(으)로 이메일을 보내 드릴게요.",
    },
    "reply_email_subject": {
        "en": "{agent} replied to your support request",
        "ko": "{agent} 상담원이 문의에 답변했어요",
    },
    "reply_email_greeting": {"en": "Hello,", "ko": "안녕하세요."},
    "reply_email_greeting_named": {"en": "Hello {name},", "ko": "{name}님, 안녕하세요."},
    "reply_email_body": {
        "en": (
            "{greeting}\n\n{agent} replied to your message:\n\n{reply}\n\n"
            "This reply is also in the chat on our site: open the chat to read it there "
            "or to answer.\n"
        ),
        "ko": (
            "{greeting}\n\n{agent} 상담원의 답변입니다.\n\n{reply}\n\n"
            "이 답변은 사이트의 채팅 창에도 있어요. 채팅 창을 열어 확인하시거나 "
            "이어서 답장하실 수 있어요.\n"
        ),
    },
}
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str  # plain text


def text(key: str, language: str | None, config: Config | None = None, **values: str) -> str:
    """The author's text when config.yaml has one, else the built-in one, filled in."""
    lang = language or (config.default_language if config else FALLBACK_LANGUAGE)
    authored = config.texts.get(key, {}) if config else {}
    builtin = DEFAULT_TEXTS[key]
    template = (
        authored.get(lang)
        or builtin.get(lang)
        or (authored.get(config.default_language) if config else None)
        or builtin[FALLBACK_LANGUAGE]
    )
    return template.format(**values)


def offline_reply(
    agent_name: str,
    reply: str,
    language: str | None,
    customer_name: str | None = None,
    config: Config | None = None,
) -> Notice:
    """The email that carries an agent's reply to a customer who has left the chat."""
    agent = _one_line(agent_name) or "Support"
    name = _one_line(customer_name or "")
    if name:
        greeting = text("reply_email_greeting_named", language, config, name=name)
    else:
        greeting = text("reply_email_greeting", language, config)
    quoted = "\n".join(f"> {line}" if line else ">" for line in reply.strip().splitlines())
    subject = text("reply_email_subject", language, config, agent=agent)
    body = text("reply_email_body", language, config, agent=agent, greeting=greeting, reply=quoted)
    return Notice(_one_line(subject), body)


def _one_line(value: str) -> str:
    """Blanks and line breaks folded: a subject or a name must not start a new mail header."""
    return " ".join(value.split())
