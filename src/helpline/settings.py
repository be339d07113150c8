"""Server settings: one frozen value, validated at start-up, naming what is wrong."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from helpline.client_address import parse_networks, parse_origins
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
    # no session.hello this long after the upgrade: error `hello_timeout`, close 1001 (a
    # widget says hello as the socket opens; an idle socket must not hold a descriptor)
    hello_timeout_s: float = 10.0
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
class ConnectionLimits:
    """What one client address, and the node as a whole, may hold open or start.

    Per address (the client's, through --trusted-proxy; each node counts its own): a busy
    office behind one NAT shows up as one address, so the defaults leave room for a few
    hundred people there; one attacker stays far below what hurts the node (300 sockets
    from one address slowed a healthy customer's reply to p50 567 ms).
    """

    sockets_per_address: int = 200  # open websockets (customer and agent); more: HTTP 429
    new_conversations_per_minute: int = 60  # per address; resumes never count; more: refused
    # a connection must finish its request line and headers this long after it opens (and
    # an idle keep-alive connection is closed after it): slow-header clients hold no socket
    header_timeout_s: float = 15.0
    # descriptors kept free below RLIMIT_NOFILE for the store, the bus, logs and plain HTTP:
    # past (limit - reserve) open descriptors new sockets get HTTP 503 and /healthz says so
    fd_reserve: int = 100

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"connections.{f.name}", f"must be a number, not {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(f"connections.{f.name}", f"must be positive, not {value!r}")
            if f.type == "int" and not isinstance(value, int):
                raise ConfigError(f"connections.{f.name}", f"must be a whole number, not {value!r}")


SMTP_SECURITY = ("starttls", "ssl", "none")
_DEFAULT_SMTP_PORT = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class Smtp:
    """Where offline replies are sent from. Read from HELPLINE_SMTP_* environment variables
    (see from_environment), never from the rules' YAML: the password is a secret, and the
    rules directory is edited by authors and often kept in a repository."""

    host: str
    from_address: str  # the From: header and envelope sender
    port: int = 0  # 0: the usual port for `security` (587, 465 or 25)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "starttls"  # starttls | ssl (implicit TLS) | none (tests, local relays)
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if not self.host:
            raise ConfigError("smtp.host", "is required")
        if "@" not in self.from_address:
            raise ConfigError(
                "smtp.from_address", f"must be an email address, not {self.from_address!r}"
            )
        if self.security not in SMTP_SECURITY:
            raise ConfigError("smtp.security", f"must be one of {', '.join(SMTP_SECURITY)}")
        if (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not 0 <= self.port <= 65535
        ):
            raise ConfigError("smtp.port", f"must be 0-65535, not {self.port!r}")
        if not self.port:
            object.__setattr__(self, "port", _DEFAULT_SMTP_PORT[self.security])
        if (self.username is None) != (self.password is None):
            raise ConfigError("smtp.username", "and smtp.password are set together or not at all")
        if not math.isfinite(self.timeout_s) or self.timeout_s <= 0:
            raise ConfigError("smtp.timeout_s", "must be positive")


@dataclass(frozen=True)
class OutboxPolicy:
    """How the mailer retries: attempt n failing waits base * 2**(n-1), at most max_delay_s."""

    max_attempts: int = 8  # with the defaults: about 2 hours of trying before giving up
    base_delay_s: float = 60.0
    max_delay_s: float = 3600.0
    poll_s: float = 60.0  # look for due emails at least this often (enqueue wakes it at once)
    batch: int = 50  # emails taken per look

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"outbox.{f.name}", f"must be a number, not {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(f"outbox.{f.name}", f"must be positive, not {value!r}")

    def delay_after(self, attempts: int) -> float:
        """Seconds to wait after the attempts-th failure."""
        return float(min(self.base_delay_s * 2 ** max(attempts - 1, 0), self.max_delay_s))


@dataclass(frozen=True)
class Settings:
    """Everything `helpline serve` needs; tests build one directly with small limits."""

    rules_dir: Path
    database_url: str  # "sqlite:///path/to/file.db", a bare path, or "postgresql://..."
    host: str = "127.0.0.1"
    port: int = 8080
    widget_dir: Path = DEFAULT_WIDGET_DIR
    limits: Limits = field(default_factory=Limits)
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)
    reload_interval_s: float = 1.0  # how often to look for rule edits; 0 turns reload off
    shutdown_timeout_s: float = 5.0
    # custom actions: a Rasa action server's URL (None: run bot_rules/actions/*.py in-process)
    action_endpoint: str | None = None
    action_timeout_s: float = 5.0  # an action taking longer gets a fallback reply
    # HMAC key shared with the host site for signed customer identities; None: every
    # identity is ignored (customers are anonymous)
    identity_secret: str | None = field(default=None, repr=False)
    # shared secret a Rasa REST client sends (Authorization: Bearer, or ?token=); None: the
    # REST channel is open to anyone who can reach it (its senders are never verified anyway)
    rest_token: str | None = field(default=None, repr=False)
    smtp: Smtp | None = None  # None: emails stay queued in the outbox (a warning says so)
    outbox: OutboxPolicy = field(default_factory=OutboxPolicy)
    # Redis shared by several nodes (redis://host:6379/0, rediss://, unix:///path.sock):
    # frames fan out between nodes and conversation locks hold across them; None: one node
    redis_url: str | None = None
    redis_prefix: str = "helpline:"  # keys and channels; several deployments can share one Redis
    # conversation locks as fcntl locks on this file instead of Redis keys: for processes
    # of one machine only (the workers of `serve --workers N` with their private Redis)
    lock_file: Path | None = None
    # reverse proxies whose X-Forwarded-For names the client (CIDRs or addresses); empty:
    # the peer's address is the client's
    trusted_proxies: tuple[str, ...] = ()
    # origins besides the server's own whose pages may use the agent cookie (the console
    # served from another host); every other origin is refused on /api/ and /ws/agent
    allowed_origins: tuple[str, ...] = ()
    # where spike alerts are POSTed as JSON (a Slack incoming webhook, or any receiver);
    # from HELPLINE_ALERT_WEBHOOK, not the rules: such a URL is a secret. None: no webhook
    alert_webhook_url: str | None = field(default=None, repr=False)

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
        if not isinstance(self.connections, ConnectionLimits):
            raise ConfigError("connections", "must be a ConnectionLimits value")
        if not math.isfinite(self.reload_interval_s) or self.reload_interval_s < 0:
            raise ConfigError("reload_interval_s", "must be 0 (off) or a positive number")
        if not math.isfinite(self.shutdown_timeout_s) or self.shutdown_timeout_s <= 0:
            raise ConfigError("shutdown_timeout_s", "must be positive")
        parse_networks(self.trusted_proxies)  # a bad network is named at start-up
        object.__setattr__(self, "allowed_origins", parse_origins(self.allowed_origins))
        if not math.isfinite(self.action_timeout_s) or self.action_timeout_s <= 0:
            raise ConfigError("action_timeout_s", "must be positive")
        if self.action_endpoint is not None and not _is_http_url(self.action_endpoint):
            raise ConfigError("action_endpoint", "must be an http(s) URL, e.g. http://localhost:5055")
        if self.redis_url is not None and not _is_redis_url(self.redis_url):
            raise ConfigError("redis_url", "must be a redis://, rediss:// or unix:// URL")
        if not self.redis_prefix:
            raise ConfigError("redis_prefix", "must not be empty")
        if self.lock_file is not None and self.redis_url is None:
            raise ConfigError("lock_file", "is for nodes sharing a Redis bus (set redis_url)")
        if self.alert_webhook_url is not None and not _is_http_url(self.alert_webhook_url):
            raise ConfigError("HELPLINE_ALERT_WEBHOOK", "must be an http(s) URL")
        if self.smtp is not None and not isinstance(self.smtp, Smtp):
            raise ConfigError("smtp", "must be an Smtp value or None")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"


def from_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    """Settings with the secrets and SMTP server the environment names.

    HELPLINE_IDENTITY_SECRET, HELPLINE_REST_TOKEN, HELPLINE_ALERT_WEBHOOK;
    HELPLINE_SMTP_HOST (unset: no SMTP),
    HELPLINE_SMTP_FROM, HELPLINE_SMTP_PORT, HELPLINE_SMTP_SECURITY, HELPLINE_SMTP_USERNAME,
    HELPLINE_SMTP_PASSWORD.
    """
    secret = environ.get("HELPLINE_IDENTITY_SECRET") or settings.identity_secret
    rest_token = environ.get("HELPLINE_REST_TOKEN") or settings.rest_token
    return replace(
        settings,
        identity_secret=secret,
        rest_token=rest_token,
        alert_webhook_url=environ.get("HELPLINE_ALERT_WEBHOOK") or settings.alert_webhook_url,
        smtp=_smtp(environ) or settings.smtp,
    )


def _smtp(environ: Mapping[str, str]) -> Smtp | None:
    host = environ.get("HELPLINE_SMTP_HOST", "").strip()
    if not host:
        return None
    port = environ.get("HELPLINE_SMTP_PORT", "0").strip() or "0"
    if not port.isdigit():
        raise ConfigError("HELPLINE_SMTP_PORT", f"must be a port number, not {port!r}")
    sender = environ.get("HELPLINE_SMTP_FROM", "").strip()
    if not sender:
        raise ConfigError("HELPLINE_SMTP_FROM", "is required when HELPLINE_SMTP_HOST is set")
    return Smtp(
        host=host,
        from_address=sender,
        port=int(port),
        username=environ.get("HELPLINE_SMTP_USERNAME") or None,
        password=environ.get("HELPLINE_SMTP_PASSWORD") or None,
        security=environ.get("HELPLINE_SMTP_SECURITY", "starttls").strip().lower(),
    )


def _is_http_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) > 8


def _is_redis_url(value: object) -> bool:
    schemes = ("redis://", "rediss://", "unix://")
    return isinstance(value, str) and value.startswith(schemes) and len(value) > 8
