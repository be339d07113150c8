"""Conversation locks as fcntl locks on one file: they hold across processes, and a
process killed holding one frees it at once."""

from __future__ import annotations

import asyncio
import signal
import sys
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from helpline.bus.file_lock import STRIPES, FileLockRegistry

WAIT_S = 10.0
STILL_WAITING_S = 0.3  # how long a lock held elsewhere is seen not to be taken

HOLDER = """
import asyncio, sys
from helpline.bus.file_lock import FileLockRegistry

async def main():
    locks = FileLockRegistry(sys.argv[1])
    async with locks.hold(sys.argv[2]):
        print("held", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

asyncio.run(main())
"""


class Holder:
    """Another process holding key's lock until released or killed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, path: Path, key: str) -> Holder:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLDER, str(path), key,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), WAIT_S) == b"held\n"
        return cls(process)

    async def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), WAIT_S)

    async def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), WAIT_S)


@pytest.fixture
async def locks(tmp_path: Path) -> AsyncIterator[FileLockRegistry]:
    registry = FileLockRegistry(tmp_path / "conversations.lock")
    yield registry
    registry.close()


async def take(locks: FileLockRegistry, key: str, taken: asyncio.Event) -> None:
    async with locks.hold(key):
        taken.set()


async def still_waiting(taken: asyncio.Event) -> bool:
    try:
        await asyncio.wait_for(taken.wait(), STILL_WAITING_S)
    except TimeoutError:
        return True
    return False


def same_stripe_keys() -> tuple[str, str]:
    seen: dict[int, str] = {}
    for n in range(100_000):
        key = f"c{n}"
        stripe = zlib.crc32(key.encode()) % STRIPES
        if stripe in seen:
            return seen[stripe], key
        seen[stripe] = key
    raise AssertionError("no two keys share a stripe")


async def test_a_lock_another_process_holds_is_taken_once_it_lets_go(
    locks: FileLockRegistry,
) -> None:
    holder = await Holder.start(locks.path, "conv-1")
    taken = asyncio.Event()
    waiter = asyncio.create_task(take(locks, "conv-1", taken))

    assert await still_waiting(taken)
    await holder.release()
    await asyncio.wait_for(waiter, WAIT_S)


async def test_a_process_killed_holding_a_lock_frees_it_at_once(locks: FileLockRegistry) -> None:
    holder = await Holder.start(locks.path, "conv-1")
    taken = asyncio.Event()
    waiter = asyncio.create_task(take(locks, "conv-1", taken))
    assert await still_waiting(taken)

    await holder.kill()

    await asyncio.wait_for(waiter, WAIT_S)


async def test_another_conversations_lock_is_not_held_up(locks: FileLockRegistry) -> None:
    holder = await Holder.start(locks.path, "conv-1")
    try:
        await asyncio.wait_for(take(locks, "conv-2", asyncio.Event()), WAIT_S)
    finally:
        await holder.release()


async def test_a_stripe_two_keys_share_stays_locked_until_both_let_go(
    locks: FileLockRegistry,
) -> None:
    first, second = same_stripe_keys()
    first_held, release_first = asyncio.Event(), asyncio.Event()

    async def hold_first() -> None:
        async with locks.hold(first):
            first_held.set()
            await release_first.wait()

    holding = asyncio.create_task(hold_first())
    await asyncio.wait_for(first_held.wait(), WAIT_S)
    async with locks.hold(second):
        pass  # freeing the second key must not free the stripe the first still holds
    other = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(locks.path), second,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert other.stdout is not None
    line = asyncio.create_task(other.stdout.readline())
    try:
        assert not (await asyncio.wait([line], timeout=STILL_WAITING_S))[0]
        release_first.set()
        await holding
        assert await asyncio.wait_for(line, WAIT_S) == b"held\n"
    finally:
        assert other.stdin is not None
        other.stdin.close()
        await asyncio.wait_for(other.wait(), WAIT_S)


async def test_tasks_of_one_process_take_one_key_in_turn(locks: FileLockRegistry) -> None:
    order: list[str] = []

    async def turn(name: str) -> None:
        async with locks.hold("conv-1"):
            order.append(f"{name} in")
            await asyncio.sleep(0)
            order.append(f"{name} out")

    await asyncio.gather(turn("a"), turn("b"))

    assert order == ["a in", "a out", "b in", "b out"]
