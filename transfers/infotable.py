"""The 《参保人员基本医疗保险信息表》: its content as the origin certifies it, and the
printable PDF drawn from that content (never from live rows, so the print shows exactly
what the seal covers)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Enrollment, PersonalAccount, Scheme
from cases import printing
from cases.people import staff_name
from transfers.models import InfoTable, Transfer

TITLE = "参保人员基本医疗保险信息表"


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _enrollments(transfer: Transfer) -> list[dict[str, Any]]:
    rows = Enrollment.objects.filter(person_id=transfer.case.person_id).select_related("region")
    return [
        {
            "region_code": e.region_id,
            "region_name": e.region.name,
            "scheme": e.scheme,
            "status": e.status,
            "start_date": e.start_date.isoformat(),
            "end_date": e.end_date.isoformat() if e.end_date else None,
            "contribution_months": e.contribution_months,
        }
        for e in rows.order_by("start_date", "id")
    ]


def build_content(
    *,
    transfer: Transfer,
    account: PersonalAccount | None,
    split: tuple[Decimal, Decimal],
    money_mode: str,
    on: datetime.date,
) -> dict[str, Any]:
    """Plain JSON values only (strings for money): the seal is computed over exactly this."""
    case, person = transfer.case, transfer.case.person
    individual, employer = split
    origin = transfer.origin_enrollment
    return {
        "title": TITLE,
        "reference": case.reference,
        "person": {
            "name": person.name,
            "id_number": person.id_number,
            "sex": person.sex,
            "birth_date": person.birth_date.isoformat(),
        },
        "transfer_type": transfer.transfer_type,
        "origin": _end(case.agency, transfer.origin_region, transfer.origin_scheme),
        "destination": _end(
            case.other_agency, transfer.destination_region, transfer.destination_scheme
        ),
        "enrollments": _enrollments(transfer),
        "contribution_months": origin.contribution_months if origin else 0,
        "balance": _money(individual + employer),
        "individual_part": _money(individual),
        "employer_part": _money(employer),
        "account_id": account.pk if account else None,
        "money_mode": money_mode,
        "issued_on": on.isoformat(),
    }


def _end(agency: Any, region: Any, scheme: str) -> dict[str, Any]:
    return {
        "agency_code": agency.code if agency else "",
        "agency_name": agency.name if agency else "",
        "region_code": region.code,
        "region_name": region.name,
        "scheme": scheme,
    }


# --- PDF ---------------------------------------------------------------------------------


def verification_url(code: str) -> str:
    """The public page that checks a printed table, as an absolute address for the QR code."""
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return f"{base}{reverse('transfers:verify')}?{urlencode({'code': code})}"


def _scheme(code: str) -> str:
    return str(dict(Scheme.choices).get(code, code))


def _identity(content: dict[str, Any]) -> list[list[str]]:
    person = content["person"]
    return [
        [_("Name"), person["name"], _("ID number"), person["id_number"]],
        [_("Birth date"), person["birth_date"], _("Case reference"), content["reference"]],
    ]


def _ends(content: dict[str, Any]) -> list[list[str]]:
    origin, destination = content["origin"], content["destination"]
    return [
        [
            _("Origin"),
            f"{origin['region_name']} {origin['agency_name']}",
            _("Origin scheme"),
            _scheme(origin["scheme"]),
        ],
        [
            _("Destination"),
            f"{destination['region_name']} {destination['agency_name']}",
            _("Destination scheme"),
            _scheme(destination["scheme"]),
        ],
    ]


def _periods(content: dict[str, Any]) -> list[list[str]]:
    rows = [[_("Region"), _("Scheme"), _("Period"), _("Contribution months")]]
    for row in content["enrollments"]:
        period = f"{row['start_date']} ~ {row['end_date'] or ''}"  # the font has no en dash
        rows.append(
            [row["region_name"], _scheme(row["scheme"]), period, str(row["contribution_months"])]
        )
    return rows


def _balance(content: dict[str, Any]) -> list[list[str]]:
    return [
        [
            _("Contribution months"),
            str(content["contribution_months"]),
            _("Account balance (yuan)"),
            content["balance"],
        ],
        [
            _("Individually funded part"),
            content["individual_part"],
            _("Employer-funded part"),
            content["employer_part"],
        ],
    ]


def _issuer(table: InfoTable) -> list[list[str]]:
    origin = table.content["origin"]
    # Who sealed it at the origin; a copy received from another deployment names nobody here.
    clerk = staff_name(table.issued_by) if table.issued_by is not None else "—"
    return [
        [_("Issuing agency"), origin["agency_name"], _("Issued on"), table.content["issued_on"]],
        [_("Handled by"), clerk, _("Seal algorithm"), table.algorithm],
        [
            _("Electronic seal"),
            origin["agency_name"],
            _("Seal key"),
            table.key_id,
        ],
    ]


def _verification(table: InfoTable) -> list[str]:
    url = verification_url(table.verification_code)
    return [
        _("Verification code") + ": " + table.verification_code,
        _(
            "Anyone holding this table can check that it is genuine: scan the QR code, or "
            "open this address and enter the code:"
        ),
        url.split("?")[0],
    ]


def render_pdf(table: InfoTable) -> bytes:
    """The table as the official form, in the active language, from the sealed content."""
    content = table.content
    gap = printing.gap
    story = [
        printing.heading(f"《{TITLE}》"),
        gap(),
        printing.section(_("Identity"), _identity(content)),
        gap(),
        printing.section(_("Transfer"), _ends(content)),
        gap(),
        printing.section(
            _("Enrollment periods"), _periods(content), header=True, widths=(36, 44, 62, 28)
        ),
        gap(),
        printing.section(_("Contribution months and balance"), _balance(content)),
        gap(),
        printing.section(_("Issued by"), _issuer(table)),
        gap(),
        printing.verification_block(
            _verification(table),
            verification_url(table.verification_code),
            seal=content["origin"]["agency_name"],
        ),
        gap(),
        printing.paragraph(_("Seal signature") + ": " + table.signature, size=8),
    ]
    return printing.render(TITLE, story)
