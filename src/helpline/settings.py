"""Server settings: one frozen value, validated at start-up, naming what is wrong."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path

from helpline.errors import ConfigError

# The repository's web_widget/ when running from a checkout (src/helpline/settings.py -> ../../..).
DEFAULT_WIDGET_DIR = Path(__file__).resolve().parents[2] / "web_widget"


@dataclass(frozen=True)
class Limits:
    """What one customer connection may do before it gets an error frame or is closed."""

    max_text_chars: int = 2000  # longer text: error `too_large`, not stored
    max_frame_bytes: int = 64 * 1024  # larger frame: not read, close 1009
    rate_per_s: float = 5.0  # token bucket refill: frames per second
    burst: int = 10  # token bucket size
    flood_strikes: int = 10  # rate-limited frames in a row before close 1008
    idle_timeout_s: float = 600.0  # no frame for this long: error `idle`, close 1001
    heartbeat_s: float = 30.0  # websocket ping interval (dead peers are dropped)
    max_client_id_chars: int = 64

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"limits.{f.name}", f"must be a number, not {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(f"limits.{f.name}", f"must be positive, not {value!r}")


@dataclass(frozen=True)
class Settings:
    """Everything `helpline serve` needs; tests build one directly with small limits."""

    rules_dir: Path
    database_url: str  # "sqlite:///path/to/file.db", a bare path, or "postgresql://..."
    host: str = "127.0.0.1"
    port: int = 8080
    widget_dir: Path = DEFAULT_WIDGET_DIR
    limits: Limits = field(default_factory=Limits)
    reload_interval_s: float = 1.0  # how often to look for rule edits; 0 turns reload off
    shutdown_timeout_s: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules_dir", Path(self.rules_dir))
        object.__setattr__(self, "widget_dir", Path(self.widget_dir))
        if not self.database_url or not isinstance(self.database_url, str):
            raise ConfigError("database_url", "is required (e.g. sqlite:///helpline.db)")
        if not self.host:
            raise ConfigError("host", "is required")
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise ConfigError("port", f"must be an integer, not {self.port!r}")
        if not 0 <= self.port <= 65535:
            raise ConfigError("port", f"must be 0-65535, not {self.port}")
        if not isinstance(self.limits, Limits):
            raise ConfigError("limits", "must be a Limits value")
        if not math.isfinite(self.reload_interval_s) or self.reload_interval_s < 0:
            raise ConfigError("reload_interval_s", "must be 0 (off) or a positive number")
        if not math.isfinite(self.shutdown_timeout_s) or self.shutdown_timeout_s <= 0:
            raise ConfigError("shutdown_timeout_s", "must be positive")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"
