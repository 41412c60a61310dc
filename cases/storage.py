"""Where uploaded documents are kept: the "documents" storage (settings.STORAGES), a
private folder by default and an S3-compatible store where configured; never static files."""

from __future__ import annotations

from django.core.files.storage import Storage, storages


def document_storage() -> Storage:
    return storages["documents"]
