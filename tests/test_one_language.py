"""One language at a time: every page of every role, in Chinese and in English, holds no word
of the other language.

The pages are the access matrix's (tests/access/test_matrix.py): every URL of the resolver
has a rule there, and every persona a rule lets in (200) is visited here, in both languages,
with the matrix's world of demo-like cases. A URL name that is neither visited nor listed in
NO_PAGE with a reason fails `test_every_url_is_visited_or_says_why_not`.

What a page shows that is not the portal's own wording is data: a person's or an agency's
name, a region, a file name, a note someone typed. Templates mark it, which is also what a
screen reader needs: `translate="no"` (the `data` filter, cases/templatetags/data.py, writes
it) or a `lang` attribute naming the language it is in. Marked text is not checked. Data the
templates cannot mark (the admin's lists and titles, the header's user name in base.html) is
recognised by its value: the world's names, usernames, file names, typed reasons and the
stored texts of messages and history lines (written once, in the language of that moment).
Latin codes (PDF, ID, API…), e-mail addresses, file names, ID numbers and words with a digit
(case references, settlement numbers) may stand on a Chinese page."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.access.test_matrix import (
    OK,
    TABLE,
    URLS,
    Rule,
    _kwargs,
    _sampled_admin_names,
    _user,
)
from tests.access.world import PERSONAS, World, build_world

LANGUAGES = ("zh-hans", "en")

# URL names with no page of their own to read, and why.
NO_PAGE = {
    "set_language": "the language switch: a redirect back to the page it was on",
    "remember_english": "an old /en/ address: a redirect to the same page",
    "cases:detail": "a redirect to the case's own page",
    "cases:export": "a CSV file: column names are checked by tests/cases/test_export.py",
    "cases:document": "a document's file",
    "cases:export_xlsx": "an Excel file: its sheet is checked by tests/cases/test_export.py",
    "cases:short_link": "a text message's short link: a redirect to the case's own page",
    "accounts:text_size": "the large-text switch: POST only, a redirect back to the page",
    "transfers:info_table_pdf": "a PDF file (tests/transfers: its text)",
    "transfers:receipt_pdf": "a PDF file (tests/transfers/test_printed.py: its text)",
    "transfers:refusal_notice_pdf": "a PDF file (tests/transfers/test_printed.py: its text)",
    "accounts:signup_confirm": "a redirect without a sign-up under way",
    "accounts:otp_verify": "a redirect for anyone who has no second factor to confirm",
    "withdrawals:apply_confirm": "a redirect without an application under way",
    "family_pool_api:api-root": "the charging API: JSON, in the client's Accept-Language",
    "family_pool_api:openapi-json": "the charging API's schema, for programmers",
    "family_pool_api:get_charge": "the charging API: JSON, in the client's Accept-Language",
    "accounts:logout": "POST only: signs out and redirects",
    **{
        f"admin:{model}_{page}": "no role may open it (superusers only)"
        for model in ("axes_accesslog", "axes_accessfailurelog", "otp_totp_totpdevice")
        for page in ("changelist", "change")
    },
}

# --- what counts as the other language ------------------------------------------------------

# Codes and units a Chinese page writes in Latin letters.
CODES = frozenset(
    {
        "API",
        "B",
        "CNY",
        "CSV",
        "Excel",
        "GB",
        "ID",
        "KB",
        "MB",
        "OTP",
        "PDF",
        "PNG",
        "JPG",
        "JPEG",
        "SM2",
        "SM3",
        "SMS",
        "TOTP",
        "URL",
        "QR",
        "Ed25519",
        "GET",
        "POST",
        "HTTP",
        "IP",
        "chinesecalendar",  # the package the holiday schedule comes from
    }
)
# Django's admin writes its boolean icons' alt text in English (True, False, None), a string
# it does not translate; the icon's meaning is also in its colour and shape.
ADMIN_ICON = re.compile(r"/admin/img/icon-(yes|no|unknown)\.svg$")
ID_NUMBER = re.compile(r"\b[\d*]{6,17}[\dXx*]\b")
# Masked secrets (9dcc****), signatures and keys (base64): codes, not words.
SECRET = re.compile(r"\S*\*{4,}\S*|[A-Za-z0-9+/=]{24,}")
MIME_TYPE = re.compile(r"\b(application|image|text)/[\w.+-]+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
FILE_NAME = re.compile(r"[\w.-]+\.(pdf|png|jpe?g|csv|txt|webp|heic)\b", re.IGNORECASE)
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’.-]*")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
CJK_RUN = re.compile(CJK.pattern + "+")
CHECKED_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
SKIPPED_ELEMENTS = frozenset({"script", "style", "textarea"})
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


def foreign_latin(text: str) -> list[str]:
    """Latin words on a Chinese page that are not a code, an address or a reference."""
    text = ID_NUMBER.sub(" ", FILE_NAME.sub(" ", MIME_TYPE.sub(" ", SECRET.sub(" ", text))))
    return [
        word
        for word in LATIN_WORD.findall(text)
        if word.strip(".-") not in CODES and not any(c.isdigit() for c in word)
    ]


def foreign_cjk(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """CJK characters on an English page, outside runs that are a known name (a region)."""
    return [c for run in CJK_RUN.findall(text) if run not in names for c in run]


class PortalText(HTMLParser):
    """The page's own words: text and a few attributes, outside what is marked as data."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language.split("-")[0]
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.pieces: list[str] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def _marked(self, tag: str, attrs: dict[str, str | None]) -> bool:
        lang = (attrs.get("lang") or "").split("-")[0].lower()
        if lang and lang != self.language:
            return True
        if attrs.get("translate") == "no" or tag in SKIPPED_ELEMENTS:
            return True
        # The language switch names each language in that language.
        return tag == "button" and attrs.get("name") == "language"

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        skipped = self.skipping or self._marked(tag, attrs)
        if tag == "img" and ADMIN_ICON.search(attrs.get("src") or ""):
            return
        if not skipped:
            self.pieces += [attrs[a] or "" for a in CHECKED_ATTRIBUTES if attrs.get(a)]
            if tag == "input" and attrs.get("type") in ("submit", "button"):
                self.pieces.append(attrs.get("value") or "")
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs_list)
        if tag not in VOID_ELEMENTS:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        # Pop up to the matching tag: a missing end tag (<p>, <li>) must not leave a skip on.
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.pieces.append(data)


