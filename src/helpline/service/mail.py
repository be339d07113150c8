"""The mailer: emails kept in the store's outbox, sent over SMTP by one background task."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate

from helpline.address import normalise_address
from helpline.errors import MailError, StoreError
from helpline.rules.model import Config
from helpline.service import notice
from helpline.settings import OutboxPolicy, Smtp
from helpline.store.base import Conversation
from helpline.store.customers import customer_store
from helpline.store.outbox import OutboxEmail, OutboxStore, outbox_store

log = logging.getLogger(__name__)


def _send_errors() -> tuple[type[BaseException], ...]:
    """What a failed attempt can raise: the server's refusals, a dropped or refused
    connection, a timeout. Anything else is a bug and is left to propagate (and be logged)
    as such. aiosmtplib is imported at the first email, not at every start (0.03-0.06 s),
    and most nodes never send one."""
    import aiosmtplib

    return (aiosmtplib.SMTPException, OSError, TimeoutError)


class Mailer:
    """`enqueue` stores an email and wakes the sender; `run` sends what is due until cancelled.

    Without SMTP settings nothing is sent: emails wait in the outbox (kept across restarts)
    until a node with SMTP settings starts.
    """

    def __init__(
        self,
        store: object,
        smtp: Smtp | None,
        clock: Callable[[], float],
        policy: OutboxPolicy | None = None,
    ) -> None:
        self.store: OutboxStore = outbox_store(store)
        self.smtp = smtp
        self.clock = clock
        self.policy = policy or OutboxPolicy()
        self._wake = asyncio.Event()
        self._closed = False
        self._warned_unconfigured = False

    async def enqueue(
        self, to: str, subject: str, body: str, conversation_id: str | None = None
    ) -> OutboxEmail:
        """Store the email (durable when this returns) and have the sender try it now."""
        recipient = normalise_address(to)
        if recipient is None:
            raise MailError(f"{to[:80]!r} is not an email address we can send to")
        stored = await self.store.enqueue_email(
            recipient=recipient,
            subject=" ".join(subject.split()),  # one line: a break would start a new header
            body=body,
            conversation_id=conversation_id,
            now=self.clock(),
        )
        if self.smtp is None and not self._warned_unconfigured:
            self._warned_unconfigured = True
            log.warning("SMTP is not configured (HELPLINE_SMTP_HOST): emails stay queued")
        self._wake.set()
        return stored

    def close(self) -> None:
        """Have `run` return after the attempt in hand (queued emails stay queued).

        Cancelling the task alone is not enough: a cancel that lands just as the SMTP
        server answers can be swallowed inside the client library (asyncio.wait_for's race
        on Python 3.11), and the loop would go on.
        """
        self._closed = True
        self._wake.set()

    async def run(self) -> None:
        """Send due emails, then wait for an enqueue, the next retry or the poll interval."""
        if self.smtp is None:
            return
        while not self._closed:
            self._wake.clear()  # before looking: an enqueue from now on is not missed
            try:
                next_due = await self.send_due()
            except StoreError as exc:
                log.warning("outbox unavailable, trying again later: %s", exc)
                next_due = None
            except Exception:  # a bug: keep the sender alive for the other emails
                log.exception("unexpected failure in the mail sender")
                next_due = None
            await self._sleep_until(next_due)

    async def send_due(self) -> float | None:
        """Try each email due now once; when the next queued one is due (None: none queued)."""
        if self.smtp is None:
            return None
        for email in await self.store.due_emails(self.clock(), self.policy.batch):
            if self._closed:
                break
            await self._attempt(self.smtp, email)
        return await self.store.next_email_due_at()

    async def _sleep_until(self, due: float | None) -> None:
        delay = self.policy.poll_s if due is None else min(due - self.clock(), self.policy.poll_s)
        if delay <= 0:
            return
        # asyncio.wait, not a timeout context: it never turns the task's own cancellation
        # into a timeout
        waiter = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({waiter}, timeout=delay)
        finally:
            waiter.cancel()

    async def _attempt(self, smtp: Smtp, email: OutboxEmail) -> None:
        try:
            await _deliver(smtp, email)
        except _send_errors() as exc:
            await self._failed(email, exc)
            return
        await self.store.mark_email_sent(email.id, self.clock())
        log.info("email %d sent (attempt %d)", email.id, email.attempts + 1)

    async def _failed(self, email: OutboxEmail, exc: BaseException) -> None:
        attempt = email.attempts + 1
        reason = f"{type(exc).__name__}: {exc}"
        now = self.clock()
        if _permanent(exc) or attempt >= self.policy.max_attempts:
            await self.store.mark_email_failed(email.id, reason, None, now)
            # logged once, here; the reason stays on the outbox row
            log.error("gave up on email %d after %d attempts: %s", email.id, attempt, reason)
            return
        delay = self.policy.delay_after(attempt)
        await self.store.mark_email_failed(email.id, reason, now + delay, now)
        log.info("email %d attempt %d failed (%s); next in %.0fs", email.id, attempt, reason, delay)


async def notify_offline_reply(
    mailer: Mailer,
    conversation: Conversation,
    agent_name: str,
    text: str,
    language: str | None,
    config: Config | None = None,
) -> OutboxEmail | None:
    """Queue the email carrying an agent's reply to a customer who is not in the chat.

    None when the customer left no email. The caller decides "not in the chat".
    """
    address = await customer_store(mailer.store).customer_email(conversation.id)
    if address is None:
        return None
    lang = language or conversation.language
    composed = notice.offline_reply(agent_name, text, lang, conversation.customer_name, config)
    return await mailer.enqueue(address, composed.subject, composed.body, conversation.id)


def build_message(smtp: Smtp, email: OutboxEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = smtp.from_address
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(email.created_at, localtime=False)
    # stable per outbox row: a resend after a crash is recognisable as the same email
    domain = smtp.from_address.rpartition("@")[2]
    message["Message-ID"] = f"<helpline.{email.id}.{int(email.created_at)}@{domain}>"
    message.set_content(email.body)
    return message


async def _deliver(smtp: Smtp, email: OutboxEmail) -> None:
    import aiosmtplib

    await aiosmtplib.send(
        build_message(smtp, email),
        sender=smtp.from_address,
        recipients=[email.recipient],
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password,
        use_tls=smtp.security == "ssl",
        start_tls=smtp.security == "starttls",
        timeout=smtp.timeout_s,
    )


def _permanent(exc: BaseException) -> bool:
    """The server said this email can never be delivered (5xx on the recipient or the data).

    A 5xx on login or on our sender address is a setting to fix, so it is retried.
    """
    import aiosmtplib

    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return exc.code >= 500
    return False
