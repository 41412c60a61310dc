"""The letters a transfer case gives the applicant on paper, printed like the 信息表
(cases.printing): the 受理回执 (receipt of the application: what was received, when, and the
day by which the agency must act) and the 不予受理告知书 (the refusal notice: every reason at
once, 一次性告知, and the remedy the law gives). Both are drawn from the case as it stands and
in the language of the request; neither is sealed (the seal belongs to the 信息表)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.idnumbers import mask_id_number
from accounts.masking import mask_name
from accounts.models import User
from cases import printing
from cases.models import CaseEvent
from cases.people import staff_name
from transfers.models import Transfer
from transfers.progress import agency_must_act_by
from transfers.selectors import refusal_messages

RECEIPT_TITLE = "受理回执"
REFUSAL_TITLE = "不予受理告知书"


def _event(transfer: Transfer, action: str) -> CaseEvent | None:
    return (
        CaseEvent.objects.filter(case=transfer.case, action=action)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )


def _clerk(actor: User | None, *, online: str) -> str:
    """经办人: the member of staff who acted; an applicant filing online has none."""
    if actor is None or actor.agency_id is None:
        return online
    return staff_name(actor)


def _case_rows(transfer: Transfer) -> list[list[str]]:
    case = transfer.case
    other = case.other_agency.name if case.other_agency else ""
    return [
        [
            _("Case number"),
            case.reference,
            _("Type of transfer"),
            transfer.get_transfer_type_display(),
        ],
        [
            _("Applicant"),
            mask_name(case.person.name),
            _("ID number"),
            mask_id_number(case.person.id_number),
        ],
        [
            _("From"),
            f"{transfer.origin_region.name} {case.agency.name}",
            _("To"),
            f"{transfer.destination_region.name} {other}",
        ],
    ]


def _received(transfer: Transfer) -> list[str]:
    items = [_("The application (%(channel)s)") % {"channel": transfer.case.get_channel_display()}]
    for document in transfer.case.documents.order_by("uploaded_at", "id"):
        items.append(f"{document.get_kind_display()} · {document.uploaded_at:%Y-%m-%d}")
    return items


def _act_by(transfer: Transfer) -> str:
    """The day by which the origin must have checked the application and transferred it out,
    as the "received" message promised it (transfers.progress)."""
    due = agency_must_act_by(transfer)
    if due is None:
        return _("paused until the documents asked for arrive")
    if due.provisional:
        return _("%(date)s (provisional)") % {"date": due.on.isoformat()}
    return due.on.isoformat()


def render_receipt(transfer: Transfer) -> bytes:
    case = transfer.case
    act_by = _act_by(transfer)
    filed = _event(transfer, "filed")
    clerk = _clerk(filed.actor if filed else None, online=_("Online application"))
    gap = printing.gap
    story = [
        printing.heading(_("Application receipt")),
        gap(),
        printing.section(_("Application"), _case_rows(transfer)),
        gap(),
        printing.listing(_("What was received"), _received(transfer)),
        gap(),
        printing.section(
            _("Dates and time limit"),
            [
                [
                    _("Received on"),
                    transfer.applied_on.isoformat(),
                    _("The agency must act by"),
                    act_by,
                ]
            ],
        ),
        gap(),
        printing.section(
            _("Issued by"),
            [[_("Issuing agency"), case.agency.name, _("Handled by"), clerk]],
        ),
        gap(),
        printing.paragraph(
            _(
                "Keep this receipt. You can follow the progress of your application online "
                "with its case number %(ref)s."
            )
            % {"ref": case.reference}
        ),
    ]
    return printing.render(RECEIPT_TITLE, story)


def render_refusal_notice(transfer: Transfer) -> bytes:
    """Every reason the application was refused for, in one notice (一次性告知)."""
    case = transfer.case
    refused = _event(transfer, "refuse")
    actor = refused.actor if refused else None
    agency = actor.agency if actor is not None and actor.agency is not None else case.agency
    clerk = _clerk(actor, online="—")
    day = transfer.closed_on.isoformat() if transfer.closed_on else ""
    gap = printing.gap
    story = [
        printing.heading(_("Notice of refusal to accept")),
        gap(),
        printing.section(_("Application"), _case_rows(transfer)),
        gap(),
        printing.paragraph(
            _(
                "Your application %(ref)s of %(date)s to transfer your medical insurance "
                "relationship cannot be accepted, for the following reasons:"
            )
            % {"ref": case.reference, "date": transfer.applied_on.isoformat()}
        ),
        gap(),
        printing.listing(_("Reasons for refusal"), refusal_messages(transfer)),
        gap(),
        printing.paragraph(
            _(
                "If you disagree with this decision, you may apply for administrative "
                "reconsideration or bring an administrative lawsuit according to law."
            )
        ),
        gap(),
        printing.section(
            _("Issued by"),
            [
                [_("Issuing agency"), agency.name, _("Date"), day],
                [_("Handled by"), clerk, "", ""],
            ],
        ),
    ]
    return printing.render(REFUSAL_TITLE, story)
