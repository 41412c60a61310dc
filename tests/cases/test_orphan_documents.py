"""The sweep of document files that no document row refers to (a rolled-back upload)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from cases.documents import document_add, documents_sweep_orphans
from cases.models import Document, DocumentKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(tmp_path, monkeypatch):
    storage = FileSystemStorage(location=tmp_path / "documents")
    monkeypatch.setattr(Document._meta.get_field("file"), "storage", storage)
    return storage


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile("card.png", buffer.getvalue(), content_type="image/png")


def _rolled_back_upload(case, by) -> str:
    """The upload's file is written, then the transaction around it rolls back."""
    stored: list[str] = []

    def upload_then_fail() -> None:
        with transaction.atomic():
            document = document_add(case=case, kind=DocumentKind.BANK_CARD, upload=_photo(), by=by)
            stored.append(document.file.name)
            raise RuntimeError("the rest of the request failed")

    with pytest.raises(RuntimeError):
        upload_then_fail()
    return stored[0]


def _in(hours: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=hours)


def test_a_file_left_by_a_rolled_back_upload_is_deleted_after_the_grace_period(
    case, applicant, storage, settings
):
    settings.DOCUMENT_ORPHAN_GRACE_HOURS = 24
    name = _rolled_back_upload(case, applicant)
    assert storage.exists(name)
    assert not Document.objects.exists()

    too_soon = documents_sweep_orphans(now=_in(23))
    after = documents_sweep_orphans(now=_in(25))

    assert (too_soon, after) == (0, 1)
    assert not storage.exists(name)


def test_a_file_a_document_refers_to_is_never_deleted(case, applicant, storage):
    kept = document_add(case=case, kind=DocumentKind.BANK_CARD, upload=_photo(), by=applicant)
    orphan = _rolled_back_upload(case, applicant)

    deleted = documents_sweep_orphans(now=_in(24 * 365))

    assert deleted == 1
    assert storage.exists(kept.file.name)
    assert not storage.exists(orphan)


def test_the_sweep_reads_every_folder_in_batches(case, applicant, storage):
    kept = document_add(case=case, kind=DocumentKind.BANK_CARD, upload=_photo(), by=applicant)
    storage.save("cases/999999/stray.png", io.BytesIO(b"x"))
    storage.save("elsewhere/deep/stray.pdf", io.BytesIO(b"y"))

    deleted = documents_sweep_orphans(now=_in(48), batch=1)

    assert deleted == 2
    assert storage.listdir("cases/999999") == ([], [])
    assert storage.exists(kept.file.name)
