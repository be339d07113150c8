"""What agents do to a conversation: accept, reply, note, type, transfer, release, close,
mark urgent (supervisors); and the customer's rating afterwards."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from helpline.bus.base import conversation_topic
from helpline.errors import MailError, ProtocolError
from helpline.service import frames
from helpline.service.attachments import referenced
from helpline.service.handoff import canned, desk, topics
from helpline.service.handoff.canned_library import CannedLibrary
from helpline.service.handoff.service import HandoffService
from helpline.service.handoff.views import note_view
from helpline.service.mail import Mailer, notify_offline_reply
from helpline.store.agents import Agent
from helpline.store.base import Message, Outgoing, TurnRecord
from helpline.store.handoff import Handoff, Note

log = logging.getLogger(__name__)

# error codes of the agent socket, beside the customer socket's
NOT_QUEUED = "not_queued"  # accept: the conversation is not waiting for a person
TAKEN = "taken"  # accept: another agent got it first
NOT_YOURS = "not_yours"  # the conversation is not assigned to this agent
FORBIDDEN = "forbidden"  # e.g. accepting another team's conversation without being supervisor
CSAT_SCALE = range(1, 6)


class AgentDesk:
    def __init__(
        self, service: HandoffService, mailer: Callable[[], Mailer | None] = lambda: None
    ) -> None:
        self.service = service
        self.mailer = mailer  # looked up when needed: the app builds it after this
        self.store = service.store
        self.board = service.board
        self.sync = service.sync
        self.bus = service.bus
        self.locks = service.locks
        self.clock = service.clock
        self.library: CannedLibrary | None = None  # the app sets it once the store is read

    async def publish(self, conversation_id: str, frame: Mapping[str, Any]) -> None:
        await self.bus.publish(conversation_topic(conversation_id), frame)

    async def to_agent(self, agent_id: str, frame: Mapping[str, Any]) -> None:
        await self.bus.publish(topics.agent(agent_id), frame)

    def owned(self, agent: Agent, conversation_id: str) -> Handoff:
        row = self.board.rows.get(conversation_id)
        if row is None or row.state != "assigned" or row.agent_id != agent.id:
            raise ProtocolError(NOT_YOURS, "this conversation is not assigned to you")
        return row

    async def accept(self, agent: Agent, conversation_id: str) -> None:
        """An offer accepted, or a queued conversation claimed (own team, or any: supervisor)."""
        try:
            self._may_accept(agent, self.board.rows.get(conversation_id))
        except ProtocolError:
            if not self.sync.shared:
                raise
            # the offer may come from another node whose notice has not been applied yet
            self._may_accept(agent, await self.sync.refresh_conversation(conversation_id))
        async with self.locks.hold(conversation_id):
            now = self.clock()
            won = await self.store.claim(
                conversation_id, agent.id, now, any_state=agent.is_supervisor
            )
            if won is None:
                raise ProtocolError(TAKEN, "someone else took this conversation")
            before = self.board.rows.get(conversation_id)
            self.board.put(won.handoff)  # assigned: out of the line
            self.board.assigned(agent.id, now)
            await self.sync.notify(conversation=conversation_id)
        if before and before.state == "offered" and before.agent_id not in (None, agent.id):
            await self.to_agent(before.agent_id, topics.released(conversation_id, "claimed"))
        await self._join(conversation_id, agent)
        await self.service.changed()

    @staticmethod
    def _may_accept(agent: Agent, row: Handoff | None) -> None:
        if row is None or row.state == "assigned":
            raise ProtocolError(NOT_QUEUED, "this conversation is not waiting for a person")
        mine = row.state == "offered" and row.agent_id == agent.id
        own_team = row.state == "waiting" and row.team in agent.teams
        if not (mine or own_team or agent.is_supervisor):
            raise ProtocolError(FORBIDDEN, "only supervisors take conversations offered to others")

    async def _join(self, conversation_id: str, agent: Agent) -> None:
        await self.publish(conversation_id, {"type": "agent.joined", "name": agent.name})
        await self.publish(conversation_id, frames.status("assigned"))
        await self.to_agent(agent.id, topics.assigned(conversation_id))

    async def on_customer_ready(self, conversation_id: str, status: str) -> list[dict[str, Any]]:
        """What a (re)connecting customer is told beside the replay: who is with them, or
        their place in line."""
        await self.service.customer_joined(conversation_id)
        row = self.board.rows.get(conversation_id)
        if status == "assigned" and row is not None and row.agent_id is not None:
            agent = self.board.agents.get(row.agent_id)
            return [{"type": "agent.joined", "name": agent.name}] if agent else []
        frame = self.service.place_frame(conversation_id)
        return [frame] if frame is not None else []

    async def reply(
        self, agent: Agent, conversation_id: str, client_id: str, text: str,
        attachment: str | None = None,
    ) -> int:  # fmt: skip
        """Store and deliver an agent's reply (once per client id); its seq. `attachment`:
        a file the agent uploaded to this conversation, sent with the text."""
        self.owned(agent, conversation_id)
        body: dict[str, Any] = {"text": text, "name": agent.name, "agent": agent.id}
        if attachment is not None:
            body["attachment"] = await referenced(self.store, conversation_id, attachment, "agent")
        async with self.locks.hold(conversation_id):
            got = await self.store.append_agent_message(
                conversation_id, agent.id, client_id, body, self.clock()
            )
            if got is None:
                raise ProtocolError(NOT_YOURS, "this conversation is not assigned to you")
            message, duplicate = got
            if not duplicate:
                await self.publish(conversation_id, frames.message(message))
        if not duplicate and not self.service.customer_present(conversation_id):
            await self._email(agent, conversation_id, _emailed_text(text, body))
        return message.seq

    async def _email(self, agent: Agent, conversation_id: str, text: str) -> None:
        """The customer is not in the chat: the reply goes to their email too, if any
        (it is in the widget as well when they come back)."""
        mailer = self.mailer()
        conversation = await self.service.conversations.conversation(conversation_id)
        if mailer is None or conversation is None:
            return
        try:
            await notify_offline_reply(
                mailer, conversation, agent.name, text, None, self.service.config
            )
        except MailError as exc:
            log.warning("reply of %s not emailed: %s", conversation_id, exc)

    async def note(self, agent: Agent, conversation_id: str, client_id: str, text: str) -> None:
        if not agent.is_supervisor:
            self.owned(agent, conversation_id)
        note = Note(conversation_id, client_id, agent.id, agent.name, text, self.clock())
        stored, duplicate = await self.store.add_note(note)
        if not duplicate:
            await self.bus.publish(topics.staff(conversation_id), note_view(stored))

    async def typing(self, agent: Agent, conversation_id: str, kind: str) -> None:
        self.owned(agent, conversation_id)
        await self.publish(conversation_id, {"type": kind, "sender": "agent", "name": agent.name})

    async def canned(self, agent: Agent, conversation_id: str, query: str) -> list[dict[str, Any]]:
        """The supervisors' canned answers this agent may use (placeholders filled for
        this conversation) beside the rules' FAQ answers."""
        rulebook = self.service.rules.current.rulebook
        info = self.board.info.get(conversation_id)
        language = (info.language if info else None) or rulebook.config.default_language
        written: list[dict[str, Any]] = []
        if self.library is not None:
            values = {"customer_name": info.customer_name if info else None,
                      "agent_name": agent.name}  # fmt: skip
            written = self.library.search(agent, language, query, values)
        # one list by score (both on rapidfuzz's 0-100; a typed shortcut scores 100), the
        # written answers first on a tie: they are the desk's own wording
        found = written + canned.search(rulebook, language, query)
        return sorted(found, key=lambda r: -float(r["score"]))[: canned.LIMIT]

    async def transfer(
        self, agent: Agent, conversation_id: str, *,
        to_agent: str | None, to_team: str | None, note: str | None,
    ) -> None:  # fmt: skip
        self.owned(agent, conversation_id)
        if to_team is not None:
            await self.service.know_team(to_team)
        if to_agent is not None:
            await self.service.know_agent(to_agent)
        target = self._target(agent, to_agent, to_team)
        async with self.locks.hold(conversation_id):
            now = self.clock()
            moved = await self.store.transfer(
                conversation_id, agent.id, now, to_agent=to_agent, to_team=to_team, note=note
            )
            if moved is None:
                raise ProtocolError(NOT_YOURS, "this conversation is not assigned to you")
            if to_agent is not None:
                self.board.put(moved)
            else:
                self.board.with_state(
                    conversation_id, state="waiting", agent_id=None, team=to_team, passed=()
                )
            await self.sync.notify(conversation=conversation_id)
        if note:
            client_id = f"transfer-{now:.6f}"
            stored, _ = await self.store.add_note(
                Note(conversation_id, client_id, agent.id, agent.name, note, now)
            )
            await self.bus.publish(topics.staff(conversation_id), note_view(stored))
        await self.to_agent(agent.id, topics.released(conversation_id, "transferred"))
        await self.publish(conversation_id, {"type": "agent.left"})
        if target is not None:
            await self._join(conversation_id, target)
        else:
            await self.publish(conversation_id, frames.status("queued"))
        await self.service.changed()

    def _target(self, agent: Agent, to_agent: str | None, to_team: str | None) -> Agent | None:
        if (to_agent is None) == (to_team is None):
            raise ProtocolError(frames.BAD_FRAME, "give exactly one of 'to_agent' or 'to_team'")
        if to_team is not None:
            if to_team not in self.board.teams(self.service.settings.fallback_team):
                raise ProtocolError(frames.BAD_FRAME, f"no team {to_team[:40]!r}")
            return None
        target = self.board.agents.get(to_agent or "")
        if target is None or target.id == agent.id:
            raise ProtocolError(frames.BAD_FRAME, "no such other agent")
        return target

    async def mark_urgent(self, agent: Agent, conversation_id: str, urgent: bool) -> None:
        """A supervisor moves a conversation to the head of its team's line (or back)."""
        if not agent.is_supervisor:
            raise ProtocolError(FORBIDDEN, "only supervisors mark conversations urgent")
        async with self.locks.hold(conversation_id):
            row = await self.store.mark_urgent(conversation_id, urgent, agent.id, self.clock())
            if row is None:
                raise ProtocolError(NOT_QUEUED, "this conversation is not with people")
            self.board.put(row)
            await self.sync.notify(conversation=conversation_id)
        await self.service.changed()

    async def release(self, agent: Agent, conversation_id: str) -> None:
        """Hand the conversation back to the bot."""
        config = self.service.config
        lang = self._language(conversation_id)
        body = {"text": desk.text(config, "handback", lang), "kind": "handback", "buttons": []}
        await self._finish(agent, conversation_id, "bot", body, (), "released")

    async def close(self, agent: Agent, conversation_id: str, tags: Sequence[str]) -> None:
        """Solve the ticket, close the conversation, ask the customer for a rating (once)."""
        lang = self._language(conversation_id)
        buttons = [{"label": str(n), "payload": f"/csat:{n}"} for n in CSAT_SCALE]
        body = {
            "text": desk.text(self.service.config, "csat", lang),
            "kind": "csat",
            "buttons": buttons,
        }
        await self._finish(agent, conversation_id, "closed", body, tags, "closed")

    def _language(self, conversation_id: str) -> str:
        info = self.board.info.get(conversation_id)
        return (info.language if info else None) or self.service.config.default_language

    async def _finish(
        self, agent: Agent, conversation_id: str, status: str, body: dict[str, Any],
        tags: Sequence[str], reason: str,
    ) -> None:  # fmt: skip
        self.owned(agent, conversation_id)
        async with self.locks.hold(conversation_id):
            conversation = await self.service.conversations.conversation(conversation_id)
            if conversation is None:
                raise ProtocolError(NOT_YOURS, "this conversation no longer exists")
            state = {**conversation.bot_state, "status": status, "fallbacks_in_row": 0}
            record = TurnRecord(
                conversation_id, status, state, conversation.language, [Outgoing("bot", body)]
            )
            now = self.clock()
            got = await self.store.finish(
                conversation_id, agent.id, record, now, tags=tags, reason=reason
            )
            if got is None:
                raise ProtocolError(NOT_YOURS, "this conversation is not assigned to you")
            messages, ticket = got
            self.board.drop(conversation_id)
            if ticket.assigned_at is not None:
                self.board.handled(now - ticket.assigned_at)
            await self.sync.notify(conversation=conversation_id)
            await self._announce_finish(conversation_id, messages, status)
        await self.to_agent(agent.id, topics.released(conversation_id, reason))
        await self.service.changed()

    async def _announce_finish(self, cid: str, messages: list[Message], status: str) -> None:
        await self.publish(cid, {"type": "agent.left"})
        for message in messages:
            await self.publish(cid, frames.message(message))
        await self.publish(cid, frames.status(status))

    async def rate(self, conversation_id: str, rating: int, comment: str | None) -> bool:
        """The customer's CSAT for the conversation's last solved ticket, once; whether it
        was rated before (the first rating stands)."""
        if rating not in CSAT_SCALE:
            raise ProtocolError(frames.BAD_FRAME, "field 'rating' must be 1-5")
        rated = await self.store.rate(conversation_id, rating, comment, self.clock())
        if rated is None:
            raise ProtocolError(frames.BAD_FRAME, "there is no closed conversation to rate")
        return rated[1]


def _emailed_text(text: str, body: Mapping[str, Any]) -> str:
    """A reply with a file says so by name in the email (the file itself waits in the chat)."""
    attachment = body.get("attachment")
    if not isinstance(attachment, Mapping):
        return text
    named = f"[{attachment.get('name', 'file')}]"
    return f"{text}\n\n{named}" if text else named
