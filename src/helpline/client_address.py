"""The address a request came from, through reverse proxies the operator trusts.

Behind a proxy every request's peer is the proxy, so limits keyed on the peer (failed
logins) would lock out everyone at once. X-Forwarded-For is honoured only from peers in
`--trusted-proxy` networks: anyone else could write any address into it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from helpline.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(texts: Sequence[str]) -> tuple[Network, ...]:
    """CIDRs or single addresses (10.0.0.0/8, 127.0.0.1, ::1); a bad one names itself."""
    networks = []
    for text in texts:
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                "trusted_proxies", f"{text!r} is not an address or network (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> str:
    """The peer's address; or, when the peer is a trusted proxy, the right-most address of
    X-Forwarded-For that is not one (each proxy appends the address it saw)."""
    if peer is None:
        return "unknown"
    if not trusted or not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop if _is_address(hop) else peer
    return hops[0] if hops and _is_address(hops[0]) else peer


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_scheme(
    peer: str | None, transport_scheme: str, forwarded_proto: str | None, trusted: Sequence[Network]
) -> str:
    """The scheme the client used: X-Forwarded-Proto's first entry when the peer is a
    trusted proxy (the one that terminated TLS wrote it), else the connection's own."""
    if peer is None or not trusted or not forwarded_proto or not _trusted(peer, trusted):
        return transport_scheme
    first = forwarded_proto.split(",")[0].strip().lower()
    return first if first in ("http", "https") else transport_scheme


def parse_origins(texts: Sequence[str]) -> tuple[str, ...]:
    """Origins as browsers send them (https://support.example.com[:port]), lower-cased; a
    path, a missing scheme or a wildcard names itself."""
    origins = []
    for text in texts:
        origin = text.strip().rstrip("/").lower()
        scheme, sep, host = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not host or "/" in host or "*" in host:
            raise ConfigError(
                "allowed_origins", f"{text!r} is not an origin (e.g. https://support.example.com)"
            )
        origins.append(origin)
    return tuple(origins)
