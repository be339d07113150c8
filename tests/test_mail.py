"""The outbox and its SMTP sender against a real SMTP server (aiosmtpd) run by the test."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from backends import STORE_BACKENDS, open_backend
from helpline.address import normalise_address
from helpline.errors import ConfigError, MailError
from helpline.service.mail import Mailer, notify_offline_reply
from helpline.settings import OutboxPolicy, Settings, Smtp, from_environment
from helpline.store import SQLiteStore
from helpline.web.keys import MAILER

WAIT_S = 5.0
SENDER = "help@streamflix.example"
# retries within milliseconds, and no polling: only an enqueue or a due retry wakes the sender
FAST = OutboxPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05, poll_s=3600.0)


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Inbox:
    """The SMTP server's handler: refuses the first `refuse` emails with `refusal`, keeps
    the rest. Runs on the server's own thread; hands what it keeps to the test's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, port: int) -> None:
        self.loop = loop
        self.port = port
        self.refuse = 0
        self.refusal = "451 4.3.0 mailbox busy, try again later"
        self.refuse_rcpt: str | None = None  # e.g. "550 5.1.1 no such user"
        self.attempts = 0
        self.kept: asyncio.Queue[tuple[list[str], EmailMessage]] = asyncio.Queue()

    @property
    def smtp(self) -> Smtp:
        return Smtp(host="127.0.0.1", port=self.port, from_address=SENDER, security="none")

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.refuse:
            self.refuse -= 1
            return self.refusal
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.loop.call_soon_threadsafe(self.kept.put_nowait, (list(envelope.rcpt_tos), parsed))
        return "250 OK"

    async def next(self) -> tuple[list[str], EmailMessage]:
        return await asyncio.wait_for(self.kept.get(), WAIT_S)


