"""A server with no SMTP server set up: when nobody can answer, the widget offers no email
and the bot says when people are back, never promising a reply it cannot send."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser.conftest import run_server
from browser.console_driver import customer

PRIVACY_REQUEST = "delete all my personal data"  # routed to the privacy desk: closed, unstaffed


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server_db: Path) -> Iterator[str]:
    with run_server(own_server_db, smtp=False) as url:
        yield url


def test_offline_desk_without_smtp_shows_no_email_form_and_says_when_people_are_back(
    page: Page,
) -> None:
    widget, _ = customer(page)
    widget.say(PRIVACY_REQUEST)
    notice = widget.bot_messages().filter(has_text="Our team is away right now and back")
    expect(notice).to_have_count(1)
    expect(notice).not_to_contain_text("email")
    expect(widget.status).to_have_text("No one is available right now")
    expect(page.get_by_label("Email address")).to_have_count(0)
