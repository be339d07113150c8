"""The matcher's index on disk: read back, it answers exactly as a cold build; changed rules
miss it; a damaged or hostile file is built again and logged; a reload reads back rules
served before; processes starting at once build it once."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fixtures_rules import BASE_INTENTS, CONFIG, intent, write_rules
from helpline.matcher import IndexCache, SoftIdfMatcher, build_matcher
from helpline.matcher.string_table import string_arrays, strings_of
from helpline.rules import load_rulebook
from helpline.rules.model import Rulebook
from helpline.service.rules_holder import RulesHolder

REPO = Path(__file__).parent.parent
BOT_RULES = REPO / "bot_rules"
DEV = REPO / "bench" / "data" / "streamflix_dev.jsonl"


def dev_messages(korean: bool) -> list[str]:
    """Every other message of the bot's dev set in one language, out-of-scope ones too."""
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines()]
    texts = [row["text"] for row in rows]
    return [t for t in texts if any("\uac00" <= c <= "\ud7a3" for c in t) == korean][::2]


def words_only(rulebook: Rulebook) -> Rulebook:
    config = replace(rulebook.config, encoder="none", korean_encoder="none")
    return replace(rulebook, config=config)


def answers(matcher: SoftIdfMatcher, messages: list[str]) -> list[object]:
    return [matcher.match(m, explain=True) for m in messages]


@pytest.fixture(scope="module")
def bot_rulebook() -> Rulebook:
    return load_rulebook(BOT_RULES)


@pytest.fixture(scope="module")
def cold(bot_rulebook: Rulebook) -> SoftIdfMatcher:
    return build_matcher(words_only(bot_rulebook))


@pytest.mark.parametrize("korean", [False, True], ids=["English", "Korean"])
def test_a_read_back_index_answers_exactly_as_a_cold_build(
    tmp_path: Path, bot_rulebook: Rulebook, cold: SoftIdfMatcher, korean: bool
) -> None:
    cache = IndexCache(tmp_path)
    build_matcher(words_only(bot_rulebook), cache)
    read_back = build_matcher(words_only(bot_rulebook), cache)
    assert (cache.built, cache.read) == (1, 1)
    messages = dev_messages(korean)
    assert len(messages) > 50
    assert answers(read_back, messages) == answers(cold, messages)
    index, original = read_back.index, cold.index
    assert np.array_equal(index.classifier.weights, original.classifier.weights)
    assert index.classifier_inputs == original.classifier_inputs  # what evaluations read


@pytest.mark.usefixtures("bot_rules_encoded")
# two builds with both encoders and the dev messages answered twice: it took 279 s of
# the suite's 300 s limit on a busy machine
@pytest.mark.timeout(900)
def test_with_the_sentence_encoders_a_read_back_index_answers_as_a_cold_build(
    tmp_path: Path, bot_rulebook: Rulebook
) -> None:
    cache = IndexCache(tmp_path)
    build_matcher(bot_rulebook, cache)
    read_back = build_matcher(bot_rulebook, cache)
    assert (cache.built, cache.read) == (1, 1)
    cold = build_matcher(bot_rulebook)
    assert read_back.index.encoders == cold.index.encoders != ()
    messages = dev_messages(False)[::3] + dev_messages(True)[::3]
    assert answers(read_back, messages) == answers(cold, messages)
    for centre, expected in zip(read_back.index.centres, cold.index.centres, strict=True):
        assert (centre is None) == (expected is None)
        assert centre is None or np.array_equal(centre, expected)


def test_an_edited_example_misses_the_cache(tmp_path: Path) -> None:
    cache = IndexCache(tmp_path / "cache")
    rules = write_rules(tmp_path / "rules")
    build_matcher(load_rulebook(rules), cache)
    edited = BASE_INTENTS.replace("refund status example two", "where is my money")
    write_rules(rules, {"intents/base.yaml": edited})
    matcher = build_matcher(load_rulebook(rules), cache)
    assert (cache.built, cache.read) == (2, 0)
    assert matcher.match("where is my money", limit=1)[0].intent == "refund_status"


