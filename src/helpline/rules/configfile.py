"""config.yaml: check every setting an author can write and build the Config from it."""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from helpline import sentence_model
from helpline.errors import ConfigError
from helpline.hours import BusinessHours, parse_business_hours, parse_hours
from helpline.routing import QueueSettings, settings_from
from helpline.rules.alertsfile import read_alerts
from helpline.rules.attachmentsfile import read_attachments
from helpline.rules.model import Config, FrustrationSettings, Thresholds
from helpline.rules.reader import key_line, line_of
from helpline.rules.report import Report, did_you_mean
from helpline.rules.slaconfig import read_sla
from helpline.rules.texts import BUILTIN_TEXTS
from helpline.scope import Scope
from helpline.sentence_model import NAME as ENCODER

HOURS_KEYS = ("timezone", "weekdays", "holidays")
CONFIG_KEYS = (
    "languages",
    "default_language",
    "thresholds",
    "max_fallbacks",
    "human_intent",
    "frustration",
    "synonyms",
    "texts",
    "business_hours",
    "queue",
    "matcher",
    "scope",
    "alerts",
    "sla",
    "attachments",
)
THRESHOLD_KEYS = ("answer", "clarify", "ambiguity")
FRUSTRATION_KEYS = ("escalate_at", "half_life_s", "enabled")
MATCHER_KEYS = ("encoder", "korean_encoder")
SCOPE_KEYS = ("ours", "not_ours", "not_answered")
ENCODERS = ("none", ENCODER)  # matcher.encoder: off, or the sentence encoder
KOREAN_ENCODERS = ("none", sentence_model.KOREAN_NAME)  # matcher.korean_encoder
MAX_FALLBACKS = 20


@dataclass(frozen=True)
class ParsedConfig:
    config: Config
    languages_known: bool  # False when `languages` itself is wrong: skip per-language checks
    human_intent_line: int  # 0 when the author left human_intent to its default


def read_config(data: Any, report: Report) -> ParsedConfig:
    """Check config.yaml's value; always returns a Config (defaults where it is wrong)."""
    if not isinstance(data, Mapping):
        if data is not None:
            report.error(
                line_of(data), f"config must be a mapping of settings, not {type(data).__name__}"
            )
        return ParsedConfig(Config(), False, 0)
    report.unknown_keys(data, CONFIG_KEYS, "")
    report.required(data, ("languages",), "config")
    languages = _languages(data, report)
    default = Config()
    values: dict[str, Any] = {"languages": languages or default.languages}
    values["default_language"] = _default_language(data, report, values["languages"])
    if "thresholds" in data:
        values["thresholds"] = read_thresholds(data, "thresholds", report, default.thresholds, "")
    if "max_fallbacks" in data:
        values["max_fallbacks"] = report.whole(
            data, "max_fallbacks", "max_fallbacks", 1, MAX_FALLBACKS
        )
    if "human_intent" in data:
        values["human_intent"] = report.text(data, "human_intent", "human_intent")
    if "frustration" in data:
        values["frustration"] = _frustration(data, report)
    if "synonyms" in data:
        values["synonyms"] = _synonyms(data, report)
    values["texts"] = _texts(data, report, languages) if "texts" in data else {}
    if "matcher" in data:
        values["encoder"], values["korean_encoder"] = _encoders(data, report)
    if "scope" in data:
        values["scope"] = _scope(data, report)
    if "business_hours" in data:
        values["business_hours"] = _business_hours(data, report)
    if "queue" in data:
        values["queue"] = _queue(data, report)
    if "alerts" in data:
        values["alerts"] = read_alerts(data, report)
    if "sla" in data:
        values["sla"] = read_sla(data, report)
    if "attachments" in data:
        values["attachments"] = read_attachments(data, report)
    _warn_unknown_texts(data, report, data.get("texts"))
    clean = {k: v for k, v in values.items() if v is not None}
    line = key_line(data, "human_intent") if "human_intent" in clean else 0
    return ParsedConfig(Config(**clean), languages is not None, line)


def read_thresholds(
    data: Any, key: str, report: Report, base: Thresholds, context: str
) -> Thresholds | None:
    """A thresholds mapping; keys it leaves out keep base's values."""
    what = f"{context}thresholds"
    found = report.mapping(data, key, what)
    if found is None:
        return None
    report.unknown_keys(found, THRESHOLD_KEYS, what)
    values = {
        name: report.number(found, name, f"{what}: {name}", 0, 100)
        for name in THRESHOLD_KEYS
        if name in found
    }
    if any(v is None for v in values.values()):
        return None
    merged = Thresholds(**{**base.__dict__, **values})
    if merged.clarify > merged.answer:
        report.error(
            line_of(found),
            f"{what}: clarify ({merged.clarify:g}) is above answer ({merged.answer:g}); "
            "the bot would never ask 'did you mean'",
        )
        return None
    return merged


