"""Printable documents in the style of the official forms (信息表, 受理回执, 不予受理告知书):
A4, a title, sections of bordered cells, a verification block with its QR code.

The Chinese font is AR PL SungtiL GB (a 宋体 for the GB 2312 set, Arphic Public License,
cases/fonts/): a TrueType font, so that reportlab embeds the subset a document uses and the
Chinese shows in any viewer, unlike a CID font the viewer must supply.

Every document is built with reportlab's `invariant` mode (no creation time, no random file
id): the same content in the same language gives the same bytes, which is what lets the
verification page recognise a file the portal issued by its digest (transfers.verification)."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Circle, Drawing, Group, Polygon, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT_FILE = Path(__file__).resolve().parent / "fonts" / "gbsn00lp.ttf"
FONT = "PortalSong"
WIDTHS = (36, 44, 36, 54)  # mm: label, value, label, value; 170 mm between the margins
LABEL_SHADE = colors.HexColor("#f8f9fa")
TITLE_SHADE = colors.HexColor("#e9ecef")
HAN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    return FONT


def heading(text: str) -> Paragraph:
    style = ParagraphStyle("title", fontName=font(), fontSize=16, leading=22, alignment=1)
    return Paragraph(escape(text), style)


def paragraph(text: str, *, size: float = 9.5) -> Paragraph:
    """Plain text (escaped: a name or a note may hold < or &), wrapped to the width: between
    words, or anywhere in Chinese and in a code without spaces (a key id, a signature)."""
    anywhere = bool(HAN.search(text)) or " " not in text.strip()
    style = ParagraphStyle(
        "text",
        fontName=font(),
        fontSize=size,
        leading=size * 1.35,
        wordWrap="CJK" if anywhere else None,
    )
    return Paragraph(escape(text), style)


def gap() -> Spacer:
    return Spacer(1, 4 * mm)


def section(
    title: str,
    rows: Sequence[Sequence[Any]],
    *,
    header: bool = False,
    widths: Sequence[float] = WIDTHS,
) -> Table:
    """One section of the form: its title across the whole width, then its rows, every cell
    bordered like the printed form and its text wrapped within it. Label columns (the even
    ones) are shaded, or with `header` the first row (a list with column names)."""
    columns = len(widths)
    cells = [[paragraph(c) if isinstance(c, str) else c for c in row] for row in rows]
    data = [[title, *[""] * (columns - 1)], *cells]
    table = Table(data, colWidths=[w * mm for w in widths])
    face = font()
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), face, 9.5),
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("SPAN", (0, 0), (-1, 0)),
        ("BACKGROUND", (0, 0), (-1, 0), TITLE_SHADE),
        ("FONT", (0, 0), (-1, 0), face, 10.5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 1), (-1, 1), LABEL_SHADE))
    else:
        for col in range(0, columns, 2):
            commands.append(("BACKGROUND", (col, 1), (col, -1), LABEL_SHADE))
    table.setStyle(TableStyle(commands))
    return table


def listing(title: str, items: Sequence[str]) -> Table:
    """A numbered list in one bordered section (every reason of a refusal, every document
    received): each item wraps within the width."""
    rows = [[f"{number}.", paragraph(item)] for number, item in enumerate(items, 1)]
    return section(title, rows, widths=(10, 160))


def qr_code(url: str, *, size: float = 30 * mm) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    return drawing


def _star(cx: float, cy: float, radius: float, color: colors.Color) -> Polygon:
    points: list[float] = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.38
        angle = math.radians(90 + i * 36)
        points += [cx + r * math.cos(angle), cy + r * math.sin(angle)]
    return Polygon(points, fillColor=color, strokeColor=color, strokeWidth=0)


def seal_mark(name: str, *, size: float = 30 * mm) -> Drawing:
    """The seal's mark as printed beside the issuer: a red ring, the agency's name along its
    upper arc, a star in the middle. It is only the mark: what proves the table is the SM2
    seal and the verification code."""
    red = colors.HexColor("#c8102e")
    centre, ring = size / 2, size / 2 - 1.5
    drawing = Drawing(size, size)
    drawing.add(Circle(centre, centre, ring, strokeColor=red, fillColor=None, strokeWidth=1.8))
    drawing.add(_star(centre, centre, size * 0.17, red))
    count = max(len(name), 1)
    step = min(24.0, 230.0 / count)  # degrees per character
    first = 90 + step * (count - 1) / 2
    radius, height = ring - size * 0.12, size * 0.13
    for index, char in enumerate(name):
        angle = math.radians(first - index * step)
        turn = angle - math.pi / 2  # upright, its foot towards the centre
        glyph = Group(
            String(0, 0, char, fontName=font(), fontSize=height, fillColor=red, textAnchor="middle")
        )
        x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
        glyph.transform = (math.cos(turn), math.sin(turn), -math.sin(turn), math.cos(turn), x, y)
        drawing.add(glyph)
    return drawing


def verification_block(lines: Sequence[str], url: str, *, seal: str = "") -> Table:
    """The verification code and where to check it, beside a QR code of that address; with
    `seal`, the seal's mark of that agency between them."""
    text = [paragraph(line, size=9) for line in lines]
    if seal:
        cells, widths = [text, seal_mark(seal), qr_code(url)], [104 * mm, 32 * mm, 34 * mm]
    else:
        cells, widths = [text, qr_code(url)], [136 * mm, 34 * mm]
    table = Table([cells], colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                ("LINEBEFORE", (-1, 0), (-1, 0), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (1, 0), (-1, 0), "CENTER"),
            ]
        )
    )
    return table


def render(title: str, story: Sequence[Flowable]) -> bytes:
    """The document's bytes: A4, the form's margins, nothing that changes between two
    renderings of the same story (see the module's docstring)."""
    font()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        invariant=True,
    )
    doc.build(list(story))
    return buffer.getvalue()
