"""Rules directories of real customer wording at 15,000 and 50,000 examples, for the start
benchmarks (serve_start.py, rules_load.py).

15,000: clinc150's training set (150 intents, English; the few texts it repeats left out
and made up from banking77). 50,000: the four public training sets (clinc150, banking77,
bitext, ParaKQC: 37,178 examples, 4,000 of them Korean), then clinc150's examples again
under copies of its intents, each with a polite word added, up to 50,000. Data:
../shared/bench relative to the repository, or $HELPLINE_BENCH_DATA.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from helpline.text import normalize

REPO = Path(__file__).resolve().parent.parent
SETS = ("clinc150", "banking77", "bitext", "parakqc")
POLITE = (" please", " thanks", " thank you", " pls")


def data_dir() -> Path:
    configured = os.environ.get("HELPLINE_BENCH_DATA")
    return Path(configured) if configured else REPO.parent / "shared" / "bench"


def labelled(name: str) -> list[tuple[str, str]]:
    """(intent, text) of a set's training part, its intents named after the set."""
    lines = (data_dir() / name / "train.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [(f"{name}_{_snake(row['intent'])}", row["text"]) for row in rows if row.get("intent")]


def _snake(label: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", label.lower().replace("-", "_").replace(" ", "_"))


def rows() -> Iterator[tuple[str, str]]:
    """(intent, text) rows without end: the sets in the order above, then clinc150 again."""
    for name in SETS:
        yield from labelled(name)
    clinc = labelled("clinc150")
    for again in itertools.count():
        polite = POLITE[again % len(POLITE)]
        for name, text in clinc:
            yield f"{name}_again{again}", text + polite


def write_rules(root: Path, examples: int, encoder: str, korean_encoder: str) -> Path:
    """A rules directory of `examples` examples, the sentence encoders as given."""
    grouped: dict[str, list[str]] = {}
    seen: set[str] = set()  # the loader refuses a text (as normalised) given twice
    for name, text in rows():
        if (key := normalize(text, "en")) and key not in seen:
            seen.add(key)
            grouped.setdefault(name, []).append(text)
            if len(seen) == examples:
                break
    first = next(iter(grouped))
    (root / "intents").mkdir(parents=True)
    (root / "config.yaml").write_text(
        # one language, so an intent needs examples and an answer in only one: the
        # matcher reads every example whatever language it is listed under
        "languages: [en]\ndefault_language: en\n"
        f"human_intent: {first}\n"
        f"matcher:\n  encoder: {encoder}\n  korean_encoder: {korean_encoder}\n",
        encoding="utf-8",
    )
    files: list[list[str]] = []  # about 2,000 examples a file: the loader takes 1 MiB
    for number, (name, texts) in enumerate(grouped.items()):
        if number % (len(grouped) * 2_000 // examples + 1) == 0:
            files.append(["intents:"])
        files[-1] += [f"  - name: {name}", "    category: general", "    examples:", "      en:"]
        files[-1] += [f"        - {json.dumps(text, ensure_ascii=False)}" for text in texts]
        files[-1] += ["    answer:", f"      en: The answer about {name}."]
    for number, lines in enumerate(files):
        path = root / "intents" / f"part{number:02}.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root
