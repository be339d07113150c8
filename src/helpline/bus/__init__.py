"""Fan-out of conversation frames to every socket that shows them (in-process or shared)."""

from __future__ import annotations

from helpline.bus.base import Bus, Subscription, conversation_topic
from helpline.bus.memory import MemoryBus
from helpline.errors import ConfigError

__all__ = ["Bus", "MemoryBus", "Subscription", "conversation_topic", "open_bus"]

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def open_bus(url: str = "memory://", *, prefix: str = "helpline:") -> Bus:
    """The bus named by url: memory:// (one node) or a Redis URL (redis://host:6379/0,
    rediss://, unix:///path/redis.sock), not yet opened: await open() on a RedisBus."""
    if url in ("", "memory://"):
        return MemoryBus()
    if url.startswith(REDIS_SCHEMES):
        from helpline.bus.redis import RedisBus  # the redis client only when asked for

        return RedisBus(url, prefix=prefix)
    raise ConfigError("redis_url", f"unsupported bus {url!r} (use memory:// or redis://host)")
