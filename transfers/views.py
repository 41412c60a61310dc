"""Transfer pages: the applicant's application and progress, the staff case page with the
steps this user may take, the window intake, the reconciliation queue, and the PDFs: the
信息表, the receipt (受理回执) and the refusal notice (不予受理告知书).

Views are thin: scope through the selectors (a stranger gets a 404), one service call,
a message, a redirect. A CaseError becomes a message with every reason it carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_record
from cases import steps
from cases.errors import CaseError
from cases.forms import DocumentForm
from cases.history import case_record
from cases.kept_uploads import (
    files_with_kept,
    forget_kept,
    keep_uploads,
    kept_names,
    mark_kept,
)
from cases.models import DocumentKind
from cases.pages import show_refusal, take_step
from cases.reveal import Revealable, shown_number
from cases.selectors import (
    assign_panel,
    case_page_context,
    expected_completions,
    is_staff_member,
)
from transfers import precheck, progress, selectors, services
from transfers.choices import MoneyMode, PayoutReason
from transfers.forms import ApplyForm, IntakeForm
from transfers.infotable import render_pdf
from transfers.letters import render_receipt, render_refusal_notice
from transfers.models import InfoTable, Transfer


def _require_applicant(user: User) -> None:
    if user.person_id is None:
        raise Http404


def _require_staff(user: User) -> None:
    if not is_staff_member(user):
        raise Http404


# --- the case page -----------------------------------------------------------------------


@login_required
def detail(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    """The applicant sees their progress; staff of either agency see the case page."""
    user = request.user
    transfer = selectors.transfer_for(user, case_id)
    if user.person_id is not None:
        return render(request, "transfers/progress.html", _progress_context(user, transfer))
    return render(request, "transfers/detail.html", _staff_context(request, transfer))


def _common(user: User, transfer: Transfer) -> dict[str, Any]:
    return {
        "transfer": transfer,
        "info_table": InfoTable.objects.filter(transfer=transfer).first(),
        "refusal_reasons": selectors.refusal_messages(transfer, staff=user.person_id is None),
        "letters": _letters(transfer),
    }


@dataclass(frozen=True)
class Letter:
    label: str
    url: str


def _letters(transfer: Transfer) -> list[Letter]:
    """The receipt once the application is filed (always, here); the refusal notice once
    it is refused. Whoever may see the case may print them (the same views' scoping)."""
    letters = [
        Letter(_("Application receipt (PDF)"), reverse("transfers:receipt_pdf", args=[transfer.pk]))
    ]
    if transfer.state == Transfer.State.REFUSED:
        url = reverse("transfers:refusal_notice_pdf", args=[transfer.pk])
        letters.append(Letter(_("Notice of refusal to accept (PDF)"), url))
    return letters


def _progress_context(user: User, transfer: Transfer) -> dict[str, Any]:
    context = case_page_context(user, transfer.case)
    context.update(_common(user, transfer))
    shown = progress.progress_steps(transfer)
    context["steps"] = shown
    context["any_provisional"] = any(s.provisional for s in shown)
    context["next_step"] = progress.next_step(transfer)
    context["can_cancel"] = transfer.accepted_on is None and transfer.case.closed_at is None
    context["upload_form"] = DocumentForm(kinds=_document_kinds(transfer))
    return context


def _document_kinds(transfer: Transfer) -> list[tuple[str, Any]]:
    """Only what a transfer takes: the ID card, the 参保凭证, the bank card of a payout."""
    kinds = [
        DocumentKind.ID_CARD_FRONT,
        DocumentKind.ID_CARD_BACK,
        DocumentKind.INSURANCE_CERTIFICATE,
        *([DocumentKind.BANK_CARD] if transfer.payout_reason else []),
        DocumentKind.OTHER,
    ]
    return [(k, DocumentKind(k).label) for k in kinds]


def _staff_context(request: AuthenticatedRequest, transfer: Transfer) -> dict[str, Any]:
    user = request.user
    context = case_page_context(user, transfer.case)
    context.update(_common(user, transfer))
    person = transfer.case.person
    context.update(
        {
            "id_number": shown_number(
                request, transfer.case, Revealable.ID_NUMBER, person.id_number
            ),
            "side": selectors.side_of(user, transfer),
            # The payout account matters only where the balance goes to a bank.
            "pays_to_bank": transfer.payout_reason != PayoutReason.NONE
            or transfer.money_mode == MoneyMode.PAYOUT,
            "actions": steps.offered(user, transfer),
            "check_reasons": (
                selectors.check_messages(transfer)
                if transfer.state == Transfer.State.APPLIED
                else []
            ),
            "assign": assign_panel(user, transfer.case),
        }
    )
    return context


@login_required
@require_POST
def act(request: AuthenticatedRequest, case_id: int, action: str) -> HttpResponse:
    """Any step the page offers: the declaration says what it needs, its rule who may take it."""
    user = request.user
    transfer = selectors.transfer_for(user, case_id)
    _require_staff(user)
    if action not in steps.declared(Transfer):
        raise Http404
    return take_step(request, transfer, action)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _log_download(request: AuthenticatedRequest, transfer: Transfer, what: str) -> None:
    audit_record(
        action=AuditAction.DOCUMENT_DOWNLOAD,
        user=request.user,
        request=request,
        object_repr=f"{transfer.case.reference} {what}",
    )


@login_required
def info_table_pdf(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    """The sealed 信息表; each distinct file handed out is recorded by its digest, so that the
    verification page can later recognise it (transfers.verification)."""
    user = request.user
    transfer = selectors.transfer_for(user, case_id)
    table = InfoTable.objects.filter(transfer=transfer).select_related("issued_by").first()
    if table is None:
        raise Http404
    pdf = render_pdf(table)
    services.info_table_print_record(table=table, pdf=pdf, language=get_language())
    case_record(case=transfer.case, action="info_table_viewed", by=user)
    _log_download(request, transfer, "information table")
    return _pdf(pdf, f"{transfer.case.reference}.pdf")


@login_required
def receipt_pdf(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    """受理回执: for the applicant and the staff who may see the case, once it is filed."""
    transfer = selectors.transfer_for(request.user, case_id)
    _log_download(request, transfer, "receipt")
    return _pdf(render_receipt(transfer), f"{transfer.case.reference}-receipt.pdf")


@login_required
def refusal_notice_pdf(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    """不予受理告知书: only for a refused application."""
    transfer = selectors.transfer_for(request.user, case_id)
    if transfer.state != Transfer.State.REFUSED:
        raise Http404
    _log_download(request, transfer, "refusal notice")
    return _pdf(render_refusal_notice(transfer), f"{transfer.case.reference}-refusal.pdf")


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: AuthenticatedRequest) -> HttpResponse:
    """A clerk at either agency takes in an application at the window."""
    user = request.user
    _require_staff(user)
    if not user.has_perm("cases.process_case"):
        raise Http404
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = _file(form, user, form.cleaned_data["id_number"])
        except CaseError as exc:
            for reason in exc.reasons:
                form.add_error(None, reason)
        else:
            messages.success(request, _("The application was taken in."))
            return redirect(transfer.case.get_absolute_url())
    return render(request, "transfers/intake.html", {"form": form})


def _file(form: IntakeForm | ApplyForm, user: User, person: Any, **photos: Any) -> Transfer:
    data = form.cleaned_data
    return services.transfer_apply(
        person=person,
        origin_agency=data["origin_agency"],
        destination_agency=data["destination_agency"],
        transfer_type=data["transfer_type"],
        contact_phone=data["contact_phone"],
        payout_reason=data.get("payout_reason") or "",
        bank=form.bank(),
        by=user,
        **photos,
    )


@login_required
def reconciliation(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    _require_staff(user)
    rows = selectors.reconciliation_queue(user)
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(request, "transfers/reconciliation.html", {"page": page})


# --- applicant pages ---------------------------------------------------------------------


@login_required
def mine(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    _require_applicant(user)
    rows = list(selectors.transfers_of_applicant(user))
    expected = expected_completions([t.case for t in rows])
    for transfer in rows:
        transfer.expected = expected.get(transfer.case_id)  # type: ignore[attr-defined]
    return render(request, "transfers/mine.html", {"transfers": rows})


APPLY_FORM = "transfers:apply"


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: AuthenticatedRequest) -> HttpResponse:
    """The application online. What already stops it (a case of the person still open) is said
    before the form; the route's check runs on submission, before anything is filed, and the
    photos chosen are kept when the form comes back."""
    user = request.user
    _require_applicant(user)
    person = user.person
    assert person is not None  # noqa: S101 - _require_applicant
    blockers = precheck.open_case_reasons(person)
    posted = request.method == "POST" and not blockers
    form = ApplyForm(
        request.POST if posted else None,
        files_with_kept(request, APPLY_FORM) if posted else None,
        initial={"contact_phone": person.phone, "bank_account_name": person.name},
    )
    if posted and form.is_valid():
        try:
            transfer = _file(
                form,
                user,
                person,
                id_card_front=form.cleaned_data["id_card_front"],
                id_card_back=form.cleaned_data["id_card_back"],
            )
        except CaseError as exc:
            for reason in exc.reasons:
                form.add_error(None, reason)
        else:
            forget_kept(request, APPLY_FORM)
            messages.success(
                request,
                _("Your application %(ref)s was received.") % {"ref": transfer.case.reference},
            )
            return redirect(transfer.case.get_absolute_url())
    if posted:
        keep_uploads(request, APPLY_FORM, form)
    mark_kept(request, APPLY_FORM, form)
    context = {"form": form, "blockers": blockers, "kept": kept_names(request, APPLY_FORM)}
    return render(request, "transfers/apply.html", context)


@login_required
@require_POST
def cancel(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    user = request.user
    transfer = selectors.transfer_for(user, case_id)
    try:
        services.transfer_cancel(case=transfer.case, by=user)
    except CaseError as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("Your application was cancelled."))
    return redirect(transfer.case.get_absolute_url())


@login_required
@require_POST
def upload(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    user = request.user
    transfer = selectors.transfer_for(user, case_id)
    _require_applicant(user)
    form = DocumentForm(request.POST, request.FILES, kinds=_document_kinds(transfer))
    if not form.is_valid():
        messages.error(request, _("Choose the kind of document and a file."))
        return redirect(transfer.case.get_absolute_url())
    try:
        services.transfer_documents_upload(
            case=transfer.case,
            by=user,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        )
    except CaseError as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("The document was added."))
    return redirect(transfer.case.get_absolute_url())