def wrong_words(
    html: str, language: str, data: Sequence[str] = (), names: frozenset[str] = frozenset()
) -> list[str]:
    """The other language's words on the page; `data` are values to ignore (longest first),
    `names` whole runs of Chinese characters to ignore (region names: too many to strip)."""
    parser = PortalText(language)
    parser.feed(html)
    parser.close()
    found: list[str] = []
    for piece in parser.pieces:
        piece = EMAIL.sub(" ", piece)  # before the usernames in it are taken out
        for value in data:
            if value in piece:
                piece = piece.replace(value, " ")
        bad = foreign_latin(piece) if language == "zh-hans" else foreign_cjk(piece, names)
        if bad:
            found.append(f"{' '.join(bad)!r} in {' '.join(piece.split())[:120]!r}")
    return found


# --- the checker itself -----------------------------------------------------------------------


def test_a_chinese_page_may_hold_codes_addresses_and_references_but_no_english_words():
    html = (
        '<html lang="zh-hans"><body><p>上传 PDF 文件 scan.png，编号 TQ20260001，'
        "邮箱 li@example.com</p><p>Refuse (not accepted)</p>"
        '<span translate="no">Zhang Wei</span><p lang="en">English</p>'
        '<input type="submit" value="Save"><img alt="photo"></body></html>'
    )

    assert wrong_words(html, "zh-hans") == [
        "'Refuse not accepted' in 'Refuse (not accepted)'",
        "'Save' in 'Save'",
        "'photo' in 'photo'",
    ]


def test_an_english_page_may_hold_marked_chinese_data_only():
    html = (
        '<html lang="en"><body><p>Holder: <span translate="no">张伟</span></p>'
        '<p lang="zh-Hans">东莞市</p><p>Status：待审核</p>'
        '<form><button name="language" value="zh-hans">简体中文</button></form></body></html>'
    )

    assert wrong_words(html, "en") == ["'： 待 审 核' in 'Status：待审核'"]


# --- the pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    name: str
    url: str
    persona: str


def _page_names() -> set[str]:
    names = {f.name for f in URLS}
    admin = {n for n in names if n.startswith("admin:") or n.startswith("<unnamed admin/")}
    return (names - admin) | _sampled_admin_names()


def _personas(rule: Rule, name: str) -> list[str]:
    """Every persona who may read the page, in the case's own agency (the other agency's
    pages are the same pages). Admin pages: the first role that may read them."""
    allowed = [p for p in PERSONAS if rule.expect[p] == OK and not p.endswith("_other")]
    return allowed[:1] if name.startswith("admin:") and name != "admin:index" else allowed


