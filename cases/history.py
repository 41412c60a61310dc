"""A case's history: opening the case with its first line, the lines every service writes,
staff notes, and the record that someone saw a full ID or card number."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.errors import CaseError
from cases.models import Case, CaseEvent
from cases.roles import works_on, works_on_or_audits

if TYPE_CHECKING:
    from accounts.models import Agency, InsuredPerson, User

SYSTEM = "system"


def _new_reference(kind: str) -> str:
    prefix = {"transfer": "ZY", "withdrawal": "TQ", "emergency_refund": "DF"}.get(kind, "GJ")
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.randbelow(10**8):08d}"


def case_open(
    *,
    kind: str,
    person: InsuredPerson,
    agency: Agency,
    channel: str,
    state: str,
    by: User | None,
    applicant: User | None = None,
    other_agency: Agency | None = None,
    note: str = "",
    reference: str = "",
    actor_label: str = "",
) -> Case:
    """Create the case row and its first history line; the caller creates its workflow row.
    A case filed at another deployment keeps the reference it was given there."""
    case = Case.objects.create(
        reference=reference or _new_reference(kind),
        kind=kind,
        person=person,
        applicant=applicant,
        agency=agency,
        other_agency=other_agency,
        channel=channel,
        state=state,
        # Until its workflow row says otherwise (`cases.turns`), a new case is its agency's.
        acting_agency=agency,
        created_by=by,
    )
    case_record(
        case=case, action="filed", by=by, to_state=state, reason=note, actor_label=actor_label
    )
    return case


def case_record(
    *,
    case: Case,
    action: str,
    by: User | None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    actor_label: str = "",
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        action=action,
        actor=by,
        actor_label=actor_label or ("" if by is not None else SYSTEM),
        from_state=from_state,
        to_state=to_state,
        reason=reason,
    )


def case_note_add(*, case: Case, by: User, text: str) -> CaseEvent:
    if not works_on(by, case):
        # An auditor reads the file and writes nothing into it.
        raise CaseError(_("You may not add notes to this case."), code="forbidden")
    text = text.strip()
    if not text:
        raise CaseError(_("A note cannot be empty."), code="empty_note")
    return case_record(case=case, action="note", by=by, reason=text[:4000])


def number_reveal(*, case: Case, by: User, what: str = "id_number") -> CaseEvent:
    """Record that a member of staff saw a full number on the case (`cases.reveal.Revealable`:
    the insured person's or the heir's ID number, the payee's card number); the page shows it
    once, the history keeps who looked at which and when."""
    if not (works_on_or_audits(by, case) and by.has_perm("accounts.reveal_id_number")):
        raise CaseError(_("You may not see full ID numbers."), code="forbidden")
    if what == "card_number":
        action, reason = "card_revealed", _("Full bank card number of the payee shown")
    elif what == "heir_id_number":
        action, reason = "id_revealed", _("Full ID number of the heir shown")
    else:
        action = "id_revealed"
        reason = _("Full ID number of %(name)s shown") % {"name": case.person.name}
    return case_record(case=case, action=action, by=by, reason=reason)
