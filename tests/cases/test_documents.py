from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from reportlab.pdfgen import canvas

from audit.models import AuditEvent
from cases.documents import document_add
from cases.errors import CaseError
from cases.models import CaseEvent, Document, DocumentKind

pytestmark = pytest.mark.django_db

BANK_CARD = DocumentKind.BANK_CARD


@pytest.fixture(autouse=True)
def storage(tmp_path, monkeypatch):
    """Each test stores into its own folder (the field holds its storage from start-up)."""
    storage = FileSystemStorage(location=tmp_path / "documents")
    monkeypatch.setattr(Document._meta.get_field("file"), "storage", storage)
    return storage


def _stored_files(storage) -> list[str]:
    root = storage.location
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())


def _image(fmt: str, size=(60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def _pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(100, 750, "Diagnosis")
    page.save()
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("card.jpg", _image("JPEG"), "image/jpeg", ".jpg"),
        ("card.png", _image("PNG"), "image/png", ".png"),
        ("diagnosis.pdf", _pdf(), "application/pdf", ".pdf"),
    ],
)
def test_a_photo_or_pdf_is_stored_under_a_random_name(
    case, applicant, storage, name, content, content_type, extension
):
    document = document_add(case=case, kind=BANK_CARD, upload=_upload(name, content), by=applicant)

    assert document.content_type == content_type
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.original_name == name
    assert document.file.name.startswith(f"cases/{case.pk}/")
    assert document.file.name.endswith(extension)
    assert name not in document.file.name
    with storage.open(document.file.name, "rb") as stored:
        assert stored.read() == content
    event = case.events.get(action="document_added")
    assert event.actor == applicant
    assert name in event.reason


def test_the_type_comes_from_the_content_not_the_name(case, applicant):
    document = document_add(
        case=case, kind=BANK_CARD, upload=_upload("scan.pdf", _image("PNG")), by=applicant
    )

    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png")


REFUSALS = {
    "elf_as_jpeg": ("photo.jpg", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, "bad_type"),
    "windows_exe_as_jpeg": ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "bad_type"),
    "html": ("card.png", b"<html><script>alert(1)</script></html>", "bad_type"),
    "empty": ("card.jpg", b"", "empty"),
    "bomb": ("card.png", _png_claiming(100_000, 100_000), "bomb"),
    "too_many_pixels": ("card.png", _png_claiming(8_000, 8_000), "bomb"),
    "damaged_png": ("card.png", _image("PNG")[:60], "damaged"),
    "truncated_pdf": ("scan.pdf", _pdf()[:-200], "damaged"),
}


@pytest.mark.parametrize("case_name", REFUSALS)
def test_a_file_that_is_not_a_clean_photo_or_pdf_is_refused_and_nothing_kept(
    case, applicant, storage, case_name
):
    name, content, code = REFUSALS[case_name]

    with pytest.raises(CaseError) as refused:
        document_add(case=case, kind=BANK_CARD, upload=_upload(name, content), by=applicant)

    assert refused.value.code == code
    assert refused.value.message
    assert not Document.objects.exists()
    assert _stored_files(storage) == []
    assert not case.events.filter(action="document_added").exists()


def test_an_oversized_file_is_refused_with_the_limit(case, applicant, storage, settings):
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    big = _image("PNG", size=(900, 900))  # noise-free but still well over a megabyte raw
    big = big + b"\x00" * (settings.DOCUMENT_MAX_BYTES + 1 - len(big))

    with pytest.raises(CaseError) as refused:
        document_add(case=case, kind=BANK_CARD, upload=_upload("big.png", big), by=applicant)

    assert refused.value.code == "too_large"
    assert "1" in refused.value.message
    assert _stored_files(storage) == []


def test_an_unknown_kind_of_document_is_refused(case, applicant):
    with pytest.raises(CaseError) as refused:
        document_add(
            case=case, kind="selfie", upload=_upload("a.jpg", _image("JPEG")), by=applicant
        )

    assert refused.value.code == "bad_kind"


