"""`helpline eval`: matching or frustration quality on labelled JSON-lines data."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from typing import Any

from helpline.errors import RulesError
from helpline.evaluation import data, intents
from helpline.matcher import build_matcher
from helpline.rules import load_rulebook
from helpline.rules.configfile import ENCODERS, KOREAN_ENCODERS
from helpline.rules.model import Rulebook, Thresholds
from helpline.sentence_model import EncoderMissing


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("eval", help="measure matching or frustration on labelled data")
    parser.add_argument("test", help="JSON lines: {text, intent|null} or {text, frustrated}")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--rules", help="rules directory to match against")
    source.add_argument("--train", help="JSON lines whose labels become the intents")
    parser.add_argument("--calibrate", metavar="VAL", help="pick thresholds on these rows")
    parser.add_argument(
        "--no-clarify", action="store_true", help="answer or fall back, never 'did you mean'"
    )
    parser.add_argument(
        "--dialogue",
        action="store_true",
        help="run each row through the bot's policy as a new conversation: what the customer got",
    )
    parser.add_argument(
        "--show-misses", action="store_true", help="with --dialogue: list the rows gone wrong"
    )
    parser.add_argument(
        "--encoder",
        choices=ENCODERS,
        help="the sentence encoder (matcher.encoder), instead of the rules' config",
    )
    parser.add_argument(
        "--korean-encoder",
        choices=KOREAN_ENCODERS,
        help="the Korean sentence encoder (matcher.korean_encoder), instead of the rules' config",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        rows = data.read_rows(args.test)
        if data.is_frustration_data(rows):
            return _frustration(rows, args)
        if not (args.rules or args.train):
            print("helpline eval: give --rules DIR or --train TRAIN.jsonl", file=sys.stderr)
            return 2
        if args.dialogue:
            return _dialogue(rows, args)
        return _intents(rows, args)
    except RulesError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (OSError, EncoderMissing) as exc:
        print(f"helpline eval: {exc}", file=sys.stderr)
        return 1


def _intents(rows: list[dict[str, Any]], args: argparse.Namespace) -> int:
    started = time.perf_counter()
    rulebook = _rulebook(args)
    matcher = build_matcher(rulebook)
    load_s = time.perf_counter() - started
    thresholds: Thresholds | None = None
    thresholds_for: intents.ThresholdsFor = rulebook.thresholds_for
    if args.calibrate:
        val = intents.predict(matcher, data.read_rows(args.calibrate))
        chosen = intents.calibrate(val, rulebook.config.thresholds)
        thresholds = chosen
        thresholds_for = lambda _intent: chosen  # noqa: E731 - calibration replaces all
    figures = intents.metrics(intents.predict(matcher, rows), thresholds_for, not args.no_clarify)
    shown = thresholds or rulebook.config.thresholds
    figures = {
        **figures,
        "thresholds": {**asdict(shown), "calibrated": bool(args.calibrate)},
        "clarify": not args.no_clarify,
        "intents": len(rulebook.intents),
        "examples": sum(len(x) for i in rulebook.intents for x in i.examples.values()),
        "load_s": round(load_s, 3),
    }
    print(intents.format_table(figures, shown))
    print(json.dumps(figures, ensure_ascii=False))
    return 0


def _dialogue(rows: list[dict[str, Any]], args: argparse.Namespace) -> int:
    from helpline.evaluation import dialogue

    rulebook = _rulebook(args)
    outcomes = dialogue.run(rulebook, build_matcher(rulebook), rows)
    report = dialogue.figures(outcomes)
    if args.show_misses:
        for o in dialogue.misses(outcomes):
            print(f"{o.got:<16} gold={o.gold} got={o.intent} {o.score:.0f} {o.text}")
    print(dialogue.format_table(report))
    print(json.dumps(report, ensure_ascii=False))
    return 0


def _rulebook(args: argparse.Namespace) -> Rulebook:
    if args.rules:
        rulebook = load_rulebook(args.rules)
    else:
        rulebook = data.rulebook_from_rows(data.read_rows(args.train))
    if args.encoder:
        rulebook = replace(rulebook, config=replace(rulebook.config, encoder=args.encoder))
    if args.korean_encoder:
        config = replace(rulebook.config, korean_encoder=args.korean_encoder)
        rulebook = replace(rulebook, config=config)
    return rulebook


def _frustration(rows: list[dict[str, Any]], args: argparse.Namespace) -> int:
    from helpline.evaluation.frustration import frustration_report
    from helpline.rules.model import FrustrationSettings

    settings = load_rulebook(args.rules).config.frustration if args.rules else FrustrationSettings()
    report = frustration_report(rows, settings)
    for key, value in report.items():
        shown = "-" if value is None else (f"{value:.4f}" if isinstance(value, float) else value)
        print(f"{key:<28}{shown!s:>10}")
    print(json.dumps(report, ensure_ascii=False))
    return 0
