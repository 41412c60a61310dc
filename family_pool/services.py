"""Writes for bindings: asking for one online, opening one at the window, the holder's
consent, staff review, quota, payment order and ending (by a person or automatically).

Locks: a service that reads money locks the holder's account before the binding, the
order a charge takes (see `family_pool.charging.locked`), so that the two never wait on each other
in a circle. A service that only moves the state locks just the binding."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import AccountsError
from accounts.idnumbers import normalize_id_number
from accounts.models import InsuredPerson, PersonalAccount, User
from accounts.money import clean_amount
from accounts.policy import policy_for
from accounts.signals import CoverageEnd
from cases import steps
from cases.documents import document_add
from cases.errors import CaseError
from cases.history import case_open, case_record
from cases.models import Channel, DocumentKind
from cases.notifications import notify_person as _notify_person
from cases.turns import turn_refresh
from cases.workflow import lock
from family_pool import notices
from family_pool.models import INVERSE_RELATION, Binding, Relation
from family_pool.rules import agency_for_region, binding_refusals, bindings_of, holder_account

# What the history shows as the actor of an automatic end, by the coverage-ended reason.
SYSTEM_LABELS = {
    CoverageEnd.TRANSFERRED: "system: transfer completed",
    CoverageEnd.ACCOUNT_CLOSED: "system: account closed",
    CoverageEnd.ENROLLMENT_STOPPED: "system: enrollment stopped",
    CoverageEnd.ENROLLMENT_CLOSED: "system: enrollment closed",
}


def _refuse(reasons: list[str], code: str = "refused") -> CaseError:
    if len(reasons) == 1:
        return CaseError(reasons[0], code=code, reasons=reasons)
    return CaseError(
        _("The binding cannot be made, for these reasons:"), code=code, reasons=reasons
    )


def _tell(person: InsuredPerson, binding: Binding, subject: str, body: str) -> None:
    _notify_person(person=person, message=(subject, body), case=binding.case)


# --- opening -------------------------------------------------------------------------------


def binding_request(
    *,
    by: User,
    other_id_number: str,
    other_name: str,
    relation: str,
    as_holder: bool,
) -> Binding:
    """An applicant asks online. `relation` is what the other person is to the applicant;
    the binding stores it from the holder's side."""
    if by.person is None:
        raise CaseError(_("Only an insured person can ask for a binding online."), code="forbidden")
    other = InsuredPerson.objects.filter(id_number=normalize_id_number(other_id_number)).first()
    if other is None or other.name != other_name.strip():
        # One message for both: the page must not confirm whose ID number it is.
        raise CaseError(
            _("No insured person on record matches this ID number and name."), code="no_match"
        )
    if relation not in Relation.values:
        raise _refuse(binding_refusals(holder=by.person, relative=other, relation=relation))
    if as_holder:
        holder, relative, stored = by.person, other, relation
    else:
        holder, relative, stored = other, by.person, INVERSE_RELATION[relation]
    return _open(
        holder=holder,
        relative=relative,
        relation=stored,
        by=by,
        channel=Channel.ONLINE,
        initiated_by=Binding.InitiatedBy.HOLDER if as_holder else Binding.InitiatedBy.RELATIVE,
    )


@transaction.atomic
def binding_open_at_window(
    *,
    by: User,
    holder: InsuredPerson,
    relative: InsuredPerson,
    relation: str,
    kinship_proof: Any,
) -> Binding:
    """A clerk binds on the people's behalf (the elderly, mostly), having seen both of them
    and the kinship proof, which is stored on the case. Active at once: the clerk checked."""
    if not by.has_perm("cases.process_case") or by.agency_id is None:
        raise CaseError(_("Only a clerk can open a binding at the window."), code="forbidden")
    if kinship_proof is None:
        raise CaseError(
            _("Upload the kinship proof (household register, marriage or birth certificate)."),
            code="proof_missing",
        )
    binding = _open(
        holder=holder,
        relative=relative,
        relation=relation,
        by=by,
        channel=Channel.WINDOW,
        initiated_by=Binding.InitiatedBy.CLERK,
        clerk_agency_id=by.agency_id,
    )
    document_add(case=binding.case, kind=DocumentKind.KINSHIP_PROOF, upload=kinship_proof, by=by)
    return binding


