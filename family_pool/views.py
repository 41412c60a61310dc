"""Family-pool pages: the applicant's bindings, binding, quota, payment order and statement;
for staff the review queue, the window, a person's bindings and the flagged charges.

Every view is permission check, form, one service call, message, redirect; a refusal
(CaseError) becomes a message or a form error, never a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.freezes.permissions import of_account_agency
from accounts.http import AuthenticatedRequest
from accounts.idnumbers import normalize_id_number
from accounts.models import InsuredPerson, User
from cases import steps
from cases.errors import CaseError
from cases.pages import show_refusal, take_step
from cases.selectors import case_page_context, is_staff_member
from family_pool import rules, selectors, services
from family_pool.charging import flags as charge_flags
from family_pool.forms import (
    BindForm,
    FlagReviewForm,
    OrderForm,
    PersonSearchForm,
    QuotaForm,
    WindowBindForm,
)
from family_pool.models import Binding


def _applicant(request: AuthenticatedRequest) -> tuple[User, InsuredPerson]:
    user = request.user
    if user.person is None:
        raise Http404
    return user, user.person


def _staff(request: AuthenticatedRequest) -> User:
    user = request.user
    if not is_staff_member(user):
        raise Http404
    return user


def _form_refused(form: BindForm | WindowBindForm, exc: CaseError) -> None:
    for reason in exc.reasons:
        form.add_error(None, reason)


def _attempt(request: AuthenticatedRequest, call: Callable[[], object], done: str) -> None:
    """Run one service call: its refusal becomes messages, its success the `done` message."""
    try:
        call()
    except CaseError as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, done)


# --- applicant ------------------------------------------------------------------------------


@login_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    _user_, person = _applicant(request)
    context = {
        "as_holder": selectors.bindings_as_holder(person),
        "as_relative": selectors.bindings_as_relative(person),
        "wallet": selectors.wallet(person),
    }
    return render(request, "family_pool/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def bind(request: AuthenticatedRequest) -> HttpResponse:
    user, person = _applicant(request)
    # Which side this person can take is said before the form, not after it is filled in.
    sides = rules.applicant_sides(person)
    roles = [side for side, reasons in sides.items() if not reasons]
    form = BindForm(request.POST if roles else None, roles=roles)
    if request.method == "POST" and roles and form.is_valid():
        try:
            binding = services.binding_request(
                by=user,
                other_id_number=form.cleaned_data["other_id_number"],
                other_name=form.cleaned_data["other_name"],
                relation=form.cleaned_data["relation"],
                as_holder=form.cleaned_data["role"] == "holder",
            )
        except CaseError as exc:
            _form_refused(form, exc)
        else:
            messages.success(request, _state_message(binding))
            return redirect("family_pool:detail", case_id=binding.pk)
    context = {
        "form": form,
        "roles": roles,
        "cannot": [reason for reasons in sides.values() for reason in reasons],
    }
    return render(request, "family_pool/bind.html", context)


def _state_message(binding: Binding) -> str:
    if binding.state == Binding.State.ACTIVE:
        return _("The binding is active.")
    if binding.holder_consent_at is None:
        return _("The request was sent; the account holder must confirm it.")
    return _("The binding waits for the agency's review.")


@login_required
def detail(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    user = request.user
    binding = selectors.binding_for(user, case_id)
    context = case_page_context(user, binding.case)
    staff = is_staff_member(user)
    offers = steps.offered(user, binding)
    context.update(
        binding=binding,
        parts=selectors.binding_parts(binding)[:50],
        is_holder=user.person_id == binding.holder_id,
        is_relative=user.person_id == binding.relative_id,
        is_open=binding.state in Binding.OPEN_STATES,
        # The holder's answer (agree or decline) has its own section above the steps.
        actions=[o for o in offers if o.name != "decline"],
        decline=next((o for o in offers if o.name == "decline"), None),
        quota_form=QuotaForm(initial={"quota": binding.quota}),
        staff=staff,
    )
    return render(request, "family_pool/detail.html", context)


@login_required
@require_POST
def quota(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    user = request.user
    binding = selectors.binding_for(user, case_id)
    form = QuotaForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The quota must be an amount in yuan with at most two decimals."))
        return redirect("family_pool:detail", case_id=binding.pk)
    _attempt(
        request,
        lambda: services.binding_set_quota(
            binding=binding, quota=form.cleaned_data["quota"], by=user
        ),
        _("The quota was saved."),
    )
    return redirect("family_pool:detail", case_id=binding.pk)


@login_required
@require_POST
def act(request: AuthenticatedRequest, case_id: int, action: str) -> HttpResponse:
    if action not in steps.declared(Binding):
        raise Http404
    binding = selectors.binding_for(request.user, case_id)
    return take_step(request, binding, action)


@login_required
@require_POST
def consent(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    user = request.user
    binding = selectors.binding_for(user, case_id)
    if request.POST.get("answer") != "agree":
        # Declining cannot be undone: it is the declared step, asked for like any other.
        return take_step(request, binding, "decline")
    try:
        binding = services.binding_consent(binding=binding, by=user, agree=True)
    except CaseError as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _state_message(binding))
    return redirect("family_pool:detail", case_id=binding.pk)


@login_required
@require_http_methods(["GET", "POST"])
def order(request: AuthenticatedRequest) -> HttpResponse:
    user, person = _applicant(request)
    bindings = list(selectors.bindings_as_relative(person).filter(state__in=Binding.OPEN_STATES))
    form = OrderForm(request.POST or None, bindings=bindings)
    if request.method == "POST" and form.is_valid():
        try:
            services.bindings_set_order(by=user, order=form.order())
        except CaseError as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("The payment order was saved."))
            return redirect("family_pool:order")
    return render(request, "family_pool/order.html", {"form": form})


@login_required
def statement(request: AuthenticatedRequest) -> HttpResponse:
    _user_, person = _applicant(request)
    context = {
        "paid_for_me": Paginator(selectors.paid_for(person), 25).get_page(request.GET.get("in")),
        "paid_by_me": Paginator(selectors.paid_by(person), 25).get_page(request.GET.get("out")),
    }
    return render(request, "family_pool/statement.html", context)


# --- staff ----------------------------------------------------------------------------------


@login_required
def review(request: AuthenticatedRequest) -> HttpResponse:
    user = _staff(request)
    page = Paginator(selectors.review_queue(user), 25).get_page(request.GET.get("page"))
    return render(request, "family_pool/review.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def window(request: AuthenticatedRequest) -> HttpResponse:
    user = _staff(request)
    if not user.has_perm("cases.process_case"):
        raise Http404
    form = WindowBindForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        holder = _person_by_id(form.cleaned_data["holder_id_number"])
        relative = _person_by_id(form.cleaned_data["relative_id_number"])
        if holder is None:
            form.add_error("holder_id_number", _("No insured person has this ID number."))
        if relative is None or relative.name != form.cleaned_data["relative_name"].strip():
            form.add_error(
                "relative_id_number", _("No insured person matches this ID number and name.")
            )
        if form.is_valid() and holder is not None and relative is not None:
            try:
                binding = services.binding_open_at_window(
                    by=user,
                    holder=holder,
                    relative=relative,
                    relation=form.cleaned_data["relation"],
                    kinship_proof=form.cleaned_data["kinship_proof"],
                )
            except CaseError as exc:
                _form_refused(form, exc)
            else:
                messages.success(request, _("The binding is active."))
                return redirect("family_pool:detail", case_id=binding.pk)
    return render(request, "family_pool/window.html", {"form": form})


def _person_by_id(id_number: str) -> InsuredPerson | None:
    return InsuredPerson.objects.filter(id_number=normalize_id_number(id_number)).first()


@login_required
@require_http_methods(["GET", "POST"])
def person_search(request: AuthenticatedRequest) -> HttpResponse:
    """By POST: an ID number in a query string would stay in proxy and access logs. The
    person's page is addressed by their internal id."""
    _staff(request)
    form = PersonSearchForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        person = _person_by_id(form.cleaned_data["id_number"])
        if person is not None:
            return redirect("family_pool:person", person_id=person.pk)
        form.add_error("id_number", _("No insured person has this ID number."))
    return render(request, "family_pool/person_search.html", {"form": form})


