"""What the customer is told about email: the bot's confirmation, and the offline-reply email."""

from __future__ import annotations

from dataclasses import dataclass

from helpline.rules.model import Config


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str  # plain text


def text(key: str, language: str | None, config: Config | None = None, **values: str) -> str:
    """The author's text when config.yaml has one, else the built-in one, filled in."""
    return (config or Config()).text(key, language, **values)


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
