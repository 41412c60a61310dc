"""Documents on a case: an upload checked by what it is, not by what it is called, then
stored under a random name and recorded in the case's history; and the sweep of files that
no document refers to."""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from cases.errors import CaseError
from cases.history import case_record
from cases.models import Case, Document, DocumentKind
from cases.units import file_size

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

ALLOWED_TYPES = {"image/jpeg", "image/png", "application/pdf"}
# A scanned A4 page at 600 dpi is about 35 megapixels; anything far larger is a bomb.
MAX_PIXELS = 50_000_000


def document_add(*, case: Case, kind: str, upload: Any, by: User | None) -> Document:
    """Check the file by its content, store it under a random name, record it on the case."""
    if kind not in DocumentKind.values:
        raise CaseError(_("Choose what kind of document this is."), code="bad_kind")
    checked = check_upload(upload)
    document = Document(
        case=case,
        kind=kind,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checked.sha256,
        uploaded_by=by,
    )
    document.file.save("upload", ContentFile(checked.content), save=False)
    document.save()
    case_record(
        case=case,
        action="document_added",
        by=by,
        reason=f"{document.get_kind_display()}: {document.original_name}",
    )
    return document


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    sha256: str
    original_name: str


def check_upload(upload: UploadedFile) -> CheckedFile:
    limit = int(settings.DOCUMENT_MAX_BYTES)
    if upload.size is None or upload.size > limit:
        raise CaseError(
            _("The file is too large: at most %(size)s.") % {"size": file_size(limit)},
            code="too_large",
        )
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise CaseError(_("The file is too large."), code="too_large")
    if not content:
        raise CaseError(_("The file is empty."), code="empty")
    kind = filetype.guess(content)
    mime = kind.mime if kind is not None else ""
    if mime not in ALLOWED_TYPES:
        raise CaseError(
            _("Only JPEG or PNG photos and PDF files are accepted; this file is something else."),
            code="bad_type",
        )
    if mime == "application/pdf":
        _check_pdf(content)
    else:
        _check_image(content)
    return CheckedFile(
        content=content,
        content_type=mime,
        sha256=hashlib.sha256(content).hexdigest(),
        original_name=_clean_name(upload.name or ""),
    )


def _check_image(content: bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise CaseError(_("The image is too large in pixels."), code="bomb")
                image.verify()
    except CaseError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise CaseError(_("The image is too large in pixels."), code="bomb") from exc
    except Exception as exc:
        raise CaseError(_("The image is damaged and cannot be read."), code="damaged") from exc


def _check_pdf(content: bytes) -> None:
    if b"%%EOF" not in content[-2048:]:
        raise CaseError(_("The PDF file is incomplete or damaged."), code="damaged")


def _clean_name(name: str) -> str:
    # Only for display: the stored name is random. Strip any path the browser sent.
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip(". ")
    return cleaned[:200] or "document"


# --- files no document refers to ------------------------------------------------------------


def documents_sweep_orphans(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Delete the stored files that no Document row refers to and that were last written more
    than DOCUMENT_ORPHAN_GRACE_HOURS ago; the number deleted.

    The file is written before its row is committed (`document_add` saves the file, then the
    row, in the caller's transaction): a transaction that rolls back leaves the file behind.
    The grace period is what keeps the sweep off a file whose transaction is still open, so
    it must be far longer than any transaction; the files are checked against the rows after
    their age, so a row committed meanwhile is seen."""
    storage = Document._meta.get_field("file").storage
    cutoff = (now or timezone.now()) - datetime.timedelta(
        hours=settings.DOCUMENT_ORPHAN_GRACE_HOURS
    )
    deleted = 0
    old: list[str] = []
    for name in _stored_names(storage):
        if storage.get_modified_time(name) < cutoff:
            old.append(name)
        if len(old) >= batch:
            deleted += _delete_unreferenced(storage, old)
            old = []
    return deleted + _delete_unreferenced(storage, old)


def _stored_names(storage: Storage, folder: str = "") -> Iterator[str]:
    # listdir, not os.walk: the same walk for a folder on disk and an S3 bucket's prefixes.
    folders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from _stored_names(storage, f"{folder}/{sub}" if folder else sub)


def _delete_unreferenced(storage: Storage, names: list[str]) -> int:
    referenced = set(Document.objects.filter(file__in=names).values_list("file", flat=True))
    orphans = [name for name in names if name not in referenced]
    for name in orphans:
        storage.delete(name)
        logger.info("deleted the orphan document file %s", name)
    return len(orphans)


# The kinds of document each kind of case asks for, in the order a clerk looks for them
# (docs/DOMAIN.md §1–3); a workflow may give its own per case (`register_document_kinds`).
_K = DocumentKind
CASE_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "transfer": (
        _K.ID_CARD_FRONT, _K.ID_CARD_BACK, _K.INSURANCE_CERTIFICATE, _K.REFUSAL_LETTER,
        _K.RETIREE_PROOF, _K.BANK_CARD,
    ),
    "withdrawal": (_K.ID_CARD_FRONT, _K.ID_CARD_BACK, _K.BANK_CARD),
    "emergency_refund": (_K.RECEIPTS, _K.DIAGNOSIS, _K.EXPENSE_LIST),
    "family_binding": (_K.KINSHIP_PROOF, _K.ID_CARD_FRONT, _K.ID_CARD_BACK),
}  # fmt: skip
_KINDS_OF_CASE: dict[str, Callable[[Case], tuple[str, ...]]] = {}


def register_document_kinds(kind: str, kinds_of: Callable[[Case], tuple[str, ...]]) -> None:
    _KINDS_OF_CASE[kind] = kinds_of


def document_choices(case: Case) -> list[tuple[str, str]]:
    """The document kinds this case's kind asks for, those not yet uploaded first, then
    "other"; every kind of document for a kind no workflow describes."""
    kinds_of = _KINDS_OF_CASE.get(case.kind)
    wanted = kinds_of(case) if kinds_of is not None else CASE_DOCUMENTS.get(case.kind)
    if not wanted:
        return [(k, str(label)) for k, label in DocumentKind.choices]
    present = set(case.documents.values_list("kind", flat=True))
    ordered = [k for k in wanted if k not in present] + [k for k in wanted if k in present]
    labels = dict(DocumentKind.choices)
    return [(k, str(labels[k])) for k in dict.fromkeys([*ordered, DocumentKind.OTHER])]
