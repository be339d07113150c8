"""One conversation's turns: lock -> store -> dialogue -> commit -> fan out."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Protocol

from helpline import dialogue
from helpline.bus.base import Bus, conversation_topic
from helpline.bus.locks import LockRegistry
from helpline.errors import ProtocolError
from helpline.identity import Identity, is_rest_token
from helpline.rules.model import Rulebook
from helpline.service import codec, frames, matching, notice
from helpline.service.acknowledgement import acknowledge
from helpline.service.attachments import referenced
from helpline.service.frames import EmailSubmit, FeedbackNew, Hello, MessageNew
from helpline.service.observer import TurnObserver
from helpline.service.rules_holder import RulesHolder
from helpline.store.base import Conversation, Message, Outgoing, Store, TurnRecord
from helpline.store.customer_directory import CustomerDirectoryStore
from helpline.store.customers import customer_store
from helpline.store.early import EarlyAppendStore
from helpline.turn import ConversationState, Turn

log = logging.getLogger(__name__)

Send = Callable[[Mapping[str, Any]], Awaitable[None]]

FEEDBACK_TEXT = {True: "👍", False: "👎"}


Event = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True)
class DraftTurn:
    """A bot turn decided but not yet stored: the conversation as it stood, the turn, the
    customer message it answers, the events of its custom action."""

    conversation: Conversation
    turn: Turn
    answers_seq: int | None = None
    events: Sequence[Event] = ()
    # awaited once stored, before the turn's frames: the answered message's ack (acknowledgement)
    prelude: Awaitable[None] | None = None

    def record(self, extra: Sequence[Outgoing] = ()) -> TurnRecord:
        """The turn as the store writes it (extra: messages the desk adds after its replies)."""
        turn = self.turn
        decision = codec.shallow(turn.decision)
        replies = [Outgoing("bot", codec.reply_body(r, decision)) for r in turn.replies]
        return TurnRecord(
            conversation_id=self.conversation.id,
            status=turn.state.status,
            bot_state=codec.state_dict(turn.state),
            language=turn.state.language,
            messages=[*replies, *extra],
            events=[("bot.decision", {**decision, "reply_to": self.answers_seq}), *self.events],
            answers_seq=self.answers_seq,
        )

    async def announce(
        self, publish: Callable[[Mapping[str, Any]], Awaitable[None]], stored: Sequence[Message]
    ) -> None:
        """Publish the stored turn's frames, after the prelude (the answered message's ack)."""
        if self.prelude is not None:
            await self.prelude
        for frame in self.frames(stored):
            await publish(frame)

    def frames(self, stored: Sequence[Message]) -> list[dict[str, Any]]:
        """What the conversation's sockets are sent once it is stored."""
        found = [frames.message(message) for message in stored]
        if self.turn.state.status != self.conversation.status:
            found.append(frames.status(self.turn.state.status))
        return found


class TurnDesk(Protocol):
    """The live-agent desk, as the bot's turns see it (service.handoff.HandoffService)."""

    can_email: bool  # whether a customer may leave an email for the reply

    async def take_turn(self, draft: DraftTurn) -> list[Message]:
        """Store the turn and send it to the conversation's sockets, doing the desk's part
        of it in the same step (a handover, a wait asked about, a reply to an agent)."""
        ...


class TurnActions(Protocol):
    """Runs the custom action of the intent a turn answered (actions.ActionStep)."""

    async def run(
        self,
        rulebook: Rulebook,
        turn: Turn,
        conversation: Conversation,
        body: Mapping[str, Any],
        now: float,
    ) -> tuple[Turn, list[tuple[str, Mapping[str, Any]]]]:
        """The turn with the action's replies and slots, and the events of its run."""
        ...


class TurnNotices(Protocol):
    """Standing incident notices (service.alert.incident.IncidentBoard), as turns see them."""

    def prefixed(self, turn: Turn) -> Turn:
        """The turn with the notice on what the customer asked about said first."""
        ...