@transaction.atomic
def _open(
    *,
    holder: InsuredPerson,
    relative: InsuredPerson,
    relation: str,
    by: User | None,
    channel: str,
    initiated_by: str,
    clerk_agency_id: int | None = None,
) -> Binding:
    reasons = binding_refusals(holder=holder, relative=relative, relation=relation)
    if reasons:
        raise _refuse(reasons)
    account = holder_account(holder)
    assert account is not None  # noqa: S101 - binding_refusals refuses a holder without one
    agency = agency_for_region(account.enrollment.region)
    if agency is None:
        raise CaseError(_("No agency runs the account holder's coordination area."), code="agency")
    if clerk_agency_id is not None and clerk_agency_id != agency.pk:
        raise CaseError(
            _("The binding is opened at the agency of the account holder (%(agency)s).")
            % {"agency": agency.name},
            code="wrong_agency",
        )
    by_relative = initiated_by == Binding.InitiatedBy.RELATIVE
    try:
        with transaction.atomic():
            case = case_open(
                kind="family_binding",
                person=holder,
                agency=agency,
                channel=channel,
                state=Binding.State.PENDING,
                by=by,
                applicant=by if by is not None and by.person_id is not None else None,
                note=_("%(relative)s is %(holder)s's %(relation)s")
                % {
                    "relative": relative.name,
                    "holder": holder.name,
                    "relation": Relation(relation).label,
                },
            )
            binding: Binding = Binding.objects.create(
                case=case,
                holder=holder,
                holder_account=account,
                relative=relative,
                relation=relation,
                initiated_by=initiated_by,
                holder_consent_at=None if by_relative else timezone.now(),
            )
            turn_refresh(binding)
    except IntegrityError:
        # A twin request won the race for the pair's one open binding.
        reasons = binding_refusals(holder=holder, relative=relative, relation=relation)
        raise _refuse(reasons or [_("A request for this pair is already pending.")]) from None
    needs_review = channel == Channel.ONLINE and policy_for(agency.region).family_pool_online_review
    if not by_relative and not needs_review:
        _activate(binding, by=by, reason=_("No staff review needed."))
    notices.opened(binding)
    return binding


def _activate(binding: Binding, *, by: User | None, reason: str) -> None:
    steps.case_step(binding, binding.activate, by=by, reason=reason)(at=timezone.now())


# --- consent and review ---------------------------------------------------------------------


@transaction.atomic
def binding_consent(*, binding: Binding, by: User, agree: bool) -> Binding:
    """The holder answers a request the relative made."""
    binding = lock(binding)
    if by.person_id != binding.holder_id:
        raise CaseError(_("Only the account holder can answer this request."), code="forbidden")
    if binding.state != Binding.State.PENDING or binding.holder_consent_at is not None:
        raise CaseError(_("This request has already been answered."), code="wrong_state")
    if not agree:
        steps.case_step(binding, binding.decline, by=by, reason=_("The account holder declined."))(
            at=timezone.now()
        )
        _tell(
            binding.relative,
            binding,
            _("Family pool request declined"),
            _("%(holder)s declined to share the personal account.") % {"holder": by.person},
        )
        return binding
    binding.holder_consent_at = timezone.now()
    binding.save(update_fields=["holder_consent_at"])
    turn_refresh(binding)
    case_record(case=binding.case, action="holder_consented", by=by)
    if not policy_for(binding.case.agency.region).family_pool_online_review:
        _recheck(binding)
        _activate(binding, by=by, reason=_("The account holder agreed; no staff review needed."))
        notices.opened(binding)
    return binding


def _recheck(binding: Binding) -> None:
    # Coverage may have changed since the request: the rules are checked again.
    reasons = binding_refusals(
        holder=binding.holder,
        relative=binding.relative,
        relation=binding.relation,
        exclude_pk=binding.pk,
    )
    if reasons:
        raise _refuse(reasons)


@transaction.atomic
def binding_approve(*, binding: Binding, by: User, reason: str = "") -> Binding:
    binding = lock(binding)
    if binding.state == Binding.State.PENDING and binding.holder_consent_at is None:
        raise CaseError(
            _("The account holder has not agreed yet; the binding cannot be approved."),
            code="no_consent",
        )
    steps.require(binding, binding.approve, by)
    _recheck(binding)
    steps.case_step(binding, binding.approve, by=by, reason=reason)(at=timezone.now())
    notices.opened(binding)
    return binding


