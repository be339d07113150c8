"""The author's rules as frozen values: config, intents, conversation tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from helpline.attachment import AttachmentSettings
from helpline.errors import Problem
from helpline.hours import BusinessHours
from helpline.routing import QueueSettings
from helpline.rules.texts import BUILTIN_TEXTS
from helpline.scope import Scope
from helpline.sla import SlaSettings
from helpline.spike import AlertSettings

PRIORITIES = ("low", "normal", "high", "urgent")
# what the bot can decide for one message (helpline.turn.Decision.decision); tests may expect one
DECISIONS = ("greeting", "answer", "clarify", "fallback", "handoff", "silent", "feedback", "queue")


@dataclass(frozen=True)
class Thresholds:
    """Scores on the matcher's 0-100 scale that decide answer / clarify / fallback.

    The defaults sit above the thresholds `helpline eval --calibrate` picks on held-out
    data (49-71 on clinc150, ParaKQC and the example rules' dev set), so rules that leave
    them out ask "did you mean" rather than answer wrongly."""

    answer: float = 65.0
    clarify: float = 45.0
    ambiguity: float = 5.0  # top two intents closer than this: ask "did you mean"


@dataclass(frozen=True)
class FrustrationSettings:
    escalate_at: float = 0.7  # conversation frustration (0..1) at which the bot hands over
    half_life_s: float = 300.0  # the conversation score halves in this many seconds
    enabled: bool = True


@dataclass(frozen=True)
class Intent:
    name: str
    category: str
    examples: Mapping[str, tuple[str, ...]]  # language -> examples
    answer: Mapping[str, str]  # language -> FAQ snippet (short markdown)
    title: Mapping[str, str] = field(default_factory=dict)  # button label; else first example
    quick_replies: tuple[str, ...] = ()
    escalate: bool = False
    priority: str = "normal"
    action: str | None = None
    thresholds: Thresholds | None = None  # per-intent override
    file: str = ""
    line: int = 0

    def label(self, language: str) -> str:
        """What a button offering this intent says."""
        if language in self.title:
            return self.title[language]
        examples = self.examples.get(language) or next(iter(self.examples.values()), ())
        return examples[0] if examples else self.name.replace("_", " ")


@dataclass(frozen=True)
class Config:
    languages: tuple[str, ...] = ("ko", "en")
    default_language: str = "ko"
    thresholds: Thresholds = Thresholds()
    max_fallbacks: int = 2
    # language -> text; keys used by the dialogue: greeting, greeting_named, fallback,
    # fallback_offer_human, clarify, handoff, handoff_frustrated, queued_wait,
    # feedback_thanks, feedback_sorry
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    frustration: FrustrationSettings = FrustrationSettings()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # canonical -> variants
    human_intent: str = "talk_to_agent"  # the intent whose match means "get me a person"
    # parsed once at load: the queue reads them on every turn and in every assignment pass
    business_hours: BusinessHours = BusinessHours()  # none given: open around the clock
    queue: QueueSettings = QueueSettings()
    # matcher.encoder: "minilm" gives the classifier each text's sentence meaning
    # (matcher/encoder.py): better answers for a few milliseconds a message; "none" not.
    encoder: str = "none"
    # matcher.korean_encoder: "e5" gives Korean texts their sentence meaning too
    # (matcher/korean_encoder.py); "none": Korean on words alone.
    korean_encoder: str = "none"
    # scope.ours / scope.not_ours: a message naming another product is not answered (scope.py)
    scope: Scope = Scope()
    # alerts: when a burst of one intent (or of fallbacks) is told to the desk (spike.py)
    alerts: AlertSettings = AlertSettings()
    # sla: due times per ticket priority, and what a breach sets off (helpline/sla.py)
    sla: SlaSettings = SlaSettings()
    # attachments: the largest file customers and agents may send, and its kinds
    attachments: AttachmentSettings = AttachmentSettings()

    def text(self, key: str, language: str | None, **values: object) -> str:
        """The author's wording in this language, else the built-in one, filled in."""
        lang = language or self.default_language
        authored = self.texts.get(key, {})
        builtin = BUILTIN_TEXTS.get(key, {})
        template = (
            authored.get(lang)
            or builtin.get(lang)
            or authored.get(self.default_language)
            or builtin.get("en")
            or key
        )
        return template.format(**values) if values else template

    def has_text(self, key: str) -> bool:
        """Whether the author or the built-in wording says `key` in some language."""
        return key in self.texts or key in BUILTIN_TEXTS


@dataclass(frozen=True)
class ConversationTest:
    """One scripted conversation from tests/*.yaml, run by `helpline test`."""

    name: str
    # each step: {"user": text, "line": int} plus "intent" (a name, or None for "no intent")
    # and/or "decision" (one of DECISIONS) when the author expects them
    steps: tuple[Mapping[str, object], ...]
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Rulebook:
    config: Config
    intents: tuple[Intent, ...]
    tests: tuple[ConversationTest, ...] = ()
    source: str = ""  # directory it was loaded from ("" when built in memory)
    by_name: Mapping[str, Intent] = field(default_factory=dict, compare=False)
    warnings: tuple[Problem, ...] = field(default=(), compare=False)  # found while loading
    action_files: tuple[str, ...] = ()  # actions/*.py found beside the rules (run elsewhere)

    def __post_init__(self) -> None:
        if not self.by_name:
            object.__setattr__(self, "by_name", MappingProxyType({i.name: i for i in self.intents}))

    def thresholds_for(self, intent: str | None) -> Thresholds:
        found = self.by_name.get(intent) if intent else None
        return found.thresholds if found and found.thresholds else self.config.thresholds