@login_required
def person(request: AuthenticatedRequest, person_id: int) -> HttpResponse:
    user = _staff(request)
    who = selectors.person_for_staff(user, person_id)
    wallet = selectors.wallet(who)
    context = {
        "person": who,
        "as_holder": selectors.bindings_as_holder(who),
        "as_relative": selectors.bindings_as_relative(who),
        "wallet": wallet,
        # The freezes page is for the agency that runs the account (its supervisors act there).
        "shows_freezes": wallet.account is not None and of_account_agency(user, wallet.account),
    }
    return render(request, "family_pool/person.html", context)


@login_required
def flags(request: AuthenticatedRequest) -> HttpResponse:
    user = _staff(request)
    page = Paginator(selectors.flags_for(user), 25).get_page(request.GET.get("page"))
    can_review = user.has_perm("family_pool.review_flaggedcharge")
    return render(
        request,
        "family_pool/flags.html",
        {"page": page, "can_review": can_review, "form": FlagReviewForm()},
    )


@login_required
@require_POST
def flag_review(request: AuthenticatedRequest, flag_id: int) -> HttpResponse:
    user = _staff(request)
    flag = get_object_or_404(selectors.flags_for(user), pk=flag_id)
    form = FlagReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write what was found or done."))
        return redirect("family_pool:flags")
    _attempt(
        request,
        lambda: charge_flags.flag_review(flag=flag, by=user, note=form.cleaned_data["note"]),
        _("The flag was marked as reviewed."),
    )
    return redirect("family_pool:flags")
