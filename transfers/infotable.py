"""The 《参保人员基本医疗保险信息表》: its content as the origin certifies it, and the
printable PDF drawn from that content (never from live rows, so the print shows exactly
what the seal covers)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from accounts.models import Enrollment, PersonalAccount, Scheme
from transfers.models import InfoTable, Transfer

TITLE = "参保人员基本医疗保险信息表"
FONT = "STSong-Light"


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


def _font() -> str:
    # The built-in CID font needs no font file: Chinese text works on any server.
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _scheme(code: str) -> str:
    return str(dict(Scheme.choices).get(code, code))


def _lines(content: dict[str, Any]) -> list[tuple[str, str]]:
    # The CID font is not embedded: the viewer draws the Chinese with its own font, so keep
    # to characters every Chinese PDF viewer has ("/" rather than a middle dot).
    person, origin, destination = content["person"], content["origin"], content["destination"]
    return [
        (_("Case reference"), content["reference"]),
        (_("Name"), person["name"]),
        (_("ID number"), person["id_number"]),
        (_("Birth date"), person["birth_date"]),
        (_("Origin"), f"{origin['region_name']} / {origin['agency_name']}"),
        (_("Origin scheme"), _scheme(origin["scheme"])),
        (_("Destination"), f"{destination['region_name']} / {destination['agency_name']}"),
        (_("Destination scheme"), _scheme(destination["scheme"])),
        (_("Contribution months"), str(content["contribution_months"])),
        (_("Account balance (yuan)"), content["balance"]),
        (_("Individually funded part"), content["individual_part"]),
        (_("Employer-funded part"), content["employer_part"]),
        (_("Issued on"), content["issued_on"]),
    ]


def render_pdf(table: InfoTable) -> bytes:
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4)
    pdf.setTitle(TITLE)
    font = _font()
    _, height = A4
    y = height - 25 * mm
    pdf.setFont(font, 16)
    pdf.drawCentredString(A4[0] / 2, y, f"《{TITLE}》")
    y -= 14 * mm
    pdf.setFont(font, 10.5)
    for label, value in _lines(table.content):
        pdf.drawString(22 * mm, y, f"{label}:")
        pdf.drawString(75 * mm, y, str(value))
        y -= 7 * mm
    y = _draw_history(pdf, font, table.content["enrollments"], y - 4 * mm)
    _draw_seal(pdf, font, table, y - 6 * mm)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_history(pdf: Canvas, font: str, rows: list[dict[str, Any]], y: float) -> float:
    pdf.setFont(font, 12)
    pdf.drawString(22 * mm, y, _("Enrollment history"))
    y -= 7 * mm
    pdf.setFont(font, 9.5)
    for row in rows:
        period = f"{row['start_date']} – {row['end_date'] or ''}"
        text = f"{row['region_name']}  {_scheme(row['scheme'])}  {period}  " + _(
            "%(months)s months"
        ) % {"months": row["contribution_months"]}
        pdf.drawString(24 * mm, y, text)
        y -= 6 * mm
    return y


def _draw_seal(pdf: Canvas, font: str, table: InfoTable, y: float) -> None:
    pdf.setFont(font, 10)
    sealer = table.content["origin"]["agency_name"]
    pdf.drawString(
        22 * mm,
        y,
        _("Electronic seal of %(agency)s (%(algorithm)s), key %(key)s")
        % {"agency": sealer, "algorithm": table.algorithm, "key": table.key_id},
    )
    pdf.setFont("Courier", 7.5)
    signature = table.signature
    for start in range(0, len(signature), 60):
        y -= 4.5 * mm
        pdf.drawString(24 * mm, y, signature[start : start + 60])
