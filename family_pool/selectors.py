"""Reads for family-pool pages and the API, scoped to who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import InsuredPerson, PersonalAccount, User
from accounts.regions import region_prefix
from cases.selectors import is_staff_member
from family_pool.models import Binding, Charge, ChargePart, FlaggedCharge
from family_pool.rules import holder_account
from family_pool.services import reservations


def mask_name(name: str) -> str:
    """The surname and a star for each other character: 张** for 张三丰."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def charge_parts(charge: Charge) -> list[ChargePart]:
    return list(charge.parts.select_related("account__person", "binding").order_by("position"))


def _bindings() -> QuerySet[Binding]:
    rows: QuerySet[Binding] = Binding.objects.select_related(
        "case", "holder", "relative", "holder_account"
    )
    return rows


def bindings_as_holder(person: InsuredPerson) -> QuerySet[Binding]:
    return _bindings().filter(holder=person).order_by("-case__created_at")


def bindings_as_relative(person: InsuredPerson) -> QuerySet[Binding]:
    return _bindings().filter(relative=person).order_by("state", "priority", "pk")


def binding_for(user: User, case_id: int) -> Binding:
    """The binding if this user may see it, else 404: its two people, staff of its agency."""
    rows = _bindings().select_related("case__agency", "case__applicant")
    if user.person_id is not None:
        rows = rows.filter(Q(holder_id=user.person_id) | Q(relative_id=user.person_id))
    elif user.agency_id is not None and is_staff_member(user):
        rows = rows.filter(case__agency_id=user.agency_id)
    elif not user.is_superuser:
        raise Http404
    binding = rows.filter(pk=case_id).first()
    if binding is None:
        raise Http404
    return binding


def review_queue(user: User) -> QuerySet[Binding]:
    if user.agency_id is None:
        return _bindings().none()
    rows: QuerySet[Binding] = (
        _bindings()
        .filter(case__agency_id=user.agency_id, state=Binding.State.PENDING)
        .order_by("case__created_at", "pk")
    )
    return rows


def flags_for(user: User) -> QuerySet[FlaggedCharge]:
    """Flags raised at institutions in the user's agency's region."""
    if user.agency is None:
        return FlaggedCharge.objects.none()
    prefix = region_prefix(user.agency.region_id)
    return (
        FlaggedCharge.objects.filter(institution__region__code__startswith=prefix)
        .select_related("institution", "card__person", "patient", "reviewed_by")
        .order_by("reviewed_at", "-created_at")
    )


def person_for_staff(user: User, person_id: int) -> InsuredPerson:
    """A person enrolled in the staff member's region, or party to one of its bindings."""
    if user.agency is None:
        raise Http404
    prefix = region_prefix(user.agency.region_id)
    person = (
        InsuredPerson.objects.filter(pk=person_id)
        .filter(
            Q(enrollments__region__code__startswith=prefix)
            | Q(bindings_as_relative__case__agency_id=user.agency_id)
        )
        .distinct()
        .first()
    )
    if person is None:
        raise Http404
    return person


@dataclass(frozen=True)
class Wallet:
    """The holder's side: what the account holds and what the quotas keep of it."""

    account: PersonalAccount | None
    reserved: Decimal
    available: Decimal


def wallet(person: InsuredPerson) -> Wallet:
    account = holder_account(person)
    if account is None:
        return Wallet(None, Decimal("0.00"), Decimal("0.00"))
    reserved = reservations(account.pk)
    return Wallet(account, reserved, max(account.balance - reserved, Decimal("0.00")))


def paid_for(person: InsuredPerson) -> QuerySet[ChargePart]:
    """Family payments for the person's own care."""
    return (
        ChargePart.objects.filter(charge__patient=person, binding__isnull=False)
        .select_related("charge__institution", "account__person", "binding")
        .order_by("-charge__created_at", "position")
    )


def paid_by(person: InsuredPerson) -> QuerySet[ChargePart]:
    """What the person's accounts paid for relatives."""
    return (
        ChargePart.objects.filter(account__person=person, binding__isnull=False)
        .select_related("charge__institution", "charge__patient", "binding")
        .order_by("-charge__created_at", "position")
    )


def binding_parts(binding: Binding) -> QuerySet[ChargePart]:
    return binding.charge_parts.select_related("charge__institution").order_by(
        "-charge__created_at"
    )
