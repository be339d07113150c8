"""`helpline inbox export|import` as real processes on the database a running node writes:
the exported file filled in by hand, imported through the checked write, and the node's
own reload answering the next such message."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from ruamel.yaml import YAML

from conftest import WAIT_S, Customer
from helpline.settings import Settings
from helpline.web.keys import RULES

BOT_RULES = Path(__file__).parent.parent / "bot_rules"
BITCOIN = ["can i pay with bitcoin", "do you accept bitcoin", "bitcoin payment possible?"]


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


async def helpline(*args: str) -> Ran:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "helpline", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "bot_rules"
    shutil.copytree(BOT_RULES, copy)
    return copy


@pytest.fixture
async def client(
    bot_rules_encoded: None,
    rules_dir: Path,
    make_client: Callable[..., Awaitable[TestClient]],
    make_settings: Callable[..., Settings],
) -> TestClient:
    settings = make_settings(rules_dir=rules_dir, reload_interval_s=0.05)
    return await make_client(settings, rulebook=None)


async def ask(client: TestClient, text: str) -> dict[str, Any]:
    customer = await Customer.join(client)
    await customer.bot_reply()  # the greeting
    await customer.say("m1", text)
    reply = await customer.bot_reply()
    await customer.ws.close()
    return reply


def fill_in(path: Path, decide: Callable[[dict[str, Any]], None]) -> None:
    """What an author does in their editor: set intent or dismiss on some clusters."""
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    data = yaml.load(path.read_text(encoding="utf-8"))
    for entry in data["clusters"]:
        decide(entry)
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)


async def test_an_exported_inbox_filled_in_and_imported_is_answered_by_the_node(
    client: TestClient, rules_dir: Path, tmp_path: Path
) -> None:
    for text in [*BITCOIN, "where is my parcel", "the weather is nice today"]:
        await ask(client, text)
    db, exported = str(tmp_path / "helpline.db"), tmp_path / "inbox.yaml"
    where = ("--db", db, "--rules", str(rules_dir))

    export = await helpline("inbox", "export", *where, "-o", str(exported))
    text = exported.read_text(encoding="utf-8")
    fill_in(exported, lambda e: e.update(
        intent="update_payment_method" if "bitcoin" in e["messages"][0] else None,
        dismiss="parcel" in e["messages"][0],
    ))  # fmt: skip
    imported = await helpline("inbox", "import", str(exported), *where)
    holder = client.server.app[RULES]  # type: ignore[union-attr]
    await asyncio.wait_for(holder.wait_until(lambda h: h.current.version >= 2), WAIT_S)
    reply = await ask(client, "bitcoin payment possible?")
    again = await helpline("inbox", "export", *where)

    assert export.code == 0, export.err
    assert text.startswith("# Helpline's unanswered inbox: 3 cluster(s) of 5 message(s)")
    assert "  - cluster: " in text and "    intent:\n    dismiss: false\n" in text
    assert imported.code == 0, imported.err
    lines = imported.out.splitlines()
    assert len(lines) == 2
    assert "3 example(s) added to update_payment_method" in lines[0]
    assert lines[0].endswith("; 3 of 3 now answered")
    assert lines[1].endswith(": dismissed (1 message(s))")
    assert (reply["kind"], reply["intent"]) == ("answer", "update_payment_method")
    assert "3 cluster(s)" not in again.out
    assert again.out.count("  - cluster: ") == 1 and "the weather is nice today" in again.out


async def test_a_filled_in_file_with_a_mistake_applies_nothing(
    client: TestClient, rules_dir: Path, tmp_path: Path
) -> None:
    await ask(client, BITCOIN[0])
    db, exported = str(tmp_path / "helpline.db"), tmp_path / "inbox.yaml"
    where = ("--db", db, "--rules", str(rules_dir))
    await helpline("inbox", "export", *where, "-o", str(exported))
    fill_in(exported, lambda e: e.update(intent="update_payment_method", dismiss=True))
    before = {p: p.read_bytes() for p in (rules_dir / "intents").iterdir()}

    imported = await helpline("inbox", "import", str(exported), *where)

    assert imported.code == 1
    assert f"{exported}:9: give an intent or dismiss, not both" in imported.err
    assert {p: p.read_bytes() for p in (rules_dir / "intents").iterdir()} == before


async def test_a_cluster_the_rules_refuse_is_reported_and_the_others_still_applied(
    client: TestClient, rules_dir: Path, tmp_path: Path
) -> None:
    await ask(client, BITCOIN[0])
    await ask(client, "where is my parcel")
    db, exported = str(tmp_path / "helpline.db"), tmp_path / "inbox.yaml"
    where = ("--db", db, "--rules", str(rules_dir))
    await helpline("inbox", "export", *where, "-o", str(exported))
    # the parcel question goes to an intent that does not exist
    fill_in(exported, lambda e: e.update(
        intent="parcel_tracking" if "parcel" in e["messages"][0] else "update_payment_method"
    ))  # fmt: skip

    imported = await helpline("inbox", "import", str(exported), *where)

    assert imported.code == 1
    assert "no intent 'parcel_tracking'" in imported.err
    assert "1 example(s) added to update_payment_method" in imported.out