def _languages(data: Mapping[str, Any], report: Report) -> tuple[str, ...] | None:
    if "languages" not in data:
        return None
    found = report.text_list(data, "languages", "languages")
    if found is None or len(found) != len(_as_list(data["languages"])):
        return None
    if not found:
        report.error(line_of(data, "languages"), "languages is empty; name at least one")
        return None
    if len(set(found)) != len(found):
        report.error(line_of(data, "languages"), "languages names a language twice")
        return None
    return found


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _default_language(data: Mapping[str, Any], report: Report, languages: tuple[str, ...]) -> str:
    if "default_language" not in data:
        return "ko" if "ko" in languages else languages[0]
    found = report.text(data, "default_language", "default_language")
    if found is not None and found not in languages:
        hint = did_you_mean(found, languages)
        report.error(
            line_of(data, "default_language"),
            f"default_language {found!r} is not one of languages {list(languages)}{hint}",
        )
    return found if found in languages else languages[0]


def _frustration(data: Mapping[str, Any], report: Report) -> FrustrationSettings | None:
    found = report.mapping(data, "frustration", "frustration")
    if found is None:
        return None
    report.unknown_keys(found, FRUSTRATION_KEYS, "frustration")
    values: dict[str, Any] = {}
    if "escalate_at" in found:
        values["escalate_at"] = report.number(
            found, "escalate_at", "frustration: escalate_at", 0.01, 1
        )
    if "half_life_s" in found:
        values["half_life_s"] = report.number(
            found, "half_life_s", "frustration: half_life_s", 1, 86400
        )
    if "enabled" in found:
        values["enabled"] = report.flag(found, "enabled", "frustration: enabled")
    if any(v is None for v in values.values()):
        return None
    return FrustrationSettings(**values)


def _encoders(data: Mapping[str, Any], report: Report) -> tuple[str | None, str | None]:
    """matcher.encoder and matcher.korean_encoder. A model that is asked for but not
    installed is a warning, not an error, and the rules load on words alone ("none"): a
    missing optional model must not keep a node from starting (`helpline serve` logs it)."""
    found = report.mapping(data, "matcher", "matcher")
    if found is None:
        return None, None
    report.unknown_keys(found, MATCHER_KEYS, "matcher")
    english = _encoder(
        found, report, "encoder", ENCODERS, sentence_model.model_zip, sentence_model.WORDS_ONLY
    )
    korean = _encoder(
        found, report, "korean_encoder", KOREAN_ENCODERS, sentence_model.korean_model,
        sentence_model.KOREAN_WORDS_ONLY,
    )  # fmt: skip
    return english, korean


def _encoder(
    found: Mapping[str, Any],
    report: Report,
    key: str,
    choices: tuple[str, ...],
    installed: Callable[[], object | None],
    missing: str,
) -> str | None:
    """One of the matcher's encoder settings: one of choices, "none" when not installed."""
    if key not in found:
        return None
    name = report.text(found, key, f"matcher: {key}")
    if name is None:
        return None
    if name not in choices:
        hint = did_you_mean(name, choices)
        report.error(
            line_of(found, key), f"matcher: {key} {name!r} is not one of {list(choices)}{hint}"
        )
        return None
    if name != "none" and installed() is None:
        report.warn(line_of(found, key), missing)
        return "none"
    return name


def _scope(data: Mapping[str, Any], report: Report) -> Scope | None:
    """scope: {ours: [names], not_ours: [names and subjects], not_answered: [subjects]},
    each a list of texts."""
    found = report.mapping(data, "scope", "scope")
    if found is None:
        return None
    report.unknown_keys(found, SCOPE_KEYS, "scope")
    lists = {
        key: report.text_list(found, key, f"scope: {key}") or () for key in SCOPE_KEYS
        if key in found
    }  # fmt: skip
    return Scope(**lists)


def _synonyms(data: Mapping[str, Any], report: Report) -> Mapping[str, tuple[str, ...]] | None:
    found = report.mapping(data, "synonyms", "synonyms")
    if found is None:
        return None
    result: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for canonical in found:
        variants = report.text_list(found, canonical, f"synonyms: {canonical!r}")
        if variants is None:
            continue
        for variant in variants:
            if variant in owner and owner[variant] != canonical:
                report.warn(
                    line_of(found, canonical),
                    f"synonyms: {variant!r} is listed under both "
                    f"{owner[variant]!r} and {canonical!r}; only one can apply",
                )
            owner.setdefault(variant, canonical)
        result[canonical] = variants
    return MappingProxyType(result)


