"""Files customers and agents send: which kinds are accepted, told by their bytes."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from helpline.errors import AttachmentError


@dataclass(frozen=True)
class Kind:
    name: str  # as config.yaml's attachments.types names it
    mime: str  # what the file is served as, whatever the uploader said
    extensions: tuple[str, ...]  # the first is added to a name that has none of them
    image: bool  # shown inline; every other kind is only ever downloaded


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("png", "image/png", ("png",), True),
        Kind("jpeg", "image/jpeg", ("jpg", "jpeg"), True),
        Kind("gif", "image/gif", ("gif",), True),
        Kind("webp", "image/webp", ("webp",), True),
        Kind("pdf", "application/pdf", ("pdf",), False),
        Kind("txt", "text/plain", ("txt", "log", "csv"), False),
    )
}
BY_MIME = {kind.mime: kind for kind in KINDS.values()}
MAX_BYTES_CEILING = 25 * 1024 * 1024  # every byte lives in the database
MAX_NAME_CHARS = 120
# What a client may say the file is without saying anything: the bytes decide.
UNSPECIFIC = frozenset(("", "application/octet-stream", "binary/octet-stream"))
# Markup a browser would run if it ever read the bytes as a page, whatever it was told.
_MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|\?xml|object|embed)", re.I)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class AttachmentSettings:
    """config.yaml's `attachments:`: the largest file and the kinds accepted."""

    max_bytes: int = 10 * 1024 * 1024
    types: tuple[str, ...] = ("png", "jpeg", "gif", "webp", "pdf", "txt")


@dataclass(frozen=True)
class Checked:
    """An upload whose bytes were found to be an accepted kind."""

    kind: Kind
    name: str  # safe to show and to offer as a download name


def sniff(data: bytes) -> Kind | None:
    """The kind the bytes are, from their first bytes (never the uploader's word)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS["png"]
    if data.startswith(b"\xff\xd8\xff"):
        return KINDS["jpeg"]
    if data.startswith((b"GIF87a", b"GIF89a")):
        return KINDS["gif"]
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return KINDS["webp"]
    if data.startswith(b"%PDF-"):
        return KINDS["pdf"]
    return KINDS["txt"] if _plain_text(data) else None


def _plain_text(data: bytes) -> bool:
    """UTF-8 without control characters or markup: what text/plain can only be."""
    head = data[:4096]
    if not data or _CONTROL.search(head) or _MARKUP.search(head):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def check_upload(data: bytes, declared: str, name: str, settings: AttachmentSettings) -> Checked:
    """The upload's kind and a safe name; AttachmentError (too_large, unsupported_type)
    when it may not be kept. `declared` is the uploader's content type, trusted only to
    refuse: a file claiming to be one kind whose bytes are another is refused."""
    if len(data) > settings.max_bytes:
        raise too_large(settings.max_bytes)
    if not data:
        raise AttachmentError("bad_request", "the file is empty")
    kind = sniff(data)
    if kind is None or kind.name not in settings.types:
        raise unsupported(settings, "its bytes are not one of the kinds accepted")
    claimed = declared.split(";")[0].strip().lower()
    if claimed not in UNSPECIFIC and claimed != kind.mime:
        raise unsupported(settings, f"it says it is {claimed[:60]} but its bytes are {kind.mime}")
    return Checked(kind, safe_name(name, kind))


def safe_name(name: str, kind: Kind) -> str:
    """The name without folders or control characters, ending in one of the kind's
    extensions (so a saved "x.html" of plain text is "x.html.txt", never a page)."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    _stem, dot, ext = base.rpartition(".")
    if not base:
        return f"file.{kind.extensions[0]}"
    if not dot or ext.lower() not in kind.extensions:
        base = f"{base}.{kind.extensions[0]}"
    if len(base) > MAX_NAME_CHARS:
        suffix = base.rpartition(".")[2]
        base = f"{base[: MAX_NAME_CHARS - len(suffix) - 1]}.{suffix}"
    return base


def too_large(max_bytes: int) -> AttachmentError:
    return AttachmentError(
        "too_large",
        f"the file is larger than {_size(max_bytes)} ({max_bytes} bytes)",
        max_bytes=max_bytes,
    )


def unsupported(settings: AttachmentSettings, why: str) -> AttachmentError:
    accepted = ", ".join(settings.types)
    return AttachmentError(
        "unsupported_type",
        f"this file is not accepted: {why} (accepted: {accepted})",
        accepted=list(settings.types),
    )


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MiB"
    return f"{count / 1024:g} KiB" if count >= 1024 else f"{count} bytes"
