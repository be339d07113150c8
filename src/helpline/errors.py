"""Domain errors: small value objects with a one-line __str__, raised in the core."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an author's file, located to a line (0 when unknown)."""

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


class HelplineError(Exception):
    """Base of every error Helpline raises on purpose."""


class RulesError(HelplineError):
    """The rules directory has errors; carries all of them, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ConfigError(HelplineError):
    """A missing or invalid server setting, named so the operator can fix it."""

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(setting, reason)
        self.setting = setting
        self.reason = reason

    def __str__(self) -> str:
        return f"setting {self.setting!r}: {self.reason}"


class ProtocolError(HelplineError):
    """A client frame the server cannot accept; becomes an error frame, not a crash."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class StoreError(HelplineError):
    """The store could not do what was asked (e.g. the database is unreachable)."""


class MailError(HelplineError):
    """An email that cannot be queued as given (e.g. its recipient is not an address)."""


class BusOverflowError(HelplineError):
    """A bus subscriber fell too far behind; it must resubscribe and catch up from the store."""

    def __init__(self, topic: str) -> None:
        super().__init__(topic)
        self.topic = topic

    def __str__(self) -> str:
        return f"subscriber of {self.topic} fell behind"


class ActionError(HelplineError):
    """A custom action could not run; the customer gets a friendly reply instead."""

    def __init__(self, action: str, reason: str) -> None:
        super().__init__(action, reason)
        self.action = action
        self.reason = reason

    def __str__(self) -> str:
        return f"action {self.action!r}: {self.reason}"


class ActionNotFoundError(ActionError):
    """No action of that name is registered (in actions/*.py or on the action server)."""


class ActionServerError(ActionError):
    """The action server is unreachable, too slow, or answered with an error."""


class BusUnavailableError(HelplineError):
    """The shared bus (Redis) cannot be reached or refused a subscription."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"bus {self.url}: {self.reason}"


class RefusedError(HelplineError):
    """A person's request (an author's, a supervisor's, an agent's) refused as asked, with
    nothing written: `code` for the HTTP layer to map, `message` for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class InboxError(RefusedError):
    """An author's inbox action that cannot be done as asked; nothing was written.

    code: not_found (no such cluster or intent), bad_request (the action itself is wrong),
    rules_refused (the rules loader rejected the write), conflict (the file changed)."""


class IncidentError(RefusedError):
    """A supervisor's incident notice that cannot be posted or lifted as asked; nothing was
    written. code: not_found (no such intent, or no notice stands on it), bad_request."""


class ViewError(RefusedError):
    """A conversations-view request that cannot be answered as asked; nothing was read.

    code: bad_request (a filter, cursor or limit is malformed; message names it),
    forbidden (a team or conversation this agent may not read), not_found (no such
    conversation)."""


class TicketError(RefusedError):
    """A ticket change or list that cannot be done as asked; nothing was written.

    code: not_found (no such ticket or agent), bad_request (the request itself is wrong),
    forbidden (not for this role), conflict (the conversation's state stands in the way)."""


class AttributesError(HelplineError):
    """A signed identity's attributes of the wrong shape or size; `message` names what."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CustomerError(RefusedError):
    """A customers list, profile or note request that cannot be answered as asked.

    code: bad_request (a parameter or note is malformed; message names it), forbidden (a
    customer of no conversation of this agent's teams), not_found (no such customer)."""


class CannedError(RefusedError):
    """A canned answer that cannot be added, changed or deleted as asked; nothing was
    written. code: not_found, bad_request (message names the field), forbidden (not a
    supervisor), conflict (the shortcut is taken)."""


class TeamError(RefusedError):
    """A supervisor's change to the team that cannot be done as asked; nothing was written.

    code: not_found (no such agent), bad_request (a field is wrong: `field` names it),
    forbidden (not a supervisor), conflict (the email is taken, or a supervisor would lock
    or demote themselves)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(code, message)
        self.field = field


class AttachmentError(RefusedError):
    """A file that cannot be kept or read as asked; nothing was written.

    code: too_large (over attachments.max_bytes), unsupported_type (its bytes are not an
    accepted kind, or not the kind it claims), bad_request (empty, or no file in the
    request), forbidden (not this person's conversation), not_found (no such file).
    `detail`: what a client may show beside the message (max_bytes, accepted)."""

    def __init__(self, code: str, message: str, **detail: object) -> None:
        super().__init__(code, message)
        self.detail = detail