def _is_a_page(name: str) -> bool:
    rule = TABLE.get(name)
    return name not in NO_PAGE and rule is not None and not rule.post


def test_every_url_is_visited_or_says_why_not():
    names = _page_names()

    steps = {n for n in names if TABLE.get(n) is not None and TABLE[n].post}
    unvisited = sorted(
        n
        for n in names - steps
        if n not in NO_PAGE and not (_is_a_page(n) and _personas(TABLE[n], n))
    )

    assert unvisited == [], f"pages with no visit and no reason in NO_PAGE: {unvisited}"
    assert steps, "steps (POST only) have no page of their own: the walk found none"


# Data the world's pages show that no template can mark (see the module's docstring).
DATA_FIELDS = (
    ("accounts.User", "username"),
    ("accounts.InsuredPerson", "name"),
    ("accounts.Agency", "name"),
    ("family_pool.Institution", "name"),
    ("family_pool.Institution", "api_key_prefix"),  # a random code, with or without a digit
    ("withdrawals.EmergencyRefund", "hospital"),
    ("withdrawals.Withdrawal", "bank_name"),
    ("withdrawals.Withdrawal", "payee_name"),
    ("transfers.Transfer", "bank_name"),
    ("cases.Document", "original_name"),
    ("cases.CaseEvent", "reason"),
    ("cases.Notification", "subject"),
    ("cases.Notification", "body"),
    ("accounts.AccountFreeze", "reason"),
    ("cases.CalendarOverride", "note"),
    ("axes.AccessAttempt", "username"),
    ("axes.AccessAttempt", "user_agent"),
    # A role's group is named by the role's code; the admin titles its change page with it.
    ("auth.Group", "name"),
    # Texts the code wrote once and stored: a bookkeeping memo, the audit log's description
    # of the object at the time.
    ("accounts.LedgerTransaction", "memo"),
    ("audit.AuditEvent", "object_repr"),
)
# Library words the portal cannot translate: django-axes' AccessAttempt.__str__.
LIBRARY_WORDS = ("Attempted Access",)


# Words a page shows until the engineer rewriting it uses the label function named here.
def known_data() -> list[str]:
    from django.apps import apps

    from accounts.models import Agency, Region
    from transfers.infotable import TITLE

    values: set[str] = {TITLE, *LIBRARY_WORDS}  # the information table's official name
    for label, field in DATA_FIELDS:
        values |= set(apps.get_model(label).objects.values_list(field, flat=True))
    codes = set(Agency.objects.values_list("region_id", flat=True))
    codes |= {code[:2] + "0000" for code in codes}
    values |= set(Region.objects.filter(code__in=codes).values_list("name", flat=True))
    return sorted((v for v in values if v and len(v) > 1), key=len, reverse=True)


def region_names() -> frozenset[str]:
    from accounts.models import Region

    return frozenset(Region.objects.values_list("name", flat=True))


@dataclass
class Pages:
    world: World
    data: list[str]
    names: frozenset[str]


@pytest.fixture(scope="module")
def pages(django_db_setup, django_db_blocker) -> Iterator[Pages]:
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        yield Pages(built, known_data(), region_names())
        transaction.set_rollback(True)


def _visits(world: World, name: str) -> list[Visit]:
    rule = TABLE[name]
    url = reverse(name, kwargs=_kwargs(world, rule, name))
    return [Visit(name, url, persona) for persona in _personas(rule, name)]


def _read(world: World, visit: Visit, language: str) -> tuple[int, str]:
    client = world.client_for(_user(world, visit.persona, TABLE[visit.name]))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(language), transaction.atomic():
        response = client.get(visit.url)
        transaction.set_rollback(True)
    return response.status_code, response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(n for n in _page_names() if _is_a_page(n)))
def test_the_page_is_in_one_language(pages, name, language):
    wrong = []
    data = pages.data

    for visit in _visits(pages.world, name):
        status, html = _read(pages.world, visit, language)
        assert status == 200, f"{visit.url} as {visit.persona}: {status}"
        assert f'lang="{language}"' in html
        found = wrong_words(html, language, data, pages.names)
        wrong += [f"{visit.url} as {visit.persona}: {w}" for w in found]

    assert not wrong, "\n".join(sorted(set(wrong)))


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_error_pages_are_in_one_language(language):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    with translation.override(language):
        missing = client.get("/no-such-page/")
        server_error = render_to_string("500.html")
        forbidden = render_to_string("403.html")

    assert missing.status_code == 404
    for html in (missing.content.decode(), server_error, forbidden):
        assert wrong_words(html, language) == []
