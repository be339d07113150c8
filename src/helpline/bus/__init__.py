"""Fan-out of conversation frames to every socket that shows them (in-process or shared)."""

from __future__ import annotations

from helpline.bus.base import Bus, Subscription, conversation_topic
from helpline.bus.memory import MemoryBus

__all__ = ["Bus", "MemoryBus", "Subscription", "conversation_topic", "open_bus"]


def open_bus(url: str = "memory://") -> Bus:
    """The bus named by url; only the in-process one exists so far."""
    if url in ("", "memory://"):
        return MemoryBus()
    from helpline.errors import ConfigError

    raise ConfigError("bus_url", f"unsupported bus {url!r} (use memory://)")
