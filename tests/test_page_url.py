"""The page a widget reports: only absolute http(s) URLs, without fragment or credentials."""

from __future__ import annotations

import pytest

from helpline.page_url import MAX_PAGE_URL_CHARS, normalise_page_url


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://shop.example.com/plans?id=7", "https://shop.example.com/plans?id=7"),
        ("https://shop.example.com/plans#token=secret", "https://shop.example.com/plans"),
        ("http://user:pw@Example.COM:8080/help", "http://example.com:8080/help"),
        ("HTTPS://example.com", "https://example.com/"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
    ],
)
def test_an_http_url_is_kept_in_its_tidy_form(given: str, kept: str) -> None:
    assert normalise_page_url(given) == kept


@pytest.mark.parametrize(
    "given",
    [
        "javascript:alert(1)",
        "data:text/html,<b>hi</b>",
        "file:///etc/passwd",
        "/relative/path",
        "https://",
        "https://exa mple.com/",
        "https://example.com:99999/",
        "https://example.com/\x00",
        "https://example.com/" + "a" * MAX_PAGE_URL_CHARS,
    ],
)
def test_anything_but_an_absolute_http_url_of_bounded_length_is_refused(given: str) -> None:
    assert normalise_page_url(given) is None
