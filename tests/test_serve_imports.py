"""What `helpline serve` imports before it listens: only what a serving node needs at start.

Each module left out here is imported where it is first used (the login's password hashing,
a cold build's classifier training, an agent adding examples, an email, other subcommands),
so a restart spends its CPU on serving. Checked in a fresh interpreter, as a start runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
# the module and where it is imported instead
NOT_AT_START = {
    "argon2": "helpline.password: the first password hashed or checked",
    "scipy": "matcher/classifier.py, meaning.py: only a cold build of the index trains",
    "ruamel.yaml": "helpline.inbox.examples_file: an author's examples written to the rules",
    "aiosmtplib": "web/mailer.py: the first email sent",
    # its scan of every installed package: actions/wire.py's first action call
    "importlib.metadata": "actions/wire.py: the first call of a custom action",
    "helpline.evaluation": "the eval, check and test subcommands",
    "helpline.cli.eval": "its own subcommand",
    "helpline.cli.chat": "its own subcommand",
    "helpline.cli.agent": "its own subcommand",
}
# What serve's start imports: its subcommand's module (as `helpline serve ...` registers it)
# and the web app it builds.
START = """
import json, sys
from helpline.cli import build_parser
build_parser(["serve", "--port", "0"])
import helpline.web.app
print(json.dumps(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def imported_at_start() -> set[str]:
    environment = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", START], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_the_start_imports_the_web_app_and_the_matcher(imported_at_start: set[str]) -> None:
    # the check below would pass for a start that imported nothing
    assert {"helpline.cli.serve", "helpline.web.app", "helpline.matcher", "aiohttp"} <= (
        imported_at_start
    )


@pytest.mark.parametrize("module", sorted(NOT_AT_START))
def test_a_serving_node_starts_without_what_it_needs_only_later(
    imported_at_start: set[str], module: str
) -> None:
    loaded = sorted(m for m in imported_at_start if m == module or m.startswith(module + "."))
    assert loaded == [], f"imported at start; it belongs in {NOT_AT_START[module]}"
