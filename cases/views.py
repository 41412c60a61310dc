"""Pages every kind of case shares: the staff work queue, the inbox, documents and notes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest, safe_next
from accounts.models import User
from audit.models import AuditAction
from audit.services import audit_record
from cases import selectors
from cases.assignment import case_assign
from cases.documents import document_add
from cases.errors import CaseError
from cases.forms import DocumentForm, NoteForm
from cases.history import case_note_add, case_record, number_reveal
from cases.models import Notification
from cases.notifications import notification_mark_read, notifications_mark_all_read
from cases.registry import state_label
from cases.reveal import Revealable, remember_reveal


@login_required
@require_POST
def assign(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    """Claim the case (no assignee given) or, for a supervisor, give it to a colleague."""
    user = request.user
    case = selectors.case_for(user, case_id)
    if not selectors.is_staff_member(user) or not (
        user.has_perm("cases.process_case")
        or user.has_perm("cases.review_case")
        or user.has_perm("cases.sign_off_case")
    ):
        raise Http404
    target: User | None = user
    raw = request.POST.get("assignee", "")
    if raw:
        target = User.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if target is None:
            messages.error(request, _("Choose a colleague."))
            return redirect(case.get_absolute_url())
    try:
        with transaction.atomic():
            case_assign(case=case, assignee=target, by=user)
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The case was assigned."))
    return redirect(case.get_absolute_url())


@login_required
def detail(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = selectors.case_for(request.user, case_id)
    url = case.get_absolute_url()
    # A kind no workflow app registered has no page but this one: not a redirect loop.
    if url == request.path:
        raise Http404
    return redirect(url)


@login_required
def document_download(request: AuthenticatedRequest, document_id: int) -> FileResponse:
    user = request.user
    document = selectors.document_for(user, document_id)
    try:
        content = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    case_record(
        case=document.case,
        action="document_viewed",
        by=user,
        reason=f"{document.get_kind_display()}: {document.original_name}",
    )
    audit_record(
        action=AuditAction.DOCUMENT_DOWNLOAD,
        user=user,
        request=request,
        object_repr=f"{document.case.reference} document {document.pk}",
        detail=document.get_kind_display(),
    )
    response = FileResponse(
        content,
        content_type=document.content_type,
        as_attachment=request.GET.get("download") == "1",
        filename=f"{document.case.reference}-{document.pk}{document.extension}",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def document_upload(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = selectors.case_for(user, case_id)
    if case.closed_at is not None:
        messages.error(request, _("This case is closed; no more documents can be added."))
        return redirect(case.get_absolute_url())
    if user.person_id is None and not user.has_perm("cases.process_case"):
        raise Http404
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(case.get_absolute_url())
    try:
        with transaction.atomic():
            document_add(
                case=case, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], by=user
            )
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The document was added."))
    return redirect(case.get_absolute_url())


@login_required
@require_POST
def note_add(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = selectors.case_for(user, case_id)
    if not selectors.is_staff_member(user):
        raise Http404
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            case_note_add(case=case, by=user, text=form.cleaned_data["text"])
        except CaseError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The note was added."))
    else:
        messages.error(request, _("A note cannot be empty."))
    return redirect(case.get_absolute_url())


@login_required
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    page = Paginator(selectors.inbox_for(user), 25).get_page(request.GET.get("page"))
    return render(request, "cases/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_read(request: AuthenticatedRequest, notification_id: int) -> HttpResponse:
    user = request.user
    notification = get_object_or_404(
        Notification, pk=notification_id, recipient=user, channel=Notification.Channel.INBOX
    )
    notification_mark_read(notification=notification, by=user)
    # "Open" goes on to the case; "mark as read" stays in the inbox.
    if notification.case_id is not None and request.POST.get("then") != "inbox":
        return redirect(notification.case.get_absolute_url())  # type: ignore[union-attr]
    return redirect("cases:inbox")


@login_required
@require_POST
def inbox_read_all(request: AuthenticatedRequest) -> HttpResponse:
    count = notifications_mark_all_read(by=request.user)
    if count:
        messages.success(request, _("All messages are marked as read."))
    return redirect("cases:inbox")


@login_required
def mine(request: AuthenticatedRequest) -> HttpResponse:
    """The applicant's cases of every kind, each with its state and a link to its page."""
    user = request.user
    if user.person_id is None:
        raise Http404
    page = Paginator(selectors.cases_of_applicant(user), 25).get_page(request.GET.get("page"))
    expected = selectors.expected_completions(list(page.object_list))
    for case in page.object_list:
        case.state_label = state_label(case.kind, case.state)
        case.expected = expected.get(case.pk)
    return render(request, "cases/mine.html", {"page": page})


@login_required
@require_POST
def reveal_id(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    """Show one full number of the case (the insured person's ID number unless `what` names
    another) on the next view of the case page, once; the history and the audit log say who
    saw which."""
    user = request.user
    case = selectors.case_for(user, case_id)
    what = request.POST.get("what") or Revealable.ID_NUMBER
    if not selectors.is_staff_member(user) or what not in Revealable.values:
        raise Http404
    try:
        number_reveal(case=case, by=user, what=what)
    except CaseError as exc:
        raise PermissionDenied(exc.message) from exc
    audit_record(
        action=AuditAction.REVEAL_CARD_NUMBER
        if what == Revealable.CARD_NUMBER
        else AuditAction.REVEAL_ID_NUMBER,
        user=user,
        request=request,
        object_repr=f"{case.reference} person {case.person_id}",
        detail=what,
    )
    remember_reveal(request, case.pk, what)
    return redirect(safe_next(request, request.POST.get("next", ""), case.get_absolute_url()))
