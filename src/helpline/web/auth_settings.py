"""What agent login is configured with (AuthSettings) and what a node builds from it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from helpline.client_address import Network
from helpline.errors import ConfigError
from helpline.password import HashParams, Passwords
from helpline.web.attempts import FailedAttempts


@dataclass(frozen=True)
class AuthSettings:
    """Agent login and session settings; tests inject small values and cheap hashing."""

    session_ttl_s: float = 12 * 3600.0  # idle time after which a session ends
    session_refresh_s: float = 60.0  # a used session is extended at most this often
    # Failures are counted per (email, client address) and per address, never per email
    # alone: anyone could lock an agent out by failing with their email. Within the window:
    max_failed_logins: int = 5  # per email at one address, then 429 there (only there)
    # per address, whatever the emails: one office behind a NAT shares an address
    max_failed_logins_per_address: int = 20
    failed_login_window_s: float = 300.0
    # an email failing max_failed_logins times from anywhere (a distributed guess) makes
    # each further try of it wait this long first: slowed, never refused
    login_slowdown_s: float = 1.0
    max_password_chars: int = 1024
    password: HashParams = field(default_factory=HashParams)
    max_concurrent_hashes: int = 2

    def __post_init__(self) -> None:
        for name in (
            "session_ttl_s", "session_refresh_s", "failed_login_window_s", "login_slowdown_s"
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ConfigError(f"auth.{name}", f"must be a positive number, not {value!r}")
        for name in (
            "max_failed_logins", "max_failed_logins_per_address", "max_password_chars",
            "max_concurrent_hashes",
        ):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"auth.{name}", f"must be a positive integer, not {value!r}")
        if self.session_refresh_s >= self.session_ttl_s:
            raise ConfigError("auth.session_refresh_s", "must be shorter than session_ttl_s")


@dataclass(frozen=True)
class AuthState:
    """The login machinery one node builds at start-up from its AuthSettings."""

    passwords: Passwords
    attempts: FailedAttempts
    trusted_proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For names the client
