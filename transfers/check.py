"""The check (校验) of a transfer application, one copy for everyone who runs it: the clerk at
acceptance (`transfer_check` on a filed case) and the applicant before filing (`route_check`
on what the form says, through `transfers.precheck`). Every reason comes back at once
(一次性告知), worded for the applicant with what to do about it (`reason_text`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.freezes.selectors import freeze_kinds
from accounts.models import Enrollment, PersonalAccount
from seals.peers import is_remote
from transfers.choices import TYPE_SCHEMES, RefusalReason
from transfers.models import Transfer


@dataclass(frozen=True)
class Route:
    """Who moves from where to where under which type: all the check needs to know."""

    person_id: int
    origin_region_id: str
    destination_region_id: str
    transfer_type: str

    @property
    def origin_scheme(self) -> str:
        return TYPE_SCHEMES[self.transfer_type][0]

    @property
    def destination_scheme(self) -> str:
        return TYPE_SCHEMES[self.transfer_type][1]


@dataclass(frozen=True)
class CheckResult:
    codes: list[str]
    origin_enrollment: Enrollment | None
    destination_enrollment: Enrollment | None
    origin_account: PersonalAccount | None

    @property
    def passed(self) -> bool:
        return not self.codes


def route_of(transfer: Transfer) -> Route:
    return Route(
        person_id=transfer.case.person_id,
        origin_region_id=transfer.origin_region_id,
        destination_region_id=transfer.destination_region_id,
        transfer_type=transfer.transfer_type,
    )


def origin_enrollment(route: Route) -> Enrollment | None:
    """The latest enrollment of the person under the origin scheme in the origin area."""
    return (
        Enrollment.objects.filter(
            person_id=route.person_id,
            region_id=route.origin_region_id,
            scheme=route.origin_scheme,
        )
        .order_by("-start_date", "-id")
        .first()
    )


def _destination_enrollment(route: Route) -> Enrollment | None:
    return Enrollment.objects.filter(
        person_id=route.person_id,
        region_id=route.destination_region_id,
        scheme=route.destination_scheme,
        status=Enrollment.Status.ACTIVE,
    ).first()


def _account_codes(enrollment: Enrollment | None) -> tuple[list[str], PersonalAccount | None]:
    if enrollment is None:
        return [], None
    codes: list[str] = [RefusalReason.ORIGIN_IN_ARREARS] if enrollment.in_arrears else []
    account = PersonalAccount.objects.filter(enrollment=enrollment).first()
    if account is not None and account.status == PersonalAccount.Status.FROZEN:
        codes.append(RefusalReason.ORIGIN_ACCOUNT_FROZEN)
    if account is not None and account.status == PersonalAccount.Status.CLOSED:
        codes.append(RefusalReason.ORIGIN_ACCOUNT_CLOSED)
    return codes, account


def route_check(route: Route) -> CheckResult:
    """Every reason the application cannot be accepted, all at once (一次性告知)."""
    origin = origin_enrollment(route)
    destination = _destination_enrollment(route)
    codes: list[str] = []
    if origin is None or origin.status != Enrollment.Status.STOPPED:
        codes.append(RefusalReason.ORIGIN_NOT_STOPPED)
    if destination is None:
        codes.append(RefusalReason.DESTINATION_NOT_ACTIVE)
    account_codes, account = _account_codes(origin)
    codes += account_codes
    if route.origin_region_id == route.destination_region_id:
        codes.append(RefusalReason.SAME_AREA)
    return CheckResult(codes, origin, destination, account)


# What the origin agency decides: its enrollment and its account.
ORIGIN_SIDE = (
    RefusalReason.ORIGIN_NOT_STOPPED,
    RefusalReason.ORIGIN_IN_ARREARS,
    RefusalReason.ORIGIN_ACCOUNT_FROZEN,
    RefusalReason.ORIGIN_ACCOUNT_CLOSED,
)


def transfer_check(transfer: Transfer) -> CheckResult:
    """The check of a filed case, at either end. An end of another deployment decides its own
    side there: a destination's enrollment was checked when the application was filed there
    (transfers.services.intake._forward_application); an origin's enrollment and account are
    checked by the origin, whose decision comes back as a message (docs/EXCHANGE.md), so the
    destination's staff page does not list reasons it cannot see."""
    found = route_check(route_of(transfer))
    case = transfer.case
    skipped = {
        *((RefusalReason.DESTINATION_NOT_ACTIVE,) if is_remote(case.other_agency_id) else ()),
        *(ORIGIN_SIDE if is_remote(case.agency_id) else ()),
    }
    if not skipped:
        return found
    codes = [c for c in found.codes if c not in skipped]
    return CheckResult(
        codes, found.origin_enrollment, found.destination_enrollment, found.origin_account
    )


