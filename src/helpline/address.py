"""Email addresses customers type: what we accept to send mail to, and its tidy form."""

from __future__ import annotations

import re

MAX_ADDRESS_CHARS = 254  # RFC 5321: a forward path holds at most 256 octets, brackets included
MAX_LOCAL_CHARS = 64

# Deliberately narrower than RFC 5322 (no quoted local parts, comments or IP literals):
# what customers really type, and nothing an SMTP server or a mail header could misread.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
_TLD = r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
_ADDRESS = re.compile(rf"({_LOCAL})@((?:{_LABEL}\.)+{_TLD})")


def normalise_address(text: str) -> str | None:
    """The address with surrounding blanks removed and the domain lower-cased, or None
    when it is not one we would send mail to.

    The local part keeps its case: some servers treat it as significant.
    """
    candidate = text.strip()
    if len(candidate) > MAX_ADDRESS_CHARS:
        return None
    found = _ADDRESS.fullmatch(candidate)
    if found is None or len(found.group(1)) > MAX_LOCAL_CHARS:
        return None
    return f"{found.group(1)}@{found.group(2).lower()}"
