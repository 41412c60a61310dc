"""Uploads that must never be stored, sent through the shared upload page (cases:document_upload)
by the case's own applicant: each is refused with a message and leaves no document, no file
and no history line behind. A path in the file name is harmless: it is shown, never used."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from django.urls import reverse

from cases.models import Document
from tests.hostile.helpers import Upload, check_answer, counts, png, post_multipart, told


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A small file whose header claims a huge 1-bit image: opening it costs nothing, decoding
    it would cost width × height / 8 bytes (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    pixels = zlib.compress(row * 16, 9)  # only the first rows: the header is the lie
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
SCRIPT = b"#!/bin/sh\nrm -rf /\n"
HTML = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
PNG_THEN_EXE = png()[:40] + EXECUTABLE  # a PNG signature glued onto a program


@pytest.fixture
def page(client, withdrawal):
    client.force_login(withdrawal.case.applicant)
    return client, withdrawal.case, reverse("cases:document_upload", args=[withdrawal.case.pk])


def _root() -> Path:
    return Path(Document._meta.get_field("file").storage.location)


def _stored_files() -> set[Path]:
    root = _root()
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _refused(response, before: dict[str, int], files_before: set[Path]) -> list[str]:
    check_answer(response, before)
    assert counts() == before
    assert _stored_files() == files_before
    return told(response)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.png", EXECUTABLE, "image/png"),
        ("scan.jpg", ELF, "image/jpeg"),
        ("receipt.pdf", SCRIPT, "application/pdf"),
        ("id.png", HTML, "image/png"),
        ("id.png", SVG, "image/svg+xml"),
        ("id.png", PNG_THEN_EXE, "image/png"),
    ],
    ids=["exe-as-png", "elf-as-jpg", "script-as-pdf", "html-as-png", "svg", "png-header-on-exe"],
)
def test_a_renamed_program_or_page_is_refused(page, name, content, content_type):
    client, case, url = page
    before, files = counts(), _stored_files()

    response = post_multipart(
        client, url, {"kind": "other", "file": Upload(name, content, content_type)}
    )

    assert _refused(response, before, files)


def test_an_oversized_file_is_refused(page, settings):
    client, case, url = page
    settings.DOCUMENT_MAX_BYTES = 64 * 1024
    big = png((600, 600)) + b"\x00" * (64 * 1024)
    before, files = counts(), _stored_files()

    response = post_multipart(
        client, url, {"kind": "other", "file": Upload("big.png", big, "image/png")}
    )

    assert any("too large" in said for said in _refused(response, before, files))


@pytest.mark.parametrize(
    "size", [(100_000, 100_000), (8_000, 8_000)], ids=["beyond-pillow-limit", "beyond-portal-limit"]
)
def test_a_decompression_bomb_image_is_refused(page, size):
    client, case, url = page
    bomb = png_claiming(*size)
    assert len(bomb) < 50_000
    before, files = counts(), _stored_files()

    response = post_multipart(
        client, url, {"kind": "other", "file": Upload("bomb.png", bomb, "image/png")}
    )

    assert any("too large in pixels" in said for said in _refused(response, before, files))


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/passwd.png",
        "..\\..\\..\\windows\\system32\\x.png",
        "/var/www/static/x.png",
        "scan\x00.png",
        "\u202egnp.exe",
        "..",
    ],
)
def test_a_path_in_the_file_name_never_reaches_the_disk(page, name):
    client, case, url = page
    root = _root().resolve()

    response = post_multipart(
        client, url, {"kind": "other", "file": Upload(name, png(), "image/png")}
    )

    assert response.status_code == 302
    document = Document.objects.filter(case=case).latest("id")
    stored = Path(document.file.path).resolve()
    assert stored.is_relative_to(root / "cases" / str(case.pk))
    assert stored.suffix == ".png"
    assert "/" not in document.original_name
    assert "\\" not in document.original_name
    assert "\x00" not in document.original_name
    assert not document.original_name.startswith(".")