@contextlib.contextmanager
def reserved_port() -> Iterator[socket.socket]:
    """A loopback port bound but not listening: connecting to it is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock
    finally:
        sock.close()


@contextlib.asynccontextmanager
async def smtp_server(inbox: Inbox) -> AsyncIterator[Inbox]:
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    await asyncio.to_thread(controller.start)
    try:
        yield inbox
    finally:
        await asyncio.to_thread(controller.stop)


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    # the outbox contract runs on every backend
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
async def inbox() -> AsyncIterator[Inbox]:
    with reserved_port() as sock:
        port = sock.getsockname()[1]
    async with smtp_server(Inbox(asyncio.get_running_loop(), port)) as running:
        yield running


@contextlib.asynccontextmanager
async def sending(mailer: Mailer) -> AsyncIterator[Mailer]:
    task = asyncio.create_task(mailer.run())
    try:
        yield mailer
    finally:
        mailer.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_queued_email_is_delivered_at_once_with_its_recipient_subject_and_body(
    store: SQLiteStore, inbox: Inbox
) -> None:
    mailer = Mailer(store, inbox.smtp, FakeClock(), FAST)
    async with sending(mailer):
        await mailer.enqueue("Mina@Example.COM", "Your refund", "It is on its way.\nThanks!")
        recipients, message = await inbox.next()
    assert recipients == ["Mina@example.com"]
    assert (message["From"], message["To"]) == (SENDER, "Mina@example.com")
    assert message["Subject"] == "Your refund"
    assert message.get_content().splitlines() == ["It is on its way.", "Thanks!"]


async def test_email_refused_at_first_is_retried_until_delivered(
    store: SQLiteStore, inbox: Inbox
) -> None:
    inbox.refuse = 2
    mailer = Mailer(store, inbox.smtp, asyncio.get_running_loop().time, FAST)
    async with sending(mailer):
        await mailer.enqueue("mina@example.com", "Your refund", "On its way.")
        recipients, _ = await inbox.next()
    assert recipients == ["mina@example.com"]
    assert inbox.attempts == 3


async def test_sent_email_is_marked_sent_with_its_attempts(
    store: SQLiteStore, inbox: Inbox
) -> None:
    clock = FakeClock()
    mailer = Mailer(store, inbox.smtp, clock, FAST)
    queued = await mailer.enqueue("mina@example.com", "Hello", "Body")
    assert await mailer.send_due() is None  # nothing left queued
    sent = await store.outbox_email(queued.id)
    assert sent is not None
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == (
        "sent",
        1,
        clock.now,
        None,
    )


async def test_failed_attempt_waits_a_doubling_delay_before_the_next(
    store: SQLiteStore, inbox: Inbox
) -> None:
    inbox.refuse = 10
    clock = FakeClock(1_000.0)
    policy = OutboxPolicy(max_attempts=5, base_delay_s=10.0, max_delay_s=1000.0)
    mailer = Mailer(store, inbox.smtp, clock, policy)
    queued = await mailer.enqueue("mina@example.com", "Hello", "Body")
    assert await mailer.send_due() == 1_010.0
    clock.now = 1_009.0
    assert await mailer.send_due() == 1_010.0  # not due yet: not tried
    assert inbox.attempts == 1
    clock.now = 1_010.0
    assert await mailer.send_due() == 1_030.0
    row = await store.outbox_email(queued.id)
    assert row is not None
    assert (row.status, row.attempts, inbox.attempts) == ("queued", 2, 2)
    assert row.last_error is not None and "451" in row.last_error


async def test_email_is_given_up_after_max_attempts_keeping_the_error_logged_once(
    store: SQLiteStore, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    inbox.refuse = 10
    clock = FakeClock()
    mailer = Mailer(store, inbox.smtp, clock, OutboxPolicy(max_attempts=3, base_delay_s=1.0))
    queued = await mailer.enqueue("mina@example.com", "Hello", "Body")
    with caplog.at_level(logging.INFO, logger="helpline.service.mail"):
        while (due := await mailer.send_due()) is not None:
            clock.now = due
    row = await store.outbox_email(queued.id)
    assert row is not None
    assert (row.status, row.attempts, inbox.attempts) == ("failed", 3, 3)
    assert row.last_error is not None and "mailbox busy" in row.last_error
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        f"gave up on email {queued.id} after 3 attempts: {row.last_error}"
    ]


async def test_recipient_refused_for_good_is_not_retried(store: SQLiteStore, inbox: Inbox) -> None:
    inbox.refuse_rcpt = "550 5.1.1 no such user"
    mailer = Mailer(store, inbox.smtp, FakeClock(), FAST)
    queued = await mailer.enqueue("nobody@example.com", "Hello", "Body")
    assert await mailer.send_due() is None
    row = await store.outbox_email(queued.id)
    assert row is not None
    assert (row.status, row.attempts) == ("failed", 1)


async def test_email_is_delivered_once_the_smtp_server_comes_up(store: SQLiteStore) -> None:
    clock = FakeClock()
    with reserved_port() as down:
        inbox = Inbox(asyncio.get_running_loop(), down.getsockname()[1])
        mailer = Mailer(store, inbox.smtp, clock, FAST)
        queued = await mailer.enqueue("mina@example.com", "Hello", "Body")
        clock.now = await mailer.send_due() or 0.0  # connection refused: retry later
    failed_once = await store.outbox_email(queued.id)
    async with smtp_server(inbox):
        assert await mailer.send_due() is None
        recipients, _ = await inbox.next()
    assert failed_once is not None and (failed_once.status, failed_once.attempts) == ("queued", 1)
    assert recipients == ["mina@example.com"]


async def test_queued_email_survives_a_store_reopen(tmp_path: Path, inbox: Inbox) -> None:
    path = tmp_path / "outbox.db"
    first = SQLiteStore(path)
    await first.open()
    await Mailer(first, None, FakeClock()).enqueue("mina@example.com", "Kept", "Body")
    await first.close()
    reopened = SQLiteStore(path)
    await reopened.open()
    try:
        async with sending(Mailer(reopened, inbox.smtp, FakeClock(), FAST)):
            recipients, message = await inbox.next()
    finally:
        await reopened.close()
    assert (recipients, message["Subject"]) == (["mina@example.com"], "Kept")


async def test_without_smtp_emails_stay_queued_and_a_warning_is_logged_once(
    store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = Mailer(store, None, FakeClock())
    with caplog.at_level(logging.WARNING, logger="helpline.service.mail"):
        first = await mailer.enqueue("a@example.com", "One", "Body")
        await mailer.enqueue("b@example.com", "Two", "Body")
        assert await mailer.send_due() is None
        await mailer.run()  # returns at once: nothing to send with
    row = await store.outbox_email(first.id)
    assert row is not None and (row.status, row.attempts) == ("queued", 0)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


@pytest.mark.parametrize("address", ["not an address", "a@b", "mina@example.com\nBcc: x@y.z", ""])
async def test_enqueue_refuses_what_is_not_an_address(store: SQLiteStore, address: str) -> None:
    with pytest.raises(MailError):
        await Mailer(store, None, FakeClock()).enqueue(address, "Hello", "Body")


async def test_subject_with_a_line_break_is_sent_on_one_line(
    store: SQLiteStore, inbox: Inbox
) -> None:
    mailer = Mailer(store, inbox.smtp, FakeClock(), FAST)
    await mailer.enqueue("mina@example.com", "Hello\r\nBcc: victim@example.com", "Body")
    await mailer.send_due()
    recipients, message = await inbox.next()
    assert recipients == ["mina@example.com"]
    assert message["Subject"] == "Hello Bcc: victim@example.com"
    assert message["Bcc"] is None


async def test_offline_reply_is_emailed_in_the_customers_language(
    store: SQLiteStore, inbox: Inbox
) -> None:
    conversation = await store.create_identified_conversation(
        token="t1",
        language="ko",
        customer_id="u-42",
        customer_name="민아",
        customer_email="mina@example.com",
        now=1.0,
    )
    mailer = Mailer(store, inbox.smtp, FakeClock(), FAST)
    queued = await notify_offline_reply(mailer, conversation, "준", "환불이 완료되었어요.", "ko")
    await mailer.send_due()
    recipients, message = await inbox.next()
    assert queued is not None and queued.conversation_id == conversation.id
    assert recipients == ["mina@example.com"]
    assert message["Subject"] == "준 상담원이 문의에 답변했어요"
    body = message.get_content()
    assert body.startswith("민아님, 안녕하세요.")
    assert "> 환불이 완료되었어요." in body and "채팅 창" in body


async def test_offline_reply_without_an_email_on_file_queues_nothing(store: SQLiteStore) -> None:
    conversation = await store.create_conversation(token="t2", language="en", now=1.0)
    mailer = Mailer(store, None, FakeClock())
    assert await notify_offline_reply(mailer, conversation, "Jun", "Done.", "en") is None
    assert await store.next_email_due_at() is None


async def test_app_sends_enqueued_email_through_its_configured_server(
    make_client: Callable[..., Any], make_settings: Callable[..., Settings], inbox: Inbox
) -> None:
    client = await make_client(make_settings(smtp=inbox.smtp, outbox=FAST))
    await client.app[MAILER].enqueue("mina@example.com", "From the app", "Body")
    recipients, message = await inbox.next()
    assert (recipients, message["Subject"]) == (["mina@example.com"], "From the app")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("mina@example.com", "mina@example.com"),
        ("  Mina.Kim+help@Example.CO.KR ", "Mina.Kim+help@example.co.kr"),
        ("o'brien@mail.example.org", "o'brien@mail.example.org"),
        ("mina@xn--9n2bp8q.example", "mina@xn--9n2bp8q.example"),
        ("mina@localhost", None),
        ("mina@@example.com", None),
        ("mina@example..com", None),
        (".mina@example.com", None),
        ("mina kim@example.com", None),
        ("<mina@example.com>", None),
        ("mina@-example.com", None),
        ("a" * 65 + "@example.com", None),
        ("mina@" + "a" * 250 + ".com", None),
        ("민아@example.com", None),
    ],
)
def test_addresses_customers_type_are_accepted_or_refused(typed: str, kept: str | None) -> None:
    assert normalise_address(typed) == kept


def test_smtp_settings_and_identity_secret_come_from_the_environment(
    make_settings: Callable[..., Settings],
) -> None:
    environ = {
        "HELPLINE_IDENTITY_SECRET": "s3cret",
        "HELPLINE_SMTP_HOST": "smtp.example.com",
        "HELPLINE_SMTP_FROM": SENDER,
        "HELPLINE_SMTP_SECURITY": "ssl",
        "HELPLINE_SMTP_USERNAME": "helpline",
        "HELPLINE_SMTP_PASSWORD": "pw",
    }
    settings = from_environment(make_settings(), environ)
    assert settings.identity_secret == "s3cret"
    assert settings.smtp == Smtp("smtp.example.com", SENDER, 465, "helpline", "pw", security="ssl")
    assert "pw" not in repr(settings) and "s3cret" not in repr(settings)


def test_smtp_host_without_a_sender_address_names_the_missing_variable(
    make_settings: Callable[..., Settings],
) -> None:
    with pytest.raises(ConfigError, match="HELPLINE_SMTP_FROM"):
        from_environment(make_settings(), {"HELPLINE_SMTP_HOST": "smtp.example.com"})
