"""The 《参保人员基本医疗保险信息表》: its content as the origin certifies it, and the
printable PDF drawn from that content (never from live rows, so the print shows exactly
what the seal covers)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from accounts.models import Enrollment, PersonalAccount, Scheme
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

# AR PL SungtiL GB (a 宋体 for the GB 2312 set, Arphic Public License, transfers/fonts/): a
# TrueType font, so that reportlab embeds the subset the table uses and the Chinese shows in
# any viewer, unlike a CID font the viewer must supply.
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "gbsn00lp.ttf"
FONT = "PortalSong"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    return FONT


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
        period = f"{row['start_date']} – {row['end_date'] or ''}"
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


def _section(
    title: str,
    rows: list[list[str]],
    font: str,
    header: bool = False,
    widths: tuple[int, int, int, int] | None = None,
) -> Table:
    """One section of the form: its title across the whole width, then its rows, every cell
    bordered like the printed form."""
    data = [[title, "", "", ""], *rows]
    table = Table(data, colWidths=[c * mm for c in (widths or (36, 44, 36, 54))])
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), font, 9.5),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("SPAN", (0, 0), (-1, 0)),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
        ("FONT", (0, 0), (-1, 0), font, 10.5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 1), (-1, 1), colors.HexColor("#f8f9fa")))
    else:
        for col in (0, 2):
            commands.append(("BACKGROUND", (col, 1), (col, -1), colors.HexColor("#f8f9fa")))
    table.setStyle(TableStyle(commands))
    return table


def render_pdf(table: InfoTable) -> bytes:
    content = table.content
    font = _font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=TITLE,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1)
    small = ParagraphStyle("small", fontName=font, fontSize=9, leading=13)
    gap = Spacer(1, 4 * mm)
    issuer = _section(_("Issued by"), _issuer(table), font)
    # The key id is 32 hex digits: smaller, so that it stays inside its cell.
    issuer.setStyle(TableStyle([("FONT", (3, 2), (3, 2), font, 7.5)]))
    story = [
        Paragraph(f"《{TITLE}》", title),
        gap,
        _section(_("Identity"), _identity(content), font),
        gap,
        _section(_("Transfer"), _ends(content), font),
        gap,
        _section(
            _("Enrollment periods"), _periods(content), font, header=True, widths=(36, 44, 62, 28)
        ),
        gap,
        _section(_("Contribution months and balance"), _balance(content), font),
        gap,
        issuer,
        gap,
        Paragraph(_("Seal signature") + ": " + table.signature, small),
    ]
    doc.build(story)
    return buffer.getvalue()


def _issuer(table: InfoTable) -> list[list[str]]:
    origin = table.content["origin"]
    return [
        [_("Issuing agency"), origin["agency_name"], _("Issued on"), table.content["issued_on"]],
        [
            _("Electronic seal"),
            f"{origin['agency_name']} ({table.algorithm})",
            _("Seal key"),
            table.key_id,
        ],
    ]
