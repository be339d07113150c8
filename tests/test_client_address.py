"""Which address a request came from, through trusted reverse proxies only."""

from __future__ import annotations

import pytest

from helpline.client_address import client_address, parse_networks
from helpline.errors import ConfigError

PROXIES = parse_networks(["10.0.0.0/8", "::1"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", None, "203.0.113.5"),  # no proxy
        ("203.0.113.5", "198.51.100.7", "203.0.113.5"),  # an untrusted peer's header: ignored
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),  # one trusted proxy
        ("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.9", "198.51.100.7"),  # a forged first hop
        ("10.0.0.2", "10.0.0.7, 10.0.0.9", "10.0.0.7"),  # proxies all the way: the first
        ("::1", "2001:db8::5", "2001:db8::5"),
        ("10.0.0.2", "not-an-address", "10.0.0.2"),  # garbage: the proxy itself
        ("10.0.0.2", "", "10.0.0.2"),
        (None, "198.51.100.7", "unknown"),
    ],
)
def test_the_client_is_the_last_hop_no_trusted_proxy_added(
    peer: str | None, forwarded: str | None, expected: str
) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert client_address("10.0.0.2", "198.51.100.7", ()) == "10.0.0.2"


def test_a_bad_network_is_named() -> None:
    with pytest.raises(ConfigError, match="'10.0.0.300/8'"):
        parse_networks(["10.0.0.0/8", "10.0.0.300/8"])
