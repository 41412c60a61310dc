"""The public page that checks a printed 信息表: no sign-in, since whoever holds the table (a
new employer, a bank, another agency) must be able to check it. It tells only what the table
itself shows, with the name and ID number masked; lookups are counted per address
(cases.ratelimit) so that codes cannot be tried in bulk."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from cases.ratelimit import allowed
from transfers.forms import VerifyForm
from transfers.verification import file_digest, finding, table_for_code


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Asked by the form (POST, with the file if one is chosen) or by the QR code's address
    (GET with the code)."""
    asked = request.method == "POST" or "code" in request.GET
    data = request.POST if request.method == "POST" else request.GET
    form = VerifyForm(data, request.FILES) if asked else VerifyForm()
    context: dict[str, Any] = {"form": form, "finding": None, "unknown": False}
    if not (asked and form.is_valid()):
        return render(request, "transfers/verify.html", context)
    if not allowed(request, scope="verify", rate=settings.VERIFICATION_RATE):
        context["throttled"] = True
        return render(request, "transfers/verify.html", context, status=429)
    table = table_for_code(form.cleaned_data["code"])
    if table is None:
        context["unknown"] = True
    else:
        upload = form.cleaned_data.get("pdf")
        digest = file_digest(upload.chunks()) if upload else None
        context["finding"] = finding(table, digest=digest)
    return render(request, "transfers/verify.html", context)
