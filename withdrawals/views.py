"""Pages for withdrawals and emergency refunds: the applicant applies, sees the amount and
follows the case; staff review, pay and refuse. Each step is one service call; a refusal by
a service becomes messages on the page, never an error page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.choices import WithdrawalGround
from accounts.http import AuthenticatedRequest
from accounts.masking import mask_phone
from accounts.models import InsuredPerson, PersonalAccount, User
from accounts.selectors import person_login
from cases import steps
from cases.errors import CaseError
from cases.kept_uploads import (
    files_with_kept,
    forget_kept,
    keep_uploads,
    kept_names,
    mark_kept,
)
from cases.models import Channel, DocumentKind
from cases.pages import show_refusal, take_step
from cases.reveal import Revealable, shown_number
from cases.selectors import assign_panel, case_for, case_page_context, is_staff_member
from cases.workflow import today
from withdrawals import eligibility, rules, selectors, services
from withdrawals.forms import (
    ApplyForm,
    AssessForm,
    GroundForm,
    WindowForm,
)
from withdrawals.models import Withdrawal

APPLY_KEY = "withdrawal_apply"
# The kept uploads of step 2 (cases.kept_uploads).
APPLY_FORM = "withdrawals:apply_confirm"


def person_of(user: User) -> InsuredPerson:
    if user.person is None:
        raise Http404
    return user.person


# --- the applicant -----------------------------------------------------------------------


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    person = person_of(user)
    account = selectors.open_account_of(person)
    context = {
        "account": account,
        "withdrawals": selectors.withdrawals_visible_to(user).order_by("-case__created_at"),
        "refunds": selectors.refunds_visible_to(user).order_by("-case__created_at"),
        "preview": selectors.preview_computation(account) if account else None,
    }
    return render(request, "withdrawals/home.html", context)


def _deceased_account(chosen: dict[str, Any]) -> PersonalAccount | None:
    person = InsuredPerson.objects.filter(id_number=chosen["deceased_id_number"]).first()
    if person is None or person.name != chosen["deceased_name"].strip():
        return None
    return selectors.open_account_of(person)


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: AuthenticatedRequest) -> HttpResponse:
    """Step 1: the ground (and for a death, whose balance). For a death nothing is looked up
    here: whether the person named exists is no answer a form gives (step 2 neither)."""
    user = request.user
    own = selectors.open_account_of(person_of(user))
    groups = selectors.account_policy(own).withdrawal_fee_exempt_groups if own else ()
    form = GroundForm(
        request.POST or None, grounds=selectors.allowed_grounds(own), exempt_groups=groups
    )
    # What stops a withdrawal of the applicant's own account is said before the form; an heir
    # applying for a deceased person's balance is not concerned.
    blockers = eligibility.open_case_reasons(own) if own is not None else []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = {"ground": data["ground"], "exempt_group": data.get("fee_exempt_group", "")}
        if data["ground"] == WithdrawalGround.DEATH:
            chosen["exempt_group"] = ""  # the heir's own exemption says nothing of the deceased
            chosen["deceased_id_number"] = data["deceased_id_number"]
            chosen["deceased_name"] = data["deceased_name"].strip()
        elif own is None:
            form.add_error(None, _("You have no open personal account to withdraw from."))
        else:
            chosen["account_id"] = own.pk
            for reason in eligibility.ground_precheck_reasons(
                account=own,
                ground=data["ground"],
                policy=selectors.account_policy(own),
                on=today(),
            ):
                form.add_error(None, reason)
        if not form.errors:
            request.session[APPLY_KEY] = chosen
            return redirect("withdrawals:apply_confirm")
    return render(
        request,
        "withdrawals/apply_ground.html",
        {
            "form": form,
            "account": own,
            "blockers": blockers,
            "documents": _documents_by_ground(),
        },
    )


def _documents_by_ground() -> list[tuple[str, list[str]]]:
    return [
        (str(WithdrawalGround(g).label), [str(DocumentKind(k).label) for k in kinds])
        for g, kinds in rules.GROUND_DOCUMENTS.items()
    ]


@login_required
@require_http_methods(["GET", "POST"])
def apply_confirm(request: AuthenticatedRequest) -> HttpResponse:
    """Step 2: the amount as it will be computed (not for a death: the heir sees nothing of
    the deceased's account before staff have verified the death and the heir), then bank
    account and documents."""
    person = person_of(request.user)
    chosen = request.session.get(APPLY_KEY)
    ground = chosen["ground"] if chosen else ""
    death = ground == WithdrawalGround.DEATH
    account = None
    if chosen and not death:
        account = (
            PersonalAccount.objects.select_related("person", "enrollment__region")
            .filter(pk=chosen.get("account_id"), person=person)
            .first()
        )
    if chosen is None or (account is None and not death):
        messages.info(request, _("Please choose the ground of the withdrawal first."))
        return redirect("withdrawals:apply")
    posted = request.method == "POST"
    form = ApplyForm(
        request.POST if posted else None,
        files_with_kept(request, APPLY_FORM) if posted else None,
        ground=ground,
        initial={"payee_name": person.name},
    )
    if posted and form.is_valid():
        if death:
            if _submit_as_heir(request, form, person, chosen):
                forget_kept(request, APPLY_FORM)
                return redirect("withdrawals:home")
        else:
            assert account is not None  # noqa: S101 - redirected above
            withdrawal = _submit(request, form, account, chosen)
            if withdrawal is not None:
                forget_kept(request, APPLY_FORM)
                return redirect(withdrawal.case.get_absolute_url())
    if posted:
        keep_uploads(request, APPLY_FORM, form)
    mark_kept(request, APPLY_FORM, form)
    context = {
        "kept": kept_names(request, APPLY_FORM),
        "form": form,
        "account": account,
        "ground": WithdrawalGround(ground).label,
        "death": death,
        "computation": None
        if account is None
        else selectors.preview_computation(account, exempt_group=chosen["exempt_group"]),
        "exempt_group": chosen["exempt_group"],
    }
    return render(request, "withdrawals/apply_confirm.html", context)


def _heir_application(form: ApplyForm, person: InsuredPerson) -> eligibility.Application:
    data = form.cleaned_data
    return eligibility.Application(
        ground=WithdrawalGround.DEATH,
        payee_name=data["payee_name"],
        bank_name=data["bank_name"],
        bank_account=data["bank_account"],
        heir_name=person.name,
        heir_id_number=person.id_number,
        heir_phone=person.phone,
    )


def _submit_as_heir(
    request: AuthenticatedRequest, form: ApplyForm, person: InsuredPerson, chosen: dict[str, Any]
) -> bool:
    """File the heir's application. What the heir typed is judged first, without the account;
    then the answer is the same whether or not the person named has an open account (a
    mistyped name or number is for staff to sort out with the heir, who has the documents)."""
    application = _heir_application(form, person)
    documents = form.documents()
    reasons = eligibility.heir_input_reasons(application, documents)
    if reasons:
        for reason in reasons:
            form.add_error(None, reason)
        return False
    account = _deceased_account(chosen)
    if account is not None:
        try:
            services.withdrawal_submit(
                account=account,
                application=application,
                documents=documents,
                by=request.user,
                channel=Channel.ONLINE,
                applicant=request.user,
            )
        except CaseError as exc:
            if exc.code != "no_match":
                for reason in exc.reasons:
                    form.add_error(None, reason)
                return False
    request.session.pop(APPLY_KEY, None)
    # The one answer, whether or not the person named has an account.
    messages.success(
        request,
        _(
            "Your application for the balance of a deceased insured person was received. The "
            "agency verifies the death certificate and your inheritance first; you will then "
            "be told the result. Nothing about the account is shown before that."
        ),
    )
    return True


def _submit(
    request: AuthenticatedRequest,
    form: ApplyForm,
    account: PersonalAccount,
    chosen: dict[str, Any],
) -> Withdrawal | None:
    data = form.cleaned_data
    application = eligibility.Application(
        ground=chosen["ground"],
        payee_name=data["payee_name"],
        bank_name=data["bank_name"],
        bank_account=data["bank_account"],
        last_local_treatment_on=data.get("last_local_treatment_on"),
        fee_exempt_group=chosen["exempt_group"],
    )
    user = request.user
    try:
        withdrawal = services.withdrawal_submit(
            account=account,
            application=application,
            documents=form.documents(),
            by=user,
            channel=Channel.ONLINE,
            applicant=user,
        )
    except CaseError as exc:
        for reason in exc.reasons:
            form.add_error(None, reason)
        return None
    request.session.pop(APPLY_KEY, None)
    messages.success(
        request,
        _("Your application %(ref)s was received.") % {"ref": withdrawal.case.reference},
    )
    warning = eligibility.card_number_warning(withdrawal)
    if warning:
        messages.warning(request, warning)
    return withdrawal


# --- the service hall --------------------------------------------------------------------


def _window_account(id_number: str) -> PersonalAccount | None:
    """The person's open account; whether this clerk may file for it is the service's rule."""
    person = InsuredPerson.objects.filter(id_number=id_number).first()
    return selectors.open_account_of(person) if person is not None else None


@login_required
@require_http_methods(["GET", "POST"])
def window(request: AuthenticatedRequest) -> HttpResponse:
    """A clerk files an application brought to the service hall, with its documents."""
    user = request.user
    if not (is_staff_member(user) and user.has_perm("cases.process_case")):
        raise Http404
    form = WindowForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        found = _window_account(data["id_number"])
        if found is None:
            form.add_error(
                "id_number", _("No open personal account is on record for this ID number.")
            )
        else:
            withdrawal = _window_submit(form, found, user)
            if withdrawal is not None:
                messages.success(
                    request,
                    _("Application %(ref)s is filed.") % {"ref": withdrawal.case.reference},
                )
                return redirect(withdrawal.case.get_absolute_url())
    return render(request, "withdrawals/window.html", {"form": form})


def _window_submit(form: WindowForm, account: PersonalAccount, user: User) -> Withdrawal | None:
    data = form.cleaned_data
    death = data["ground"] == WithdrawalGround.DEATH
    # The insured person's own login follows the case too; an heir at the window has none.
    login = None if death else person_login(account.person)
    application = eligibility.Application(
        ground=data["ground"],
        payee_name=data["payee_name"],
        bank_name=data["bank_name"],
        bank_account=data["bank_account"],
        last_local_treatment_on=data.get("last_local_treatment_on"),
        fee_exempt_group=data["fee_exempt_group"].strip(),
        heir_name=data["heir_name"] if death else "",
        heir_id_number=data["heir_id_number"] if death else "",
        heir_phone=data["heir_phone"] if death else "",
    )
    try:
        return services.withdrawal_submit(
            account=account,
            application=application,
            documents=form.documents(),
            by=user,
            channel=Channel.WINDOW,
            applicant=login,
        )
    except CaseError as exc:
        for reason in exc.reasons:
            form.add_error(None, reason)
        return None


# --- the case page -----------------------------------------------------------------------


def _withdrawal_for(user: User, case_id: int) -> Withdrawal:
    case = case_for(user, case_id)
    withdrawal: Withdrawal | None = (
        Withdrawal.objects.select_related(
            "case__person", "case__agency", "account__enrollment__region", "payout_transaction"
        )
        .filter(case=case)
        .first()
    )
    if withdrawal is None:
        raise Http404
    return withdrawal


@login_required
def detail(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    user = request.user
    withdrawal = _withdrawal_for(user, case_id)
    staff = is_staff_member(user)
    policy = selectors.account_policy(withdrawal.account)
    computation = selectors.shown_computation(withdrawal)
    actions = steps.offered(user, withdrawal)
    can_assess = (
        staff
        and user.has_perm("cases.process_case")
        and withdrawal.state in (Withdrawal.State.SUBMITTED, Withdrawal.State.WAITING_DOCUMENTS)
    )
    context = case_page_context(user, withdrawal.case)
    context.update(
        {
            "withdrawal": withdrawal,
            "staff": staff,
            "assign": assign_panel(user, withdrawal.case) if staff else None,
            "computation": computation,
            "id_number": shown_number(
                request, withdrawal.case, Revealable.ID_NUMBER, withdrawal.case.person.id_number
            ),
            "heir_id_number": shown_number(
                request, withdrawal.case, Revealable.HEIR_ID_NUMBER, withdrawal.heir_id_number
            ),
            "card_number": shown_number(
                request, withdrawal.case, Revealable.CARD_NUMBER, withdrawal.bank_account
            ),
            "heir_phone": mask_phone(withdrawal.heir_phone),
            "card_warning": eligibility.card_number_warning(withdrawal),
            "requested": [DocumentKind(k).label for k in withdrawal.requested_documents],
            "progress": selectors.withdrawal_progress(withdrawal),
            "actions": actions,
            "can_assess": can_assess,
            "step_kinds": [
                (kind, DocumentKind(kind).label)
                for kind in [*rules.required_documents(withdrawal.ground), DocumentKind.OTHER]
            ],
            "assess_form": AssessForm(
                exempt_groups=policy.withdrawal_fee_exempt_groups,
                initial={
                    "outstanding_costs": withdrawal.outstanding_costs,
                    "last_local_treatment_on": withdrawal.last_local_treatment_on,
                    "fee_exempt_group": withdrawal.fee_exempt_group,
                },
            ),
        }
    )
    return render(request, "withdrawals/detail.html", context)


def _assess(request: AuthenticatedRequest, w: Withdrawal, user: User) -> str:
    policy = selectors.account_policy(w.account)
    form = AssessForm(request.POST, exempt_groups=policy.withdrawal_fee_exempt_groups)
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        raise CaseError(_("Check the amounts."), code="invalid", reasons=errors)
    services.withdrawal_assess(
        withdrawal=w, by=user, assessment=services.Assessment(**form.cleaned_data)
    )
    return _("The findings are saved.")


@login_required
@require_POST
def act(request: AuthenticatedRequest, case_id: int, action: str) -> HttpResponse:
    user = request.user
    withdrawal = _withdrawal_for(user, case_id)
    if action == "assess":
        # The agency's findings are not a step: they change figures, not the state.
        try:
            messages.success(request, _assess(request, withdrawal, user))
        except CaseError as exc:
            show_refusal(request, exc)
    elif action in steps.declared(Withdrawal):
        return take_step(request, withdrawal, action)
    else:
        raise Http404
    return redirect(withdrawal.case.get_absolute_url())
