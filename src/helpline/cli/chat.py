"""`helpline chat`: talk to the rules in the terminal, with intent, score and decision."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from helpline.dialogue import greet, respond
from helpline.errors import RulesError
from helpline.matcher import Candidate, Matcher, build_matcher
from helpline.rules import load_rulebook
from helpline.rules.model import Rulebook
from helpline.turn import Button, ConversationState, Inbound, Turn

_DIM, _RESET = "\x1b[2m", "\x1b[0m"
_QUIT = "/quit"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("chat", help="talk to the bot in the terminal")
    parser.add_argument("--rules", default="bot_rules", help="rules directory (bot_rules)")
    parser.add_argument("--lang", choices=("ko", "en"), help="language before you write")
    parser.add_argument("--name", help="greet the customer by this name")
    parser.add_argument(
        "--explain", action="store_true", help="show the top intents and their evidence"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    loaded = load(args.rules)
    if loaded is None:
        return 1
    rulebook, matcher = loaded
    session = _Session(rulebook, matcher, args.explain, sys.stdout)
    state = ConversationState(language=args.lang, customer_name=args.name)
    session.show(greet(rulebook, state, time.monotonic()))
    session.loop(sys.stdin)
    return 0


def load(rules_dir: str) -> tuple[Rulebook, Matcher] | None:
    """Rules and matcher, or None after printing the author's errors to stderr."""
    try:
        rulebook: Rulebook = load_rulebook(rules_dir)
    except RulesError as exc:
        print(exc, file=sys.stderr)
        return None
    return rulebook, build_matcher(rulebook)


class _Session:
    """One terminal conversation: the state, the buttons on screen, the printing."""

    def __init__(self, rulebook: Rulebook, matcher: Matcher, explain: bool, out: TextIO) -> None:
        self.rulebook = rulebook
        self.matcher = matcher
        self.explain = explain
        self.out = out
        self.state = ConversationState()
        self.buttons: tuple[Button, ...] = ()
        self.last_line = ""
        self.dim = out.isatty()

    def loop(self, stdin: TextIO) -> None:
        prompt = stdin.isatty()
        while True:
            if prompt:
                self.out.write("you> ")
                self.out.flush()
            line = stdin.readline()
            if not line or line.strip() == _QUIT:
                return
            if line.strip():
                self.show(respond(self.rulebook, self.matcher, self.state, self.inbound(line)))

    def inbound(self, line: str) -> Inbound:
        """A typed number presses the button shown with it; anything else is a message."""
        text, now = line.strip(), time.monotonic()
        self.last_line = text
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            button = self.buttons[int(text) - 1]
            self.last_line = button.label
            return Inbound("button", now, text=button.label, payload=button.payload)
        return Inbound("text", now, text=text)

    def show(self, turn: Turn) -> None:
        self.state = turn.state
        self.buttons = ()
        for reply in turn.replies:
            self.out.write(f"bot> {reply.text}\n")
            for number, button in enumerate(reply.buttons, start=len(self.buttons) + 1):
                self.out.write(f"  [{number}] {button.label}\n")
            self.buttons += reply.buttons
        self.status(_summary(turn))
        if self.explain:
            self.explain_scores(turn)
        self.out.flush()

    def explain_scores(self, turn: Turn) -> None:
        last = self.last_line
        found = self.matcher.match(last, turn.decision.language, explain=True) if last else []
        evidence = {c.intent: c for c in found}
        for intent, score in turn.decision.candidates:
            self.status(f"  {score:5.1f} {intent}")
            for line in _evidence(evidence.get(intent)):
                self.status(f"        {line}")
        if turn.decision.reasons:
            self.status("  reasons: " + ", ".join(turn.decision.reasons))

    def status(self, line: str) -> None:
        self.out.write(f"{_DIM}{line}{_RESET}\n" if self.dim else f"{line}\n")


def _evidence(candidate: Candidate | None) -> tuple[str, ...]:
    return candidate.evidence if candidate else ()


def _summary(turn: Turn) -> str:
    d = turn.decision
    line = f"intent={d.intent or '-'} score={d.score:.1f} decision={d.decision} mood={d.mood:.2f}"
    status = turn.state.status
    return line if status == "bot" else f"{line} status={status}"