def test_edited_synonyms_miss_the_cache(tmp_path: Path) -> None:
    cache = IndexCache(tmp_path / "cache")
    rules = write_rules(tmp_path / "rules")
    build_matcher(load_rulebook(rules), cache)
    write_rules(rules, {"config.yaml": CONFIG.replace("[pw, pwd]", "[pw, pwd, passcode]")})
    build_matcher(load_rulebook(rules), cache)
    assert (cache.built, cache.read) == (2, 0)


def test_a_matcher_without_a_cache_writes_nothing(tmp_path: Path, cold: SoftIdfMatcher) -> None:
    assert list(tmp_path.iterdir()) == []
    assert cold.index.parts.classifier_inputs is not None  # a cold build keeps its own


def truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def one_byte_changed(path: Path) -> None:
    """A byte among the classifier's numbers: only the zip's CRC tells."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as files:
        member = files.getinfo("classifier_weights.npy")
    data[member.header_offset + 200 + member.file_size // 2] ^= 0x40
    path.write_bytes(bytes(data))


def not_a_zip(path: Path) -> None:
    path.write_bytes(b"\x93NUMPY nonsense" * 100)


def wrong_shapes(path: Path) -> None:
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["meanings"] = arrays["meanings"][:, :3]
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def arrays_changed(path: Path, change: Callable[[dict[str, np.ndarray]], None]) -> None:
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    change(arrays)
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def document_changed(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    def changed(arrays: dict[str, np.ndarray]) -> None:
        document = json.loads(arrays["document"].tobytes())
        change(document)
        arrays["document"] = np.frombuffer(json.dumps(document).encode(), np.uint8)

    arrays_changed(path, changed)


def strings_changed(path: Path, name: str, change: Callable[[list[str]], None]) -> None:
    def changed(arrays: dict[str, np.ndarray]) -> None:
        strings = strings_of(arrays[f"{name}_text"], arrays[f"{name}_lengths"])
        change(strings)
        arrays[f"{name}_text"], arrays[f"{name}_lengths"] = string_arrays(strings)

    arrays_changed(path, changed)


def other_examples(path: Path) -> None:
    """Well made, for this key, but not these rules' examples."""
    strings_changed(path, "texts", lambda texts: texts.__setitem__(0, "other"))


def a_word_made_longer(path: Path) -> None:
    """The words' lengths no longer add up to their text."""

    def changed(arrays: dict[str, np.ndarray]) -> None:
        arrays["words_lengths"] = arrays["words_lengths"].copy()
        arrays["words_lengths"][-1] += 1

    arrays_changed(path, changed)


def words_not_utf8(path: Path) -> None:
    def changed(arrays: dict[str, np.ndarray]) -> None:
        arrays["words_text"] = arrays["words_text"].copy()
        arrays["words_text"][0] = 0xFF

    arrays_changed(path, changed)


def a_document_for_other_rules(path: Path) -> None:
    document_changed(path, lambda document: document.__setitem__("key", "0" * 32))