@dataclass(frozen=True)
class Places:
    """The names a reason quotes: where the person leaves and where they go (and who runs it,
    for where to enroll)."""

    origin: str
    destination: str
    destination_agency: str = ""


def reason_text(
    code: str, places: Places, *, note: str = "", frozen_kinds: list[str] | None = None
) -> str:
    """The reason in words for the applicant, with what to do, in the active language."""
    values = {
        "origin": places.origin,
        "destination": places.destination,
        "agency": places.destination_agency or places.destination,
        "note": note,
        "kinds": "、".join(frozen_kinds or []),
    }
    if code == RefusalReason.ORIGIN_ACCOUNT_FROZEN and frozen_kinds:
        return _("Your personal account in %(origin)s is frozen: %(kinds)s.") % values
    messages: dict[str, str] = {
        RefusalReason.ORIGIN_NOT_STOPPED: _(
            "Your insurance in %(origin)s has not been stopped: ask your employer or "
            "the agency there to stop it first."
        ),
        RefusalReason.DESTINATION_NOT_ACTIVE: _(
            "You are not enrolled in %(destination)s under the scheme you are moving "
            "to: enroll there first, through your new employer or at %(agency)s."
        ),
        RefusalReason.ORIGIN_IN_ARREARS: _(
            "Contributions are in arrears in %(origin)s: pay them first."
        ),
        RefusalReason.ORIGIN_ACCOUNT_FROZEN: _("Your personal account in %(origin)s is frozen."),
        RefusalReason.ORIGIN_ACCOUNT_CLOSED: _("Your personal account in %(origin)s is closed."),
        RefusalReason.SAME_AREA: _(
            "The origin and the destination are the same coordination area: nothing to transfer."
        ),
        RefusalReason.OTHER: _("Other reason given by the agency: %(note)s"),
    }
    return messages.get(code, code) % values


def reason_message(code: str, transfer: Transfer, *, staff: bool = False) -> str:
    """The reason on a filed case: to the applicant, or, on staff pages, about them."""
    if staff and code in STAFF_REASONS:
        return _staff_reason(code, transfer)
    places = Places(
        origin=transfer.origin_region.name,
        destination=transfer.destination_region.name,
        destination_agency=transfer.case.other_agency.name if transfer.case.other_agency else "",
    )
    kinds = _origin_freeze_kinds(transfer) if code == RefusalReason.ORIGIN_ACCOUNT_FROZEN else []
    return reason_text(code, places, note=transfer.refusal_note, frozen_kinds=kinds)


def _origin_freeze_kinds(transfer: Transfer) -> list[str]:
    account = transfer.origin_account
    if account is None:
        account = PersonalAccount.objects.filter(
            enrollment=origin_enrollment(route_of(transfer))
        ).first()
    return freeze_kinds(account.pk) if account is not None else []


# The same reasons as staff read them: about the applicant, not addressed to them.
STAFF_REASONS: dict[str, str] = {
    RefusalReason.ORIGIN_NOT_STOPPED: gettext_noop(
        "The insurance in %(origin)s has not been stopped."
    ),
    RefusalReason.DESTINATION_NOT_ACTIVE: gettext_noop(
        "No active enrollment in %(destination)s under the target scheme."
    ),
    RefusalReason.ORIGIN_IN_ARREARS: gettext_noop("Contributions in %(origin)s are in arrears."),
    RefusalReason.ORIGIN_ACCOUNT_FROZEN: gettext_noop(
        "The personal account in %(origin)s is frozen."
    ),
    RefusalReason.ORIGIN_ACCOUNT_CLOSED: gettext_noop(
        "The personal account in %(origin)s is closed."
    ),
}


def _staff_reason(code: str, transfer: Transfer) -> str:
    text = _(STAFF_REASONS[code]) % {
        "origin": transfer.origin_region.name,
        "destination": transfer.destination_region.name,
    }
    if code == RefusalReason.ORIGIN_ACCOUNT_FROZEN and (kinds := _origin_freeze_kinds(transfer)):
        return _("The personal account in %(origin)s is frozen: %(kinds)s.") % {
            "origin": transfer.origin_region.name,
            "kinds": "、".join(kinds),
        }
    return text