@transaction.atomic
def binding_reject(*, binding: Binding, by: User, reason: str) -> Binding:
    binding = lock(binding)
    steps.require(binding, binding.reject, by)
    if not reason.strip():
        raise CaseError(_("Say why the binding is rejected."), code="reason_missing")
    steps.case_step(binding, binding.reject, by=by, reason=reason.strip())(at=timezone.now())
    for person in (binding.holder, binding.relative):
        _tell(
            person,
            binding,
            _("Family pool binding rejected"),
            _("The binding was rejected: %(reason)s") % {"reason": reason.strip()},
        )
    return binding


# --- quota and payment order ---------------------------------------------------------------


def clean_quota(value: Decimal | str | None) -> Decimal | None:
    """None (no quota) or an amount ≥ 0 with at most two decimals."""
    if value is None or value == "":
        return None
    try:
        return clean_amount(value, zero_allowed=True)
    except AccountsError as exc:
        raise CaseError(exc.message, code="quota_invalid") from None


def reservations(account_id: int, *, exclude_pk: int | None = None) -> Decimal:
    """The unspent part of every active quota on the account: money its holder cannot use."""
    rows = Binding.objects.filter(
        holder_account_id=account_id, state=Binding.State.ACTIVE, quota__isnull=False
    ).exclude(pk=exclude_pk)
    total = rows.aggregate(q=Sum("quota"), s=Sum("spent"))
    return (total["q"] or Decimal("0.00")) - (total["s"] or Decimal("0.00"))


@transaction.atomic
def binding_set_quota(*, binding: Binding, quota: Decimal | str | None, by: User) -> Binding:
    """Reserve part of the holder's balance for the relative, or share the whole available
    balance (None). The quota covers the binding's whole life: remaining = quota − spent."""
    value = clean_quota(quota)
    # The account first, the binding second: the order a charge locks them in. Charges and
    # other quotas only change what this reads while holding the account lock.
    account = PersonalAccount.objects.select_for_update().get(pk=binding.holder_account_id)
    binding = lock(binding)
    if by.person_id != binding.holder_id:
        raise CaseError(_("Only the account holder sets the quota."), code="forbidden")
    if binding.state != Binding.State.ACTIVE:
        raise CaseError(_("A quota can only be set on an active binding."), code="wrong_state")
    if account.status != PersonalAccount.Status.NORMAL:
        raise CaseError(_("The personal account is not in normal status."), code="account_status")
    if value is not None:
        _check_quota(binding, account, value)
    before = binding.quota
    if before == value:
        return binding
    binding.quota = value
    binding.save(update_fields=["quota"])
    case_record(
        case=binding.case,
        action="quota_set",
        by=by,
        reason=f"{before if before is not None else '—'} → "
        f"{value if value is not None else _('no quota')}",
    )
    return binding


def _check_quota(binding: Binding, account: PersonalAccount, value: Decimal) -> None:
    if value < binding.spent:
        raise CaseError(
            _(
                "%(spent)s yuan has already been paid through this binding; the quota cannot "
                "be lower than that."
            )
            % {"spent": binding.spent},
            code="quota_below_spent",
        )
    available = account.balance - reservations(account.pk, exclude_pk=binding.pk)
    if value - binding.spent > available:
        raise CaseError(
            _(
                "The quota would reserve %(reserve)s yuan, but only %(available)s yuan of the "
                "balance is not reserved for other relatives."
            )
            % {"reserve": value - binding.spent, "available": max(available, Decimal("0.00"))},
            code="quota_too_high",
        )


@transaction.atomic
def bindings_set_order(*, by: User, order: Sequence[int]) -> int:
    """The relative's payment order: the bindings listed pay in this order (after the
    relative's own account), the others after them as before."""
    if by.person_id is None:
        raise CaseError(_("Only an insured person has a payment order."), code="forbidden")
    rows = list(
        Binding.objects.select_for_update()
        .filter(relative_id=by.person_id, state__in=Binding.OPEN_STATES)
        .order_by("pk")
    )
    by_pk = {b.pk: b for b in rows}
    if set(order) - set(by_pk):
        raise CaseError(_("The list names a binding that is not yours."), code="forbidden")
    listed = [by_pk[pk] for pk in dict.fromkeys(order)]
    rest = sorted((b for b in rows if b not in listed), key=lambda b: (b.priority, b.pk))
    changed = 0
    for position, binding in enumerate(listed + rest, start=1):
        if binding.priority != position:
            binding.priority = position
            binding.save(update_fields=["priority"])
            changed += 1
    return changed


