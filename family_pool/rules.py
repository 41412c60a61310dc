"""Who may bind with whom (docs/DOMAIN.md §1). Pure reads: every refusal comes back as a sentence,
all of them at once, so that the applicant can fix everything in one go (一次性告知).

Age rules, from the birth dates in the two ID numbers. They refuse only what the relation
cannot be, never what is merely unusual:

- parent: at least MIN_GENERATION_GAP_YEARS older than the holder; child: that much younger;
- grandparent: at least twice the gap older; grandchild: twice the gap younger;
- spouse and sibling: no age rule (half-siblings can be a generation apart, and the
  marriageable age is the registry office's business, not a contradiction of the IDs).

15 years is the smallest gap between a parent and a child that we do not call impossible.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Agency, Enrollment, InsuredPerson, PersonalAccount, Region, Scheme
from family_pool.models import Binding, Relation

MIN_GENERATION_GAP_YEARS = 15

# Years the relative must be older (positive) or younger (negative) than the holder.
_GENERATIONS: dict[str, int] = {
    Relation.PARENT: 1,
    Relation.CHILD: -1,
    Relation.PATERNAL_GRANDPARENT: 2,
    Relation.MATERNAL_GRANDPARENT: 2,
    Relation.PATERNAL_GRANDCHILD: -2,
    Relation.MATERNAL_GRANDCHILD: -2,
}


def holder_account(person: InsuredPerson) -> PersonalAccount | None:
    """The personal account of the person's active employee enrollment, if any."""
    return (
        PersonalAccount.objects.select_related("enrollment__region")
        .filter(
            person=person,
            enrollment__status=Enrollment.Status.ACTIVE,
            enrollment__scheme=Scheme.EMPLOYEE,
        )
        .first()
    )


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def age_refusal(relation: str, holder: InsuredPerson, relative: InsuredPerson) -> str | None:
    generations = _GENERATIONS.get(relation)
    if generations is None:
        return None
    gap = MIN_GENERATION_GAP_YEARS * abs(generations)
    older, younger = (relative, holder) if generations > 0 else (holder, relative)
    if _add_years(older.birth_date, gap) <= younger.birth_date:
        return None
    values = {
        "relation": Relation(relation).label,
        "years": gap,
        "relative_birth": relative.birth_date.isoformat(),
        "holder_birth": holder.birth_date.isoformat(),
    }
    if generations > 0:
        return (
            _(
                "The ID numbers do not fit “%(relation)s”: the relative (born %(relative_birth)s) "
                "must be at least %(years)s years older than the account holder "
                "(born %(holder_birth)s)."
            )
            % values
        )
    return (
        _(
            "The ID numbers do not fit “%(relation)s”: the relative (born %(relative_birth)s) "
            "must be at least %(years)s years younger than the account holder "
            "(born %(holder_birth)s)."
        )
        % values
    )


def holder_refusals(holder: InsuredPerson, *, you: bool = False) -> list[str]:
    """Why this person cannot share their account; `you` words it for them (您)."""
    account = holder_account(holder)
    if account is None:
        if you:
            return [
                _(
                    "You cannot share your own account: only a person with an active "
                    "employee-scheme enrollment and its personal account can."
                )
            ]
        return [
            _(
                "%(name)s cannot share an account: only a person with an active employee-scheme "
                "enrollment and its personal account can."
            )
            % {"name": holder.name}
        ]
    if account.status == PersonalAccount.Status.FROZEN:
        if you:
            return [_("You cannot share your own account: it is frozen.")]
        return [_("The account holder's personal account is frozen.")]
    if account.status == PersonalAccount.Status.CLOSED:
        if you:
            return [_("You cannot share your own account: it is closed.")]
        return [_("The account holder's personal account is closed.")]
    return []


def applicant_sides(person: InsuredPerson) -> dict[str, list[str]]:
    """For the bind form, before anything is typed: why this person cannot share their own
    account ("holder") or use a relative's ("relative"); an empty list where they can. The
    same rules `binding_refusals` applies to the whole request."""
    insured = Enrollment.objects.filter(person=person, status=Enrollment.Status.ACTIVE).exists()
    return {
        "holder": holder_refusals(person, you=True),
        "relative": []
        if insured
        else [_("You cannot use a relative's account: you are not insured at present.")],
    }


def binding_refusals(
    *,
    holder: InsuredPerson,
    relative: InsuredPerson,
    relation: str,
    exclude_pk: int | None = None,
) -> list[str]:
    """Every reason this binding cannot exist now; an empty list when it can."""
    reasons: list[str] = []
    if relation not in Relation.values:
        reasons.append(
            _("Only close relatives can be bound: %(allowed)s.")
            % {"allowed": "、".join(str(label) for label in Relation.labels)}
        )
    if holder.pk == relative.pk:
        reasons.append(_("Nobody can be bound with themselves."))
        return reasons
    reasons += holder_refusals(holder)
    if not Enrollment.objects.filter(person=relative, status=Enrollment.Status.ACTIVE).exists():
        reasons.append(
            _("%(name)s is not insured at present (no active enrollment in either scheme).")
            % {"name": relative.name}
        )
    if relation in Relation.values:
        refusal = age_refusal(relation, holder, relative)
        if refusal:
            reasons.append(refusal)
    open_pair = Binding.objects.filter(
        holder=holder, relative=relative, state__in=Binding.OPEN_STATES
    ).exclude(pk=exclude_pk)
    if open_pair.exists():
        reasons.append(
            _("%(holder)s already shares the account with %(relative)s (or a request is pending).")
            % {"holder": holder.name, "relative": relative.name}
        )
    return reasons


def agency_for_region(region: Region) -> Agency | None:
    """The agency running this coordination area, or the nearest one up the region tree."""
    node: Region | None = region
    while node is not None:
        agency = Agency.objects.filter(region=node, is_active=True).order_by("pk").first()
        if agency is not None:
            return agency
        node = node.parent
    return None


def bindings_of(person: InsuredPerson) -> Q:
    return Q(holder=person) | Q(relative=person)