@pytest.mark.parametrize(
    ("sent_name", "kept_name"),
    [
        ("../../etc/passwd.png", "passwd.png"),
        ("C:\\Users\\me\\card.png", "card.png"),
        ("..", "document"),
        ("\x00\x1b[31mcard.png", "[31mcard.png"),
    ],
)
def test_a_path_in_the_file_name_is_neutralised(case, applicant, storage, sent_name, kept_name):
    # Django's own upload handling strips most of this; the service must not rely on it.
    upload = io.BytesIO(_image("PNG"))
    upload.name, upload.size = sent_name, len(upload.getvalue())

    document = document_add(case=case, kind=BANK_CARD, upload=upload, by=applicant)

    assert document.original_name == kept_name
    assert _stored_files(storage) == [document.file.name]
    assert ".." not in document.file.name


# --- the upload and download pages --------------------------------------------------------


def _post_upload(client, case, name="card.png", content=None):
    content = _image("PNG") if content is None else content
    url = reverse("cases:document_upload", args=[case.pk])
    return client.post(url, {"kind": BANK_CARD, "file": _upload(name, content)})


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_applicant_uploads_to_their_own_case(client, case, applicant, case_page):
    client.force_login(applicant)

    response = _post_upload(client, case)

    assert response.status_code == 302
    assert response.url == case.get_absolute_url()
    assert Document.objects.get(case=case).uploaded_by == applicant


def test_a_clerk_uploads_for_a_window_applicant(client, case, clerk, case_page):
    client.force_login(clerk)

    _post_upload(client, case)

    assert Document.objects.get(case=case).uploaded_by == clerk


def test_a_refused_upload_says_why_and_keeps_nothing(client, case, applicant, case_page):
    client.force_login(applicant)

    response = _post_upload(client, case, name="photo.jpg", content=b"MZ" + b"\x00" * 300)

    assert response.status_code == 302
    assert len(_messages(response)) == 1
    assert not Document.objects.exists()


def test_an_empty_upload_is_refused_by_the_form(client, case, applicant, case_page):
    client.force_login(applicant)

    response = _post_upload(client, case, content=b"")

    assert response.status_code == 302
    assert _messages(response)
    assert not Document.objects.exists()


@pytest.mark.parametrize("who", ["stranger", "outsider", "reviewer"])
def test_others_cannot_upload(client, case, who, request):
    client.force_login(request.getfixturevalue(who))

    response = _post_upload(client, case)

    assert response.status_code == 404
    assert not Document.objects.exists()


def test_nothing_can_be_added_to_a_closed_case(client, case, applicant, case_page):
    type(case).objects.filter(pk=case.pk).update(closed_at=timezone.now())
    client.force_login(applicant)

    response = _post_upload(client, case)

    assert response.status_code == 302
    assert not Document.objects.exists()


@pytest.fixture
def document(case, applicant):
    return document_add(
        case=case, kind=BANK_CARD, upload=_upload("card.png", _image("PNG")), by=applicant
    )


@pytest.mark.parametrize("who", ["applicant", "clerk", "reviewer", "auditor"])
def test_the_owner_and_the_agency_staff_can_view_a_document(client, document, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.get(reverse("cases:document", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == _image("PNG")
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    viewed = CaseEvent.objects.get(case=document.case, action="document_viewed")
    assert viewed.actor == user
    assert AuditEvent.objects.get(action="document_download").user == user


def test_a_document_can_be_downloaded_as_an_attachment(client, document, applicant):
    client.force_login(applicant)

    response = client.get(reverse("cases:document", args=[document.pk]), {"download": "1"})

    assert response["Content-Disposition"].startswith("attachment")
    assert document.case.reference in response["Content-Disposition"]


@pytest.mark.parametrize("who", ["stranger", "outsider"])
def test_anyone_else_gets_not_found_and_no_history(client, document, who, request):
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("cases:document", args=[document.pk]))

    assert response.status_code == 404
    assert not CaseEvent.objects.filter(action="document_viewed").exists()
    assert not AuditEvent.objects.filter(action="document_download").exists()


def test_a_superuser_without_an_agency_cannot_view_documents(client, document, admin_user):
    client.force_login(admin_user)

    response = client.get(reverse("cases:document", args=[document.pk]))

    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, document):
    url = reverse("cases:document", args=[document.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_file_missing_from_storage_is_not_found_rather_than_an_error(
    client, document, applicant, storage
):
    storage.delete(document.file.name)
    client.force_login(applicant)

    response = client.get(reverse("cases:document", args=[document.pk]))

    assert response.status_code == 404