# --- ending ---------------------------------------------------------------------------------


@transaction.atomic
def binding_end(*, binding: Binding, by: User, reason: str = "") -> Binding:
    """The holder or the relative ends the binding (a clerk may, on their behalf). The
    quota's reservation goes with it: only active bindings reserve."""
    binding = lock(binding)
    if binding.state not in Binding.OPEN_STATES:
        raise CaseError(_("This binding has already ended."), code="wrong_state")
    steps.require(binding, binding.end, by)
    if not reason:
        reason = (
            _("Ended by the account holder.")
            if by.person_id == binding.holder_id
            else _("Ended by the relative.")
            if by.person_id == binding.relative_id
            else _("Ended at the window.")
        )
    steps.case_step(binding, binding.end, by=by, reason=reason)(at=timezone.now())
    notices.ended(binding, reason)
    return binding


@transaction.atomic
def binding_withdraw(*, binding: Binding, by: User) -> Binding:
    """A person takes back a request not yet in force; nothing was ever shared."""
    binding = lock(binding)
    steps.require(binding, binding.withdraw, by)
    steps.case_step(binding, binding.withdraw, by=by)(at=timezone.now())
    notices.withdrawn(binding)
    return binding


@transaction.atomic
def bindings_end_for_coverage(*, person: InsuredPerson, reason: str, by: User | None) -> int:
    """End every open binding of the person, in either direction, because their coverage
    ended. Safe to run twice: an ended binding is not open any more and is left alone."""
    label = SYSTEM_LABELS.get(reason, f"system: {reason}")
    text = {
        CoverageEnd.TRANSFERRED: _("Ended automatically: %(name)s's insurance was transferred."),
        CoverageEnd.ACCOUNT_CLOSED: _(
            "Ended automatically: %(name)s's personal account was closed."
        ),
        CoverageEnd.ENROLLMENT_STOPPED: _(
            "Ended automatically: %(name)s's enrollment was stopped."
        ),
        CoverageEnd.ENROLLMENT_CLOSED: _("Ended automatically: %(name)s's enrollment was closed."),
    }.get(reason, _("Ended automatically: %(name)s's coverage ended.")) % {"name": person.name}
    # Locked in pk order, like every multi-row lock here; the filter is evaluated again once
    # each lock is granted, so a binding a concurrent request just ended drops out.
    rows = (
        Binding.objects.select_for_update(of=("self",))
        .select_related("case", "holder", "relative")
        .filter(bindings_of(person), state__in=Binding.OPEN_STATES)
        .order_by("pk")
    )
    ended = 0
    for binding in rows:
        steps.case_step(
            binding, binding.end, by=by, reason=text, actor_label=label, consequence=True
        )(at=timezone.now())
        notices.ended(binding, text)
        ended += 1
    return ended


# --- what the case page's buttons run ------------------------------------------------------


def closing_summary(binding: Binding) -> str:
    """What rejecting, declining or ending the binding does, and to whom."""
    return _(
        "%(relative)s will not be able to pay from personal account %(account)s of %(holder)s."
    ) % {
        "relative": binding.relative.name,
        "account": binding.holder_account_id,
        "holder": binding.holder.name,
    }


steps.summarises(Binding.reject, Binding.decline, Binding.end)(closing_summary)


@steps.performs(Binding.approve)
def _approve_step(binding: Binding, by: User, given: steps.Given) -> object:
    return binding_approve(binding=binding, by=by, reason=given.note)


@steps.performs(Binding.reject)
def _reject_step(binding: Binding, by: User, given: steps.Given) -> object:
    return binding_reject(binding=binding, by=by, reason=given.note)


@steps.performs(Binding.decline)
def _decline_step(binding: Binding, by: User, given: steps.Given) -> object:
    return binding_consent(binding=binding, by=by, agree=False)


@steps.performs(Binding.withdraw)
def _withdraw_step(binding: Binding, by: User, given: steps.Given) -> object:
    return binding_withdraw(binding=binding, by=by)


@steps.performs(Binding.end)
def _end_step(binding: Binding, by: User, given: steps.Given) -> object:
    return binding_end(binding=binding, by=by, reason=given.note.strip())
