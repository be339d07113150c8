"""The conversations view's query, written once for both backends: filters, terms, a page."""

# The backends differ in placeholders, in reading a JSON field and in how a term is looked
# up (FTS5 MATCH, pg_trgm ILIKE); a Dialect says how, the rest is the same SQL on the same
# tables, so both give the same page for the same data.

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from helpline.spike import COUNTED
from helpline.store.rows import Row
from helpline.store.search import (
    ConversationCard,
    ConversationFilter,
    ConversationPage,
    Cursor,
    Visibility,
    is_short,
)


@dataclass(frozen=True)
class Dialect:
    placeholder: Callable[[int], str]  # the n-th (from 1) parameter's placeholder
    json_text: Callable[[str, str], str]  # SQL for a JSON column's string field
    json_items: Callable[[str], str]  # SQL selecting the strings of a JSON array, as rows
    term: Callable[[Query, str], str]  # SQL true when the conversation c has the term


@dataclass
class Query:
    dialect: Dialect
    params: list[Any] = field(default_factory=list)

    def param(self, value: Any) -> str:
        self.params.append(value)
        return self.dialect.placeholder(len(self.params))

    def params_in(self, values: Sequence[Any]) -> str:
        return ", ".join(self.param(v) for v in values)


def _ticket_where(q: Query, condition: str) -> str:
    return f"EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id AND {condition})"


def visible(q: Query, who: Visibility) -> str:
    mine = f"t.assignee = {q.param(who.agent_id)}"
    if not who.teams:
        return _ticket_where(q, mine)
    return _ticket_where(q, f"({mine} OR t.team IN ({q.params_in(who.teams)}))")


def _conditions(q: Query, where: ConversationFilter) -> list[str]:
    found: list[str] = []
    if where.statuses:
        found.append(f"c.status IN ({q.params_in(where.statuses)})")
    if where.language is not None:
        found.append(f"c.language = {q.param(where.language)}")
    if where.since is not None:
        found.append(f"c.created_at >= {q.param(where.since)}")
    if where.until is not None:
        found.append(f"c.created_at < {q.param(where.until)}")
    if where.team is not None:
        found.append(_ticket_where(q, f"t.team = {q.param(where.team)}"))
    if where.agent is not None:
        found.append(_ticket_where(q, f"t.assignee = {q.param(where.agent)}"))
    if where.csat:
        found.append(_ticket_where(q, f"t.csat_rating IN ({q.params_in(where.csat)})"))
    if where.tag is not None:
        tags = q.dialect.json_items("t.tags")
        found.append(_ticket_where(q, f"{q.param(where.tag)} IN ({tags})"))
    if where.ticket_statuses:
        found.append(_ticket_where(q, f"t.status IN ({q.params_in(where.ticket_statuses)})"))
    if where.among is not None:
        # one parameter however many: a JSON array, not thousands of placeholders
        listed = q.dialect.json_items(q.param(json.dumps(list(where.among))))
        found.append(f"c.id IN ({listed})")
    if where.intent is not None:
        # the decisions that name what the customer asked (spike.COUNTED), not a fallback's
        # nearest candidate
        intent = q.dialect.json_text("e.data", "intent")
        decision = q.dialect.json_text("e.data", "decision")
        found.append(
            "EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = c.id"
            f" AND e.kind = 'bot.decision' AND {intent} = {q.param(where.intent)}"
            f" AND {decision} IN ({q.params_in(COUNTED)}))"
        )
    if where.visible_to is not None:
        found.append(visible(q, where.visible_to))
    found.extend(_term_conditions(q, where.terms, where.short_scope))
    return found


def _term_conditions(q: Query, terms: Sequence[str], scope: int) -> list[str]:
    found = [q.dialect.term(q, t) for t in terms]
    if any(is_short(t) for t in terms):
        # ties at the boundary are all in: the same set on both backends
        newest = (
            "SELECT created_at FROM conversations ORDER BY created_at DESC"
            f" LIMIT 1 OFFSET {max(scope, 1) - 1:d}"
        )
        # a bound that does not name c, so both databases walk the start index from it
        oldest = "SELECT min(created_at) FROM conversations"
        found.append(f"c.created_at >= coalesce(({newest}), ({oldest}))")
    return found


_CARD = """
SELECT p.id, p.status, p.language, p.customer_id, p.customer_name, p.created_at, p.updated_at,
    (SELECT m.body FROM messages m WHERE m.conversation_id = p.id AND m.sender <> 'system'
        ORDER BY m.seq DESC LIMIT 1),
    (SELECT m.sender FROM messages m WHERE m.conversation_id = p.id AND m.sender <> 'system'
        ORDER BY m.seq DESC LIMIT 1),
    (SELECT t.team FROM tickets t WHERE t.conversation_id = p.id
        ORDER BY t.created_at DESC LIMIT 1),
    (SELECT t.assignee FROM tickets t WHERE t.conversation_id = p.id
        ORDER BY t.created_at DESC LIMIT 1),
    (SELECT t.csat_rating FROM tickets t WHERE t.conversation_id = p.id
        AND t.csat_rating IS NOT NULL ORDER BY t.created_at DESC LIMIT 1)
FROM page p ORDER BY p.created_at DESC, p.id DESC"""


def page_query(
    dialect: Dialect, where: ConversationFilter, after: Cursor | None, limit: int
) -> tuple[str, list[Any]]:
    """The SQL and parameters of one page, asking for limit + 1 rows to know if more follow."""
    q = Query(dialect)
    conditions = _conditions(q, where)
    if after is not None:
        at, cid = q.param(after.created_at), q.param(after.id)
        conditions.append(f"(c.created_at < {at} OR (c.created_at = {at} AND c.id < {cid}))")
    clause = " AND ".join(conditions) or "TRUE"
    # the page is picked first, then only its rows read their last message and ticket
    sql = (
        "WITH page AS MATERIALIZED (SELECT c.id, c.status, c.language, c.customer_id,"
        " c.customer_name, c.created_at, c.updated_at FROM conversations c"
        f" WHERE {clause} ORDER BY c.created_at DESC, c.id DESC LIMIT {limit + 1:d})" + _CARD
    )
    return sql, q.params


def to_card(row: Row) -> ConversationCard:
    body = json.loads(row[7]) if row[7] is not None else {}
    text = body.get("text") if isinstance(body, dict) else None
    return ConversationCard(
        id=row[0], status=row[1], language=row[2], customer_id=row[3], customer_name=row[4],
        created_at=float(row[5]), updated_at=float(row[6]),
        last_text=text if isinstance(text, str) else None, last_sender=row[8], team=row[9],
        agent_id=row[10], csat_rating=row[11],
    )  # fmt: skip


def to_page(rows: Sequence[Row], where: ConversationFilter, limit: int) -> ConversationPage:
    cards = tuple(to_card(r) for r in rows[:limit])
    more = len(rows) > limit and cards
    after = Cursor(cards[-1].created_at, cards[-1].id) if more else None
    return ConversationPage(cards, after, any(is_short(t) for t in where.terms))


def visible_query(dialect: Dialect, conversation_id: str, who: Visibility) -> tuple[str, list[Any]]:
    q = Query(dialect)
    cid = q.param(conversation_id)
    return f"SELECT 1 FROM conversations c WHERE c.id = {cid} AND {visible(q, who)}", q.params
