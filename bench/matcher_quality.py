"""Matching quality on every public data set at once, with the operating point asked for.

Run: .venv/bin/python bench/matcher_quality.py [--encoder minilm] [--korean-encoder e5] [name ...]
Data: ../shared/bench relative to the repository, or $HELPLINE_BENCH_DATA.

For each data set it prints what `helpline eval --train TRAIN VAL --calibrate VAL
--no-clarify` prints (in-scope accuracy and out-of-scope recall at the threshold that
maximises their mean), the closed-set accuracy (top-1), and the in-scope accuracy at the
highest threshold that still rejects the target share of out-of-scope messages: how far
the scores are from the target, whatever threshold calibration picks. banking77 and bitext
have no validation part; they are scored closed-set on every 10th training row that is not
among the 10-shot examples.

These are validation figures, for development: the test parts are scored elsewhere.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpline.evaluation import intents
from helpline.evaluation.data import read_rows, rulebook_from_rows
from helpline.matcher import build_matcher
from helpline.rules.model import Config

REPO = Path(__file__).resolve().parent.parent
HELD_OUT_STRIDE = 10  # banking77 and bitext: every 10th training row, 10-shot rows left out


@dataclass(frozen=True)
class DataSet:
    name: str
    train: str  # file under the data folder
    test: str | None  # None: held-out training rows (closed set)
    target: tuple[float, float]  # in-scope accuracy, out-of-scope recall (0 when closed set)


SETS = (
    DataSet("clinc150", "clinc150/train.jsonl", "clinc150/val.jsonl", (92, 88)),
    DataSet("clinc150-10shot", "clinc150/train_10shot.jsonl", "clinc150/val.jsonl", (78, 88)),
    DataSet("parakqc", "parakqc/train.jsonl", "parakqc/val.jsonl", (86, 88)),
    DataSet("parakqc-1shot", "parakqc/train_1shot.jsonl", "parakqc/val.jsonl", (68, 90)),
    DataSet("banking77-10shot", "banking77/train_10shot.jsonl", None, (80, 0)),
    DataSet("bitext-10shot", "bitext/train_10shot.jsonl", None, (80, 0)),
)


def data_dir() -> Path:
    configured = os.environ.get("HELPLINE_BENCH_DATA")
    return Path(configured) if configured else REPO.parent / "shared" / "bench"


def held_out(folder: Path, train_file: str) -> list[dict[str, Any]]:
    """Every 10th row of the full training file that the few-shot file does not hold."""
    full = read_rows(folder / train_file.replace("_10shot", ""))
    shots = {json.dumps(row, sort_keys=True) for row in read_rows(folder / train_file)}
    return [
        row
        for n, row in enumerate(full)
        if n % HELD_OUT_STRIDE == 0 and json.dumps(row, sort_keys=True) not in shots
    ]


def accuracy_at_recall(predictions: list[intents.Prediction], recall: float) -> float:
    """In-scope accuracy (%) at the lowest threshold that still rejects `recall` per cent
    of the out-of-scope rows."""
    in_scope = sum(1 for p in predictions if p.gold is not None)
    oos = len(predictions) - in_scope
    right = answered_oos = 0
    best = 0.0
    for p in sorted(predictions, key=lambda p: -p.score):
        right += p.gold is not None and p.intent == p.gold
        answered_oos += p.gold is None
        if 100.0 * (oos - answered_oos) / oos >= recall:
            best = 100.0 * right / in_scope
    return best


def measure(
    folder: Path, data: DataSet, encoder: str = "none", korean_encoder: str = "none"
) -> dict[str, Any]:
    started = time.perf_counter()
    config = Config(encoder=encoder, korean_encoder=korean_encoder)
    rulebook = rulebook_from_rows(read_rows(folder / data.train), config)
    matcher = build_matcher(rulebook)
    load_s = time.perf_counter() - started
    rows = read_rows(folder / data.test) if data.test else held_out(folder, data.train)
    predictions = intents.predict(matcher, rows)
    chosen = intents.calibrate(predictions, rulebook.config.thresholds)
    figures = intents.metrics(predictions, lambda _intent: chosen, False)
    result = {
        "name": data.name,
        "top1": figures["closed_set_accuracy"],
        "in_scope": figures["in_scope_accuracy"],
        "oos_recall": figures["oos_recall"],
        "target": list(data.target),
        "load_s": round(load_s, 2),
    }
    if data.target[1]:
        result["in_scope_at_target_recall"] = round(
            accuracy_at_recall(predictions, data.target[1]), 1
        )
    return result


def main(names: list[str]) -> int:
    encoders = {"--encoder": "none", "--korean-encoder": "none"}
    while names[:1] and names[0] in encoders:
        encoders[names[0]], names = names[1], names[2:]
    encoder, korean_encoder = encoders["--encoder"], encoders["--korean-encoder"]
    folder = data_dir()
    chosen = [d for d in SETS if not names or d.name in names]
    if not chosen:
        print(f"unknown data set; choose from {', '.join(d.name for d in SETS)}", file=sys.stderr)
        return 2
    print(f"{'data':<18}{'top-1':>7}{'in-scope':>10}{'oos':>7}{'in@target':>11}"
          f"{'target':>12}{'load s':>8}")  # fmt: skip
    results = []
    for data in chosen:
        r = measure(folder, data, encoder, korean_encoder)
        results.append(r)
        at = r.get("in_scope_at_target_recall")
        target = "/".join(f"{t:g}" for t in data.target if t)
        print(
            f"{r['name']:<18}{r['top1']:>7.1f}{_pct(r['in_scope']):>10}{_pct(r['oos_recall']):>7}"
            f"{_pct(at):>11}{target:>12}{r['load_s']:>8.2f}",
            flush=True,
        )
    print(json.dumps(results))
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