def _texts(
    data: Mapping[str, Any], report: Report, languages: tuple[str, ...] | None
) -> Mapping[str, Mapping[str, str]] | None:
    found = report.mapping(data, "texts", "texts")
    if found is None:
        return None
    result: dict[str, Mapping[str, str]] = {}
    for key in found:
        by_lang = report.mapping(found, key, f"text {key!r}")
        if by_lang is None:
            continue
        result[key] = MappingProxyType(_text_versions(by_lang, report, key, languages))
    return MappingProxyType(result)


def _text_versions(
    by_lang: Mapping[str, Any], report: Report, key: str, languages: tuple[str, ...] | None
) -> dict[str, str]:
    versions: dict[str, str] = {}
    for lang in by_lang:
        what = f"text {key!r} ({lang})"
        if languages is not None and lang not in languages:
            hint = did_you_mean(lang, languages)
            report.error(
                key_line(by_lang, lang), f"text {key!r}: {lang!r} is not one of languages{hint}"
            )
            continue
        text = report.text(by_lang, lang, what)
        if text is not None and _placeholders_ok(text, report, line_of(by_lang, lang), what):
            versions[lang] = text
    for lang in languages or ():
        if lang not in by_lang:
            report.warn(
                line_of(by_lang),
                f"text {key!r} has no {lang!r} version; customers "
                "writing in it get the default language's",
            )
    return versions


def _placeholders_ok(text: str, report: Report, line: int, what: str) -> bool:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        report.error(
            line, f"{what} has an unmatched {{ or }}; write {{{{ or }}}} for a literal brace"
        )
        return False
    if any(not name.isidentifier() for name in fields):
        report.error(line, f"{what}: placeholders look like {{name}}; found {fields}")
        return False
    return True


def _business_hours(data: Mapping[str, Any], report: Report) -> BusinessHours | None:
    """Hours are read when a customer is handed over; a mistake must surface here instead."""
    found = report.mapping(data, "business_hours", "business_hours")
    if found is None:
        return None
    errors = report.error_count()
    _check_business_hours(found, report)
    return parse_business_hours(found) if report.error_count() == errors else None


def _check_business_hours(hours: Mapping[str, Any], report: Report) -> None:
    _try_hours(hours, "business_hours", report)
    teams = hours.get("teams") or {}
    if not isinstance(teams, Mapping):
        report.error(line_of(hours, "teams"), "business_hours.teams: should map teams to hours")
        return
    for team, own in teams.items():
        if not isinstance(own, Mapping):
            where = line_of(teams, str(team))
            report.error(where, f"business_hours.teams.{team}: should be a mapping")
            continue
        _try_hours(own, f"business_hours.teams.{team}", report)


def _try_hours(hours: Mapping[str, Any], what: str, report: Report) -> None:
    """Each key on its own, so the error points at the line that is wrong."""
    for key, value in hours.items():
        if key == "teams" and what == "business_hours":
            continue
        if key not in HOURS_KEYS:
            hint = did_you_mean(str(key), HOURS_KEYS)
            report.error(key_line(hours, str(key)), f"{what}: unknown key {key!r}{hint}")
            continue
        try:
            parse_hours({key: value})
        except ValueError as exc:
            report.error(line_of(hours, str(key)), f"{what}: {exc}")


def _queue(data: Mapping[str, Any], report: Report) -> QueueSettings | None:
    queue = report.mapping(data, "queue", "queue")
    if queue is None:
        return None
    known = [f.name for f in fields(QueueSettings)]
    for key in queue:
        if key not in known:
            hint = did_you_mean(str(key), known)
            report.error(key_line(queue, str(key)), f"queue: unknown key {key!r}{hint}")
    try:
        return settings_from(queue)
    except ConfigError as exc:
        name = exc.setting.removeprefix("queue.")
        report.error(line_of(queue, name), f"{exc.setting}: {exc.reason}")
        return None


def _warn_unknown_texts(data: Mapping[str, Any], report: Report, texts: Any) -> None:
    """A text under a name nothing says is almost always a typo of one that is said."""
    if not isinstance(texts, Mapping):
        return
    for key in texts:
        # category_<name>: how the bot names a category when it lists what it can help with
        if key not in BUILTIN_TEXTS and not str(key).startswith("category_"):
            line = key_line(texts, str(key)) or line_of(data)
            hint = did_you_mean(str(key), BUILTIN_TEXTS)
            report.warn(line, f"texts: nothing says {key!r}{hint}; it is never shown")