class ConversationService:
    """Everything that changes a conversation goes through here, one turn at a time."""

    def __init__(
        self,
        store: Store,
        bus: Bus,
        rules: RulesHolder,
        clock: Callable[[], float],
        locks: LockRegistry | None = None,
        *,
        actions: TurnActions,
        history_page: int = 500,  # messages per store read when a socket catches up
    ) -> None:
        self.store = store
        self.history_page = history_page
        self.bus = bus
        self.rules = rules
        self.clock = clock
        self.locks = locks or LockRegistry()
        self.actions = actions  # runs an answered intent's custom action
        self.handoff: TurnDesk | None = None  # set when the node runs the live-agent queue
        self.observer: TurnObserver | None = None  # the node's metrics, when it keeps them
        self.notices: TurnNotices | None = None  # incident notices said before answers
        # asked once: an isinstance against a Protocol walks its members (1.5% of a turn's CPU)
        self._early = store if isinstance(store, EarlyAppendStore) else None

    async def start(
        self,
        hello: Hello,
        identity: Identity | None = None,
        *,
        admit: Callable[[], None] | None = None,
    ) -> tuple[Conversation, bool]:
        """Resume the conversation hello's token names, or a verified customer's latest open
        one (their other device), or start (and greet) a new one. `admit` is asked before a
        new one only (it raises to refuse it): a resume is never refused by a limit."""
        if identity is not None and isinstance(self.store, CustomerDirectoryStore):
            # every signed hello, so the directory shows the name, email and attributes
            # as the host site last signed them, and when the customer was last here
            await self.store.remember_customer(
                identity.customer_id, name=identity.name, email=identity.email,
                attributes=identity.attributes, now=self.clock(),
            )  # fmt: skip
        if hello.token and not is_rest_token(hello.token):  # REST senders resume by REST only
            found = await self.store.conversation_by_token(hello.token)
            if found is not None and _may_resume(found, identity):
                return found, True
        if identity is not None:
            latest = await customer_store(self.store).latest_open_conversation(identity.customer_id)
            if latest is not None:
                return latest, True
        if admit is not None:
            admit()
        created = await self._create(hello, identity)
        async with self.locks.hold(created.id):
            return await self._greet(created), False

    async def _create(self, hello: Hello, identity: Identity | None) -> Conversation:
        token = secrets.token_urlsafe(24)
        if identity is None:
            return await self.store.create_conversation(
                token=token, language=hello.lang, now=self.clock()
            )
        return await customer_store(self.store).create_identified_conversation(
            token=token,
            language=hello.lang,
            customer_id=identity.customer_id,
            customer_name=identity.name,
            customer_email=identity.email,
            now=self.clock(),
        )

    async def submit_email(self, conversation_id: str, frame: EmailSubmit, send: Send) -> None:
        """Keep the customer's address for replies and confirm it in their language;
        refused where no email can be sent (the confirmation would be a false promise)."""
        if self.handoff is None or not self.handoff.can_email:
            raise ProtocolError(frames.EMAIL_UNAVAILABLE, "replies by email are not available")
        async with self.locks.hold(conversation_id):
            conversation = await self.store.conversation(conversation_id)
            if conversation is None:
                raise ProtocolError(frames.NOT_READY, "conversation no longer exists")
            config = self.rules.current.rulebook.config
            confirmation: dict[str, Any] = {
                "text": notice.text(
                    "email_saved", conversation.language, config, email=frame.email
                ),
                "buttons": [],
                "kind": "email_saved",
                "intent": None,
            }
            appended = await customer_store(self.store).submit_customer_email(
                conversation_id,
                client_id=frame.id,
                email=frame.email,
                confirmation=confirmation,
                now=self.clock(),
            )
            stored = appended.message
            await send(frames.email_ack(frame.id, frame.email, stored.seq, appended.duplicate))
            if not appended.duplicate:
                await self._publish(conversation_id, frames.message(stored))

    async def history(self, conversation_id: str, after_seq: int) -> list[Message]:
        """Every stored message with seq > after_seq, in order (paged past the store's limit)."""
        found: list[Message] = []
        while True:
            page = await self.store.messages_after(conversation_id, after_seq, self.history_page)
            found.extend(page)
            if len(page) < self.history_page:  # a short page is the last: no empty one to fetch
                return found
            after_seq = page[-1].seq

    async def post_message(
        self,
        conversation_id: str,
        frame: MessageNew,
        send: Send,
        metadata: Mapping[str, Any] | None = None,  # a channel's extras, shown to custom actions
    ) -> None:
        body: dict[str, Any] = {"text": frame.text}
        if frame.payload:
            body["payload"] = frame.payload
        if frame.attachment:  # checked before anything is stored
            body["attachment"] = await referenced(
                self.store, conversation_id, frame.attachment, "customer"
            )
        if metadata:
            body["metadata"] = dict(metadata)
        await self._post(conversation_id, frame.id, body, send)

    async def post_feedback(self, conversation_id: str, frame: FeedbackNew, send: Send) -> None:
        rated = await self.store.messages_after(conversation_id, frame.seq - 1, limit=1)
        if not rated or rated[0].seq != frame.seq or rated[0].sender != "bot":
            raise ProtocolError(frames.BAD_FRAME, f"seq {frame.seq} is not a bot message")
        body = {
            "text": FEEDBACK_TEXT[frame.helpful],
            "kind": "feedback",
            "rated_seq": frame.seq,
            "helpful": frame.helpful,
            "intent": rated[0].body.get("intent"),
        }
        await self._post(conversation_id, frame.id, body, send)

    async def answer_pending(self, conversation_id: str) -> None:
        """Answer customer messages stored before a crash and never answered."""
        async with self.locks.hold(conversation_id):
            pending = await self.store.unanswered_customer_messages(conversation_id)
            for message in pending:
                log.info("answering message %d of %s left unanswered", message.seq, conversation_id)
                await self._answer(conversation_id, message)

    async def _post(
        self, conversation_id: str, client_id: str, body: dict[str, Any], send: Send
    ) -> None:
        async with self.locks.hold(conversation_id):
            if self._early is not None:
                await self._post_early(self._early, conversation_id, client_id, body, send)
                return
            appended = await self.store.append_customer_message(
                conversation_id, client_id, body, self.clock()
            )
            stored = appended.message
            await send(frames.ack(client_id, stored, appended.duplicate))
            if not appended.duplicate:
                await self._publish(conversation_id, frames.message(stored))
            if not appended.answered:
                await self._answer(conversation_id, stored, appended.conversation)

    async def _post_early(
        self,
        store: EarlyAppendStore,
        conversation_id: str,
        client_id: str,
        body: dict[str, Any],
        send: Send,
    ) -> None:
        """The message and its answer in one commit: the turn is decided from the message
        as it will be stored; the ack goes out once it is durable (acknowledgement)."""
        appended, durable = await store.append_customer_message_early(
            conversation_id, client_id, body, self.clock()
        )
        publish = partial(self._publish, conversation_id)
        acknowledged = asyncio.ensure_future(
            acknowledge(client_id, appended, durable, send, publish)
        )
        try:
            if not appended.answered:
                message, known = appended.message, appended.conversation
                await self._answer(conversation_id, message, known, acknowledged)
        finally:
            await acknowledged

    async def _greet(self, conversation: Conversation) -> Conversation:
        """Store the greeting; the conversation as it now stands (known without reading it)."""
        active = self.rules.current
        state = ConversationState(
            language=conversation.language, customer_name=conversation.customer_name
        )
        turn = dialogue.greet(active.rulebook, state, self.clock())
        stored = await self._commit(conversation, turn, answers_seq=None)
        if not stored:
            return await self.store.conversation(conversation.id) or conversation
        return replace(
            conversation,
            status=turn.state.status,
            language=turn.state.language,
            bot_state=codec.state_dict(turn.state),
            last_seq=stored[-1].seq,
            updated_at=stored[-1].created_at,
        )

    async def _answer(
        self,
        conversation_id: str,
        message: Message,
        known: Conversation | None = None,
        prelude: Awaitable[None] | None = None,
    ) -> None:
        """known: the row as the store left it under this lock (saves reading it again);
        prelude: the ack, echo and typing.start, sent once the message is durable."""
        conversation = known or await self.store.conversation(conversation_id)
        if conversation is None:
            raise ProtocolError(frames.NOT_READY, "conversation no longer exists")
        active = self.rules.current  # one read: a reload mid-turn cannot mix rules
        state = codec.restore_state(conversation)
        if prelude is None:
            await self._publish(conversation_id, frames.typing("typing.start", "bot"))
        try:
            inbound = codec.inbound(message.body, self.clock())
            started = time.perf_counter()
            turn = await matching.respond(active, state, inbound)
            if self.observer is not None:
                self.observer.decided(time.perf_counter() - started)
            turn, events = await self.actions.run(
                active.rulebook, turn, conversation, message.body, self.clock()
            )
            if self.notices is not None:
                turn = self.notices.prefixed(turn)
            await self._commit(conversation, turn, message.seq, events, prelude)
        finally:
            if prelude is not None:
                await prelude  # typing.start goes before typing.stop
            await self._publish(conversation_id, frames.typing("typing.stop", "bot"))

    async def _commit(
        self,
        conversation: Conversation,
        turn: Turn,
        answers_seq: int | None,
        events: Sequence[Event] = (),
        prelude: Awaitable[None] | None = None,
    ) -> list[Message]:
        """Store the turn and fan it out; with a live-agent desk, through it, in one call."""
        draft = DraftTurn(conversation, turn, answers_seq, events, prelude)
        if self.handoff is not None:
            stored = await self.handoff.take_turn(draft)
        else:
            stored = await self.store.commit_turn(draft.record(), self.clock())
            await draft.announce(partial(self._publish, conversation.id), stored)
        if self.observer is not None:
            answered = answers_seq is not None
            self.observer.committed(turn.decision, answered=answered, replies=len(turn.replies))
        return stored

    async def _publish(self, conversation_id: str, frame: Mapping[str, Any]) -> None:
        await self.bus.publish(conversation_topic(conversation_id), frame)


def _may_resume(found: Conversation, identity: Identity | None) -> bool:
    """A token resumes its conversation unless that belongs to another verified customer
    (a shared computer where someone else signed in since)."""
    if identity is None or found.customer_id is None:
        return True
    return found.customer_id == identity.customer_id
