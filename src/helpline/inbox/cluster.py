"""Clusters of similar unanswered messages, read with the matcher's own features."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from helpline import dialogue
from helpline.matcher import Matcher, SoftIdfMatcher
from helpline.matcher.features import form_features, text_forms
from helpline.matcher.framing import question_core
from helpline.rules.model import Rulebook
from helpline.text import SynonymMap, normalize
from helpline.turn import ConversationState, Inbound

# Cosine of a message's feature vector with a cluster's summed vector at or above which
# it joins the cluster. An author may add a whole cluster to one intent, so a wrong member
# costs more than a cluster split in two: on real_en + real_ko (506 labelled messages,
# bench/inbox_cluster.py) 0.5 keeps 98.6% of messages in a cluster whose most common gold
# intent is theirs, 0.4 96.6%, 0.3 88.3%, 0.2 70.2%. Those sets hold few rewordings of any
# one question; an inbox, where many customers ask the same thing, groups far more.
SIMILAR = 0.5
SHOWN = 5  # distinct wordings a cluster shows


class Worded(Protocol):
    """A flagged message as the clustering needs it (store.inbox.Unanswered is one)."""

    @property
    def text(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def key(self) -> tuple[str, int]: ...


M = TypeVar("M", bound=Worded)
Vector = dict[str, float]


@dataclass(frozen=True)
class Nearest:
    intent: str
    score: float  # the matcher's 0-100, averaged over the members it is the top of


@dataclass(frozen=True)
class Cluster(Generic[M]):
    id: str  # from its first message: stable while that message stays in the inbox
    members: tuple[M, ...]  # oldest first
    language: str  # the members' most common
    nearest: Nearest | None  # the intent most members' top candidate is, None: none matched

    @property
    def size(self) -> int:
        return len(self.members)

    def wordings(self, limit: int | None = SHOWN) -> list[str]:
        """Distinct texts (by normal form), the most often sent first, then the oldest."""
        counts: Counter[str] = Counter()
        first: dict[str, str] = {}
        for member in self.members:
            form = normalize(member.text)
            counts[form] += 1
            first.setdefault(form, member.text)
        ranked = sorted(first, key=lambda form: -counts[form])  # stable: oldest first on ties
        return [first[form] for form in ranked[:limit]]


def cluster_id(key: tuple[str, int]) -> str:
    return hashlib.sha256(f"{key[0]}:{key[1]}".encode()).hexdigest()[:12]


def clusters(messages: Sequence[M], rulebook: Rulebook, matcher: Matcher) -> list[Cluster[M]]:
    """Group messages (oldest first) into clusters, largest first, then oldest.

    Deterministic: each message, in order, joins the most similar cluster so far (the
    cosine with its members' summed vectors, ties to the older cluster) when that is at
    least SIMILAR, else starts one. Messages of different languages never share one."""
    features = Features(rulebook, matcher)
    groups: list[tuple[str, list[M], Vector]] = []
    for message in messages:
        vector = features.vector(message.text)
        best: tuple[str, list[M], Vector] | None = None
        best_similarity = SIMILAR
        for group in groups:
            if group[0] != message.language:
                continue
            similarity = _cosine(vector, group[2])
            # strictly closer replaces: on a tie the older cluster keeps the message
            if similarity > best_similarity or (best is None and similarity >= SIMILAR):
                best, best_similarity = group, similarity
        if best is None:
            groups.append((message.language, [message], dict(vector)))
        else:
            best[1].append(message)
            _add(best[2], vector)
    made = [_cluster(members, matcher) for _, members, _ in groups]
    return sorted(made, key=lambda c: -c.size)  # stable: the older first on ties


def answered_now(
    texts: Sequence[tuple[str, str]], rulebook: Rulebook, matcher: Matcher, now: float
) -> int:
    """How many of these (text, language) the bot would now answer as a first message."""
    answered = 0
    for text, language in texts:
        state = ConversationState(language=language or None)
        turn = dialogue.respond(rulebook, matcher, state, Inbound("text", now, text=text))
        answered += turn.decision.decision == "answer"
    return answered


class Features:
    """The matcher's features of a message (word forms after synonyms, Korean character
    bigrams), weighted by the matcher's IDF over intents: words every intent uses count
    little, words no example has count most (they are what the rules are missing)."""

    def __init__(self, rulebook: Rulebook, matcher: Matcher) -> None:
        self.synonyms = SynonymMap(rulebook.config.synonyms)
        index = matcher.index if isinstance(matcher, SoftIdfMatcher) else None
        self.idf: Mapping[str, float] = index.idf if index else {}
        self.unseen: Mapping[str, float] = index.unseen if index else {}

    def vector(self, text: str) -> Vector:
        counts = form_features(text_forms(question_core(text), self.synonyms))
        vector = {
            feature: (1.0 + math.log(count)) * self._weight(feature)
            for feature, count in counts.items()
        }
        norm = math.sqrt(sum(v * v for v in vector.values()))
        return {f: v / norm for f, v in vector.items()} if norm else {}

    def _weight(self, feature: str) -> float:
        return self.idf.get(feature) or self.unseen.get(feature[:2], 1.0)


def _cosine(vector: Vector, total: Vector) -> float:
    norm = math.sqrt(sum(v * v for v in total.values()))
    if not norm:
        return 0.0
    return sum(w * total.get(f, 0.0) for f, w in vector.items()) / norm


def _add(total: Vector, vector: Vector) -> None:
    for feature, weight in vector.items():
        total[feature] = total.get(feature, 0.0) + weight


def _cluster(members: list[M], matcher: Matcher) -> Cluster[M]:
    language = Counter(m.language for m in members).most_common(1)[0][0]
    return Cluster(cluster_id(members[0].key), tuple(members), language, _nearest(members, matcher))


def _nearest(members: list[M], matcher: Matcher) -> Nearest | None:
    scores: dict[str, list[float]] = {}
    for member in members:
        found = matcher.match(member.text, member.language or None, limit=1)
        if found:
            scores.setdefault(found[0].intent, []).append(found[0].score)
    if not scores:
        return None
    # the intent most members lean to; of those, the closer one (first met on a tie)
    intent = max(scores, key=lambda name: (len(scores[name]), sum(scores[name])))
    return Nearest(intent, round(sum(scores[intent]) / len(scores[intent]), 2))
