"""A new message's sentence encoding with OpenBLAS's own threads and with one thread.

Run: .venv/bin/python bench/encoder_threads.py [--rounds 5]
The English encoder (minilm, numpy) and the Korean one (e5) each encode messages they
have not seen (our own sets in bench/data), alternating the two settings round by round
in one process, so both see the same machine. Prints the median ms a message for each
setting and their ratio. `helpline` runs with one thread (helpline/blas.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from threadpoolctl import threadpool_info, threadpool_limits

from helpline.matcher.encoder import SentenceEncoder
from helpline.matcher.korean_encoder import KoreanEncoder

DATA = Path(__file__).resolve().parent / "data"


def texts(name: str) -> list[str]:
    with open(DATA / name, encoding="utf-8") as rows:
        return [json.loads(line)["text"] for line in rows if line.strip()]


def per_message_ms(
    encoder: SentenceEncoder | KoreanEncoder, messages: list[str], tag: str
) -> float:
    times = []
    for text in messages:
        fresh = f"{text} {tag}"  # never encoded before: no cache answers it
        started = time.perf_counter()
        encoder.encode_one(fresh)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--messages", type=int, default=40)
    args = parser.parse_args()
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    own = blas[0]["num_threads"] if blas else "?"
    print(f"BLAS: {blas[0]['internal_api'] if blas else 'none'}, its own threads: {own}")
    english = SentenceEncoder.shipped(), texts("real_en.jsonl")[: args.messages]
    korean = KoreanEncoder.shipped(), texts("real_ko.jsonl")[: args.messages]
    for name, (encoder, messages) in (("English minilm", english), ("Korean e5", korean)):
        encoder.encode_one(messages[0] + " warm")
        figures: dict[str, list[float]] = {"own": [], "one": []}
        for n in range(args.rounds):
            figures["own"].append(per_message_ms(encoder, messages, f"own{n}"))
            with threadpool_limits(limits=1, user_api="blas"):
                figures["one"].append(per_message_ms(encoder, messages, f"one{n}"))
        own_ms, one_ms = (statistics.median(figures[k]) for k in ("own", "one"))
        print(
            f"{name}: {own_ms:.1f} ms a message with BLAS's threads, {one_ms:.1f} with one"
            f" ({own_ms / one_ms:.2f}x), medians of {args.rounds} rounds"
        )


if __name__ == "__main__":
    main()
