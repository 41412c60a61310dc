"""Files a person chose on a form that came back for another reason (a phone number too short,
a check that refused the application) are kept, so that they need not choose them again.

A browser never sends a file input back: each file that passed its own check is stored in the
documents storage under `kept/` and named in the session, per form. The next post of that form
gets it back in place of an empty input; a new file chosen for the field replaces it. A kept
file no document row refers to, so the orphan sweep (`documents_sweep_orphans`) deletes
whatever a person abandoned once the grace period has passed; a filed form forgets its own at
once."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from cases.documents import check_upload
from cases.errors import CaseError
from cases.storage import document_storage

SESSION_KEY = "kept_uploads"


def _kept(request: HttpRequest, form_key: str) -> dict[str, dict[str, str]]:
    everything: dict[str, dict[str, dict[str, str]]] = request.session.get(SESSION_KEY, {})
    return dict(everything.get(form_key, {}))


def _save(request: HttpRequest, form_key: str, kept: dict[str, dict[str, str]]) -> None:
    everything = dict(request.session.get(SESSION_KEY, {}))
    if kept:
        everything[form_key] = kept
    else:
        everything.pop(form_key, None)
    request.session[SESSION_KEY] = everything


def files_with_kept(request: HttpRequest, form_key: str) -> MultiValueDict[str, UploadedFile]:
    """The files of this post, with the kept ones in place of the inputs left empty."""
    files: MultiValueDict[str, UploadedFile] = request.FILES.copy()
    storage = document_storage()
    for field, entry in _kept(request, form_key).items():
        if files.get(field):
            continue
        try:
            with storage.open(entry["name"], "rb") as stored:
                content = stored.read()
        except FileNotFoundError:
            continue
        files[field] = SimpleUploadedFile(entry["original_name"], content, entry["content_type"])
    return files


def keep_uploads(request: HttpRequest, form_key: str, form: forms.Form) -> None:
    """After a post that filed nothing: keep every file that passed its own check (the page
    says so with `kept_names` and `mark_kept`)."""
    kept = _kept(request, form_key)
    storage = document_storage()
    for name, field in form.fields.items():
        if not isinstance(field, forms.FileField) or name in form.errors:
            continue
        upload = form.cleaned_data.get(name) if hasattr(form, "cleaned_data") else None
        if not isinstance(upload, UploadedFile):
            continue
        previous = kept.get(name)
        if previous is not None and not request.FILES.get(name):
            continue  # the kept file came back unchanged
        entry = _store(storage, upload)
        if entry is None:
            continue
        if previous is not None:
            storage.delete(previous["name"])
        kept[name] = entry
    _save(request, form_key, kept)


def mark_kept(request: HttpRequest, form_key: str, form: forms.Form) -> None:
    """Say on each field with a kept file which file it is, and require no other: the page
    may be shown afresh (another language) with the files still kept."""
    for name, entry in _kept(request, form_key).items():
        if name in form.fields:
            form.fields[name].required = False
            text = _("Kept from your last attempt: %(file)s. Choose a file only to replace it.") % {
                "file": entry["original_name"]
            }
            form.fields[name].help_text = text
            if name in getattr(form, "_bound_fields_cache", {}):
                form[name].help_text = text  # the bound field copied it when it was made


def _store(storage: Any, upload: UploadedFile) -> dict[str, str] | None:
    try:
        checked = check_upload(upload)
    except CaseError:
        return None
    finally:
        upload.seek(0)
    name = storage.save(f"kept/{uuid.uuid4().hex}", ContentFile(checked.content))
    return {
        "name": name,
        "original_name": checked.original_name,
        "content_type": checked.content_type,
    }


def kept_names(request: HttpRequest, form_key: str) -> list[str]:
    return [entry["original_name"] for entry in _kept(request, form_key).values()]


def forget_kept(request: HttpRequest, form_key: str) -> None:
    """The form was filed: its files are on the case now."""
    storage = document_storage()
    for entry in _kept(request, form_key).values():
        storage.delete(entry["name"])
    _save(request, form_key, {})
