"""Which files are kept, told by their bytes alone: sniffing, names, limits, config.yaml."""

from __future__ import annotations

from typing import Any

import pytest

from attachment_kit import GIF, HTML, JPEG, PDF, SVG, TEXT, WEBP, ZIP, png
from helpline.attachment import KINDS, AttachmentSettings, check_upload, safe_name, sniff
from helpline.errors import AttachmentError
from helpline.rules.configfile import read_config
from helpline.rules.report import Report

SETTINGS = AttachmentSettings()


@pytest.mark.parametrize(
    ("content", "mime"),
    [(png(), "image/png"), (JPEG, "image/jpeg"), (GIF, "image/gif"), (WEBP, "image/webp"),
     (PDF, "application/pdf"), (TEXT, "text/plain")],
)  # fmt: skip
def test_each_accepted_kind_is_told_by_its_first_bytes(content: bytes, mime: str) -> None:
    kind = sniff(content)

    assert kind is not None and kind.mime == mime


@pytest.mark.parametrize(
    "content",
    [HTML, SVG, ZIP, b"  \n<p>hello</p>", b"\xef\xbb\xbf<?xml version='1.0'?><a/>",
     b"notes\n<script>x()</script>", b"\x00\x01binary", "caf\xe9".encode("latin-1")],
)  # fmt: skip
def test_markup_binary_and_other_encodings_are_no_kind_at_all(content: bytes) -> None:
    assert sniff(content) is None


@pytest.mark.parametrize("declared", ["image/png", "image/svg+xml", "text/html", ""])
def test_html_or_svg_named_and_declared_as_an_image_is_refused(declared: str) -> None:
    for content in (HTML, SVG):
        with pytest.raises(AttachmentError) as refused:
            check_upload(content, declared, "cat.png", SETTINGS)
        assert refused.value.code == "unsupported_type"


def test_bytes_of_one_kind_claiming_another_are_refused() -> None:
    with pytest.raises(AttachmentError) as refused:
        check_upload(PDF, "image/png", "scan.png", SETTINGS)

    assert refused.value.code == "unsupported_type"
    assert "image/png" in refused.value.message and "application/pdf" in refused.value.message


def test_a_file_over_the_limit_is_refused_with_the_limit() -> None:
    with pytest.raises(AttachmentError) as refused:
        check_upload(png() + bytes(2048), "image/png", "a.png", AttachmentSettings(max_bytes=2048))

    assert refused.value.code == "too_large"
    assert refused.value.detail == {"max_bytes": 2048}
    assert "2 KiB" in refused.value.message


def test_a_kind_left_out_of_the_settings_is_refused() -> None:
    with pytest.raises(AttachmentError) as refused:
        check_upload(PDF, "application/pdf", "a.pdf", AttachmentSettings(types=("png",)))

    assert refused.value.code == "unsupported_type"
    assert refused.value.detail == {"accepted": ["png"]}


def test_an_unspecific_content_type_lets_the_bytes_decide() -> None:
    checked = check_upload(png(), "application/octet-stream", "screenshot.png", SETTINGS)

    assert (checked.kind.name, checked.name) == ("png", "screenshot.png")


@pytest.mark.parametrize(
    ("name", "kind", "safe"),
    [("../../etc/passwd", "txt", "passwd.txt"), ("C:\\Users\\me\\화면.png", "png", "화면.png"),
     ("page.html", "txt", "page.html.txt"), ("photo.JPG", "jpeg", "photo.JPG"),
     ("", "pdf", "file.pdf"), ("bad\x00\u202ename.pdf", "pdf", "badname.pdf"),
     ("x" * 300 + ".pdf", "pdf", "x" * 116 + ".pdf")],
)  # fmt: skip
def test_names_lose_folders_and_control_characters_and_end_in_their_kind(
    name: str, kind: str, safe: str
) -> None:
    assert safe_name(name, KINDS[kind]) == safe


def config(attachments: Any) -> tuple[AttachmentSettings, list[str]]:
    report = Report("config.yaml", problems := [])
    parsed = read_config({"languages": ["en"], "attachments": attachments}, report)
    return parsed.config.attachments, [p.message for p in problems]


def test_config_sets_the_limit_and_the_kinds() -> None:
    settings, problems = config({"max_bytes": 2_000_000, "types": ["png", "pdf"]})

    assert problems == []
    assert settings == AttachmentSettings(max_bytes=2_000_000, types=("png", "pdf"))


@pytest.mark.parametrize(
    ("attachments", "problem"),
    [({"types": ["png", "svg"]}, "attachments: types item 2: 'svg' is not one of"),
     ({"max_bytes": 10**9}, "attachments: max_bytes is 1000000000; it must be from 1024"),
     ({"maxbytes": 10}, "maxbytes")],
)  # fmt: skip
def test_config_names_a_wrong_setting(attachments: Any, problem: str) -> None:
    settings, problems = config(attachments)

    assert any(problem in p for p in problems), problems
    if "maxbytes" not in problem:
        assert settings == AttachmentSettings()  # the defaults stand
