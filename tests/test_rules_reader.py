"""The YAML reader: safe, line-keeping, and strict about what hand-written rules should be."""

from __future__ import annotations

from typing import Any

import pytest

from helpline.errors import Problem
from helpline.rules.reader import Map, Seq, key_line, line_of, parse_yaml, raw_text


def parsed(text: str) -> tuple[Any, list[Problem]]:
    return parse_yaml(text, "rules.yaml")


def test_every_value_knows_its_line() -> None:
    value, problems = parsed("a: 1\nb:\n  - x\n  - y\nc:\n  d: e\n")
    assert problems == []
    assert isinstance(value, Map) and isinstance(value["b"], Seq)
    assert (key_line(value, "b"), line_of(value, "b"), line_of(value["b"], 1)) == (2, 3, 4)
    assert line_of(value["c"], "d") == 6


def test_keys_stay_the_text_the_author_typed() -> None:
    value, _ = parsed("no: Norwegian\n1: one\n")
    assert list(value) == ["no", "1"]


def test_a_value_yaml_reads_as_non_text_keeps_its_source_text() -> None:
    value, _ = parsed("answers: [yes, 3.0, ok]\n")
    assert value["answers"] == [True, 3.0, "ok"]
    assert (raw_text(value["answers"], 0), raw_text(value["answers"], 1)) == ("yes", "3.0")


def test_a_duplicate_key_is_reported_at_its_second_line() -> None:
    _, problems = parsed("a: 1\nb: 2\na: 3\n")
    assert [str(p) for p in problems] == [
        "rules.yaml:3: key 'a' appears twice in one mapping (first on line 1)"
    ]


def test_merge_keys_fill_in_what_the_mapping_leaves_out() -> None:
    value, problems = parsed("base: &b {x: 1, y: 2}\nown:\n  <<: *b\n  y: 3\n")
    assert problems == []
    assert value["own"] == {"x": 1, "y": 3}


@pytest.mark.parametrize(
    "text",
    ["a: !!python/object/apply:os.system [echo hi]\n", "a: !custom x\n"],
    ids=["python object", "custom tag"],
)
def test_tags_beyond_plain_yaml_are_refused(text: str) -> None:
    _, problems = parsed(text)
    assert len(problems) == 1 and "unsupported YAML tag" in problems[0].message


def test_an_alias_inside_itself_is_an_error_not_a_hang() -> None:
    _, problems = parsed("a: &x [1, *x]\n")
    assert [p.message for p in problems] == ["an alias refers to the value that contains it"]


def test_shared_aliases_are_built_once() -> None:
    # nine levels of nine aliases would be 387 million strings if each were copied
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 10)]
    value, problems = parsed("\n".join(lines) + "\n")
    assert problems == []
    assert value["l9"][0] is value["l9"][1]


def test_very_deep_nesting_is_an_error_not_a_crash() -> None:
    _, problems = parsed("[" * 5000 + "]" * 5000 + "\n")
    assert [p.message for p in problems] == ["nested too deeply"]


def test_two_documents_in_one_file_are_an_error() -> None:
    _, problems = parsed("a: 1\n---\nb: 2\n")
    assert [(p.line, p.message) for p in problems] == [
        (2, "YAML syntax error: a second document (---) in one file; keep one document per file")
    ]


def test_a_syntax_error_names_where_an_unclosed_list_began() -> None:
    _, problems = parsed("a: [1, 2\nb: 3\n")
    assert [(p.line, p.message) for p in problems] == [
        (2, "YAML syntax error: did not find expected ',' or ']' "
            "(while parsing a flow sequence started on line 1)"),
    ]  # fmt: skip


def test_a_file_of_only_comments_is_empty() -> None:
    assert parsed("# nothing here\n") == (None, [Problem("rules.yaml", 0, "file is empty")])
