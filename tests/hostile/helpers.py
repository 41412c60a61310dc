"""What every hostile-input property checks: no 5xx, a clear answer, and nothing half-saved.

Requests are encoded by hand (urlencoded or multipart) so that any string can be sent, lone
surrogates and NUL included: the test client's own encoder refuses what a browser or a
script may still send as raw bytes."""

from __future__ import annotations

import io
import secrets
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_from_bytes

from django.contrib.messages import get_messages
from django.db import transaction
from PIL import Image

from accounts.models import InsuredPerson, LedgerEntry, SignupCode, User
from accounts.selectors import ledger_differences
from cases.models import Case, CaseEvent, Document, Notification


def raw(value: str) -> bytes:
    # "surrogatepass": a lone surrogate goes out as the bytes a sloppy client would send.
    return value.encode("utf-8", "surrogatepass")


def post_urlencoded(client: Any, url: str, fields: Mapping[str, str]) -> Any:
    pairs = (f"{quote_from_bytes(raw(k))}={quote_from_bytes(raw(v))}" for k, v in fields.items())
    body = "&".join(pairs)
    return client.generic(
        "POST", url, body.encode("ascii"), content_type="application/x-www-form-urlencoded"
    )


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes
    content_type: str = "application/octet-stream"


def post_multipart(client: Any, url: str, fields: Mapping[str, str | Upload]) -> Any:
    boundary = secrets.token_hex(16)
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f"--{boundary}\r\n".encode())
        if isinstance(value, Upload):
            disposition = b'Content-Disposition: form-data; name="%s"; filename="%s"\r\n' % (
                raw(name),
                raw(value.name).replace(b'"', b"%22"),
            )
            out.write(disposition)
            out.write(b"Content-Type: %s\r\n\r\n" % raw(value.content_type))
            out.write(value.content)
        else:
            out.write(b'Content-Disposition: form-data; name="%s"\r\n\r\n' % raw(name))
            out.write(raw(value))
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return client.generic(
        "POST",
        url,
        out.getvalue(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def png(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def photo(name: str = "id.png") -> Upload:
    return Upload(name, png(), "image/png")


def counts() -> dict[str, int]:
    """The rows an application, a step or a charge writes."""
    from family_pool.models import Binding, Charge, FlaggedCharge
    from transfers.models import Transfer
    from withdrawals.models import EmergencyRefund, Withdrawal

    models = {
        "case": Case,
        "event": CaseEvent,
        "document": Document,
        "notification": Notification,
        "ledger": LedgerEntry,
        "binding": Binding,
        "transfer": Transfer,
        "withdrawal": Withdrawal,
        "refund": EmergencyRefund,
        "charge": Charge,
        "flag": FlaggedCharge,
        "person": InsuredPerson,
        "user": User,
        "signup_code": SignupCode,
    }
    return {name: model.objects.count() for name, model in models.items()}


def assert_whole() -> None:
    """Nothing half-saved: every case has its workflow row in the same state and a history,
    every account's balance is the sum of its ledger entries."""
    from family_pool.models import Binding
    from transfers.models import Transfer
    from withdrawals.models import EmergencyRefund, Withdrawal

    workflow = {
        "transfer": Transfer,
        "withdrawal": Withdrawal,
        "emergency_refund": EmergencyRefund,
        "family_binding": Binding,
    }
    for case in Case.objects.all():
        row = workflow[case.kind].objects.filter(pk=case.pk).first()
        assert row is not None, f"case {case.reference} has no {case.kind} row"
        assert row.state == case.state, f"case {case.reference}: {row.state} != {case.state}"
        assert case.events.exists(), f"case {case.reference} has no history"
    assert not ledger_differences(), "an account's balance differs from its ledger entries"


def told(response: Any) -> list[str]:
    """What the page tells the user went wrong: form errors and error/warning messages."""
    said: list[str] = []
    context = response.context or {}
    for key in ("form",):
        form = context.get(key) if hasattr(context, "get") else None
        if form is not None and getattr(form, "errors", None):
            said += [str(e) for errors in form.errors.values() for e in errors]
    request = getattr(response, "wsgi_request", None)
    if request is not None:
        said += [str(m) for m in get_messages(request)]
    return said


@contextmanager
def rolled_back():
    """One example's writes, undone after it: every example meets the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def check_answer(response: Any, before: dict[str, int], *, success_status: int = 302) -> bool:
    """No 5xx; nothing changed and the user was told why, or the whole thing was saved.
    Returns whether something was saved."""
    assert response.status_code < 500, response.status_code
    after = counts()
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    if changed:
        assert response.status_code == success_status, (response.status_code, changed)
        assert_whole()
        return True
    if response.status_code == 400:
        return False  # Django refused the request itself (malformed or too large)
    assert told(response), f"refused without a word: {response.status_code}"
    return False
