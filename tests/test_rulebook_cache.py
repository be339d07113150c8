"""Checked rules read back from disk are the rules a cold load of the same files gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures_rules import TESTS, intent, write_rules
from helpline.errors import RulesError
from helpline.rules import Rulebook, load_rulebook
from helpline.rules.rulebook_cache import RulebookCache

BOT_RULES = Path(__file__).resolve().parent.parent / "bot_rules"

# every kind of value an intent and a test carry, and warnings from two files
RICH = {
    "intents/more.yaml": "intents:\n"
    + intent(
        "late_refund",
        "category: billing",
        "quick_replies: [talk_to_agent]",
        "escalate: true",
        "priority: urgent",
        "action: action_check_refund",
        "title: {en: Refunds}",
        "thresholds: {answer: 70, clarify: 50.5}",
        en=2,
    ),
    "intents/notes.txt": "not rules",
    "tests/flows.yaml": TESTS,
}


def same(kept: Rulebook, cold: Rulebook) -> None:
    """Equal in every field, the ones a Rulebook leaves out of == too."""
    assert kept == cold
    assert kept.warnings == cold.warnings
    assert [vars(i) for i in kept.intents] == [vars(i) for i in cold.intents]
    assert [vars(t) for t in kept.tests] == [vars(t) for t in cold.tests]
    assert dict(kept.by_name) == dict(cold.by_name)


def loaded_twice(root: Path, cache: RulebookCache) -> Rulebook:
    load_rulebook(root, cache)
    kept = load_rulebook(root, cache)
    assert (cache.written, cache.read) == (1, 1)
    return kept


def test_rules_read_back_are_the_cold_loads_rules(tmp_path: Path) -> None:
    root = write_rules(tmp_path / "rules", RICH)
    cold = load_rulebook(root)
    assert len(cold.warnings) == 2 and cold.tests  # what is kept has something to lose
    same(loaded_twice(root, RulebookCache(tmp_path / "cache")), cold)


def test_the_shipped_rules_read_back_are_the_cold_loads_rules(tmp_path: Path) -> None:
    same(loaded_twice(BOT_RULES, RulebookCache(tmp_path)), load_rulebook(BOT_RULES))


def kinds(rulebook: Rulebook) -> list[type]:
    late = rulebook.by_name["late_refund"]
    assert late.thresholds is not None
    values = (late.thresholds.answer, late.thresholds.clarify, late.examples, late.answer)
    return [type(v) for v in (*values, late.examples["en"], late.quick_replies, late.escalate)]


def test_a_value_read_back_keeps_its_type(tmp_path: Path) -> None:
    root = write_rules(tmp_path / "rules", RICH)
    kept = loaded_twice(root, RulebookCache(tmp_path / "cache"))
    assert kinds(kept) == kinds(load_rulebook(root))


@pytest.mark.parametrize(
    "edit",
    [
        ("intents/more.yaml", RICH["intents/more.yaml"].replace("example one", "example 1")),
        ("intents/extra.yaml", "intents:\n" + intent("new_one")),
        ("tests/flows.yaml", TESTS.replace("where is my refund", "my refund, where is it")),
        ("config.yaml", None),  # late_refund's own thresholds take the config's ambiguity
    ],
)
def test_an_edited_or_new_file_is_read_again(tmp_path: Path, edit: tuple[str, str | None]) -> None:
    root = write_rules(tmp_path / "rules", RICH)
    cache = RulebookCache(tmp_path / "cache")
    before = load_rulebook(root, cache)
    relative, text = edit
    if text is None:
        config = (root / relative).read_text()
        text = config.replace("ambiguity: 5}", "ambiguity: 7}")
    (root / relative).write_text(text, encoding="utf-8")
    kept = load_rulebook(root, cache)
    assert cache.read == 0 and kept != before
    same(kept, load_rulebook(root))


def test_a_damaged_file_is_ignored_and_written_again(tmp_path: Path) -> None:
    root = write_rules(tmp_path / "rules", RICH)
    cache = RulebookCache(tmp_path / "cache")
    load_rulebook(root, cache)
    (kept_file,) = (tmp_path / "cache").glob("rules-*.json")
    whole = kept_file.read_bytes()
    kept_file.write_bytes(whole.replace(b"late_refund", b"late_rufend"))
    same(load_rulebook(root, cache), load_rulebook(root))
    assert (cache.read, cache.written) == (0, 2)
    assert kept_file.read_bytes() == whole
    assert load_rulebook(root, cache) == load_rulebook(root) and cache.read == 1


def test_a_file_cut_short_is_ignored(tmp_path: Path) -> None:
    root = write_rules(tmp_path / "rules")
    cache = RulebookCache(tmp_path / "cache")
    load_rulebook(root, cache)
    (kept_file,) = (tmp_path / "cache").glob("rules-*.json")
    kept_file.write_bytes(kept_file.read_bytes()[:-40])
    same(load_rulebook(root, cache), load_rulebook(root))
    assert cache.read == 0


def test_rules_with_errors_are_not_kept(tmp_path: Path) -> None:
    root = write_rules(tmp_path / "rules", {"intents/bad.yaml": "intents:\n  - name: Bad\n"})
    cache = RulebookCache(tmp_path / "cache")
    for _ in range(2):
        with pytest.raises(RulesError):
            load_rulebook(root, cache)
    assert cache.written == 0 and not list((tmp_path / "cache").glob("rules-*"))


def test_rules_load_when_the_folder_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder would be")
    root = write_rules(tmp_path / "rules")
    cache = RulebookCache(tmp_path / "taken" / "cache")
    assert load_rulebook(root, cache) == load_rulebook(root)
    assert cache.written == 0


def test_only_the_most_recently_used_files_are_kept(tmp_path: Path) -> None:
    cache = RulebookCache(tmp_path / "cache", keep=2)
    for n in range(4):
        root = write_rules(tmp_path / f"rules-{n}")
        load_rulebook(root, cache)
    assert len(list((tmp_path / "cache").glob("rules-*.json"))) == 2