class _Planted:
    """Unpickling this would create the marker file: a file that runs code when read."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.marker,))


def pickled_objects(path: Path) -> None:
    marker = path.parent / "ran"
    planted = np.empty(1, dtype=object)
    planted[0] = _Planted(marker)
    with open(path, "wb") as file:
        np.savez(file, document=planted, meanings=planted)
    with np.load(path, allow_pickle=True) as stored:  # the trap works when pickles are read
        stored["document"]
    assert marker.exists()
    marker.unlink()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [(truncated, "not a zip file"), (one_byte_changed, "Bad CRC-32"),
     (not_a_zip, "not an .npz file"), (wrong_shapes, "meanings: shape"),
     (a_document_for_other_rules, "for other rules"), (other_examples, "not the rules' own"),
     (a_word_made_longer, "words: the lengths do not add up"),
     (words_not_utf8, "words: not UTF-8"),
     (pickled_objects, "allow_pickle=False")],
)  # fmt: skip
def test_a_damaged_or_hostile_index_file_is_built_again_and_logged(
    tmp_path: Path, bot_rulebook: Rulebook, cold: SoftIdfMatcher,
    damage: Callable[[Path], None], reason: str, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    rulebook = words_only(bot_rulebook)
    build_matcher(rulebook, IndexCache(tmp_path))
    (path,) = tmp_path.glob("index-*.npz")
    damage(path)
    cache = IndexCache(tmp_path)
    with caplog.at_level(logging.WARNING):
        matcher = build_matcher(rulebook, cache)
    assert (cache.built, cache.read) == (1, 0)
    (said,) = [r.getMessage() for r in caplog.records if "unusable" in r.getMessage()]
    assert reason in said
    assert not (tmp_path / "ran").exists()
    messages = dev_messages(False)[::4] + dev_messages(True)[::4]
    assert answers(matcher, messages) == answers(cold, messages)
    again = IndexCache(tmp_path)
    build_matcher(rulebook, again)  # the file was written whole again
    assert (again.built, again.read) == (0, 1)


def test_an_unwritable_cache_folder_is_said_once_and_the_matcher_works(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    cache = IndexCache(blocked / "cache")
    rules = load_rulebook(write_rules(tmp_path / "rules"))
    with caplog.at_level(logging.WARNING):
        build_matcher(rules, cache)
        matcher = build_matcher(rules, cache)
    assert [r for r in caplog.records if "not kept on disk" in r.getMessage()] != []
    assert len([r for r in caplog.records if "not kept on disk" in r.getMessage()]) == 1
    assert matcher.match("refund status example two", limit=1)[0].intent == "refund_status"


async def test_a_reload_reads_back_the_index_of_rules_served_before(tmp_path: Path) -> None:
    cache = IndexCache(tmp_path / "cache")
    first = load_rulebook(write_rules(tmp_path / "a"))
    extra = BASE_INTENTS + intent("lost_card")
    second = load_rulebook(write_rules(tmp_path / "b", {"intents/base.yaml": extra}))
    holder = RulesHolder(first, cache)
    await holder.replace(second)
    assert (cache.built, cache.read) == (2, 0)
    await holder.replace(first)  # the edit undone
    assert (cache.built, cache.read) == (2, 1)
    reply = holder.current.matcher.match("refund status example two", limit=1)
    assert reply[0].intent == "refund_status"


def test_a_restarted_node_reads_back_the_index_the_first_start_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from helpline.settings import Settings
    from helpline.web.app import create_app

    monkeypatch.setenv("HELPLINE_CACHE_DIR", str(tmp_path / "cache"))
    settings = Settings(rules_dir=write_rules(tmp_path / "rules"), database_url="unused.db")
    create_app(settings)
    assert len(list((tmp_path / "cache").glob("index-*.npz"))) == 1
    with caplog.at_level(logging.INFO, logger="helpline.matcher.index_cache"):
        create_app(settings)
    assert [r for r in caplog.records if "read back" in r.getMessage()] != []


BUILD_ONCE = """
import sys
from pathlib import Path
from helpline.matcher import IndexCache, build_matcher
from helpline.rules import load_rulebook
cache = IndexCache(Path(sys.argv[1]))
build_matcher(load_rulebook(Path(sys.argv[2])), cache)
print(cache.built, cache.read)
"""


def test_processes_starting_at_once_build_the_index_once(tmp_path: Path) -> None:
    rules = shutil.copytree(BOT_RULES, tmp_path / "bot")  # about 2,000 examples: a moment
    config = rules / "config.yaml"
    text = config.read_text(encoding="utf-8").replace("encoder: minilm", "encoder: none")
    config.write_text(text.replace("encoder: e5", "encoder: none"), encoding="utf-8")
    command = [sys.executable, "-c", BUILD_ONCE, str(tmp_path / "cache"), str(rules)]
    starts = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    said = [start.communicate(timeout=120)[0].split() for start in starts]
    assert [start.returncode for start in starts] == [0, 0, 0]
    assert sorted(said) == [["0", "1"], ["0", "1"], ["1", "0"]]
    assert list((tmp_path / "cache").glob("*.tmp")) == []
