"""The Chinese catalog: complete, compiled, and in step with the strings in the source.

Chinese is the site's default language, so an English msgid without a translation shows up
as English on a Chinese page: these tests make a new untranslated string fail the suite.
Regenerate with `manage.py makemessages -l zh_Hans ... --no-obsolete`, translate, then
`manage.py compilemessages` (see the commands in README/CI).
"""

from __future__ import annotations

import ast
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
SOURCE_DIRS = ("accounts", "cases", "config", "family_pool", "transfers", "withdrawals")
TEMPLATE_DIR = ROOT / "templates"

# The calls makemessages extracts with a plain msgid as first argument.
GETTEXT_NAMES = frozenset({"_", "gettext", "gettext_lazy", "gettext_noop"})
# Django's own template pattern (django.utils.translation.template.inline_re), simplified:
# a quoted literal without escapes, then optional filters, `noop`, `as var` or `context`.
TRANSLATE_TAG = re.compile(
    r"""\{%\s*trans(?:late)?\s+("[^"]*"|'[^']*')(?P<rest>[^%]*?)%\}""",
)
CONTEXT = re.compile(r"""\bcontext\s+("[^"]*"|'[^']*')""")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None


def _unquote(text: str) -> str:
    # PO strings use C escapes (\n, \t, \", \\), which a Python literal reads the same way.
    value = ast.literal_eval(text.strip())
    if not isinstance(value, str):
        raise ValueError(f"not a string literal: {text!r}")
    return value


def parse_po(text: str) -> list[Entry]:
    """Entries of a PO file, with continuation lines joined and escapes resolved.

    Obsolete entries (`#~`) are skipped; `#,` flags are kept; other comments are ignored.
    """
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # which field a continuation line extends

    def current() -> Entry:
        nonlocal entry
        if entry is None:
            entry = Entry()
        return entry

    def finish() -> None:
        nonlocal entry, target
        if entry is not None:
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#,"):
            if target is not None and target[0] != "msgctxt":
                finish()  # flags open the next entry when no blank line separates them
            current().flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if target is None:
                raise ValueError(f"line {number}: continuation outside an entry")
            _append(current(), target, _unquote(line))
        else:
            keyword, _sep, rest = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                finish()  # a new entry started without a blank line
            target = _field_of(keyword, number)
            if target[0] == "msgid":
                current().line = current().line or number
            _set(current(), target, _unquote(rest))
    finish()
    return entries


def _field_of(keyword: str, number: int) -> tuple[str, int]:
    plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
    if plural:
        return "msgstr", int(plural.group(1))
    if keyword in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
        return keyword, 0
    raise ValueError(f"line {number}: unknown keyword {keyword!r}")


def _set(entry: Entry, target: tuple[str, int], value: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] = value
    else:
        setattr(entry, name, value)


def _append(entry: Entry, target: tuple[str, int], value: str) -> None:
    name, index = target
    if name == "msgstr":
        entry.msgstr[index] += value
    else:
        setattr(entry, name, (getattr(entry, name) or "") + value)


def catalog() -> list[Entry]:
    return [e for e in parse_po(PO_FILE.read_text(encoding="utf-8")) if not e.is_header]


def header() -> dict[str, str]:
    head = next(e for e in parse_po(PO_FILE.read_text(encoding="utf-8")) if e.is_header)
    pairs = (line.partition(":") for line in head.msgstr[0].splitlines())
    return {key.strip(): value.strip() for key, _sep, value in pairs}


def python_msgids(path: Path) -> set[str]:
    """msgids of `_("…")`-style calls whose first argument is plain string literals only.

    Adjacent literals (also over several lines) are joined as Python and xgettext join them;
    f-strings, byte strings, concatenation with `+` and variables are skipped.
    """
    found: set[str] = set()
    with path.open("rb") as source:
        tokens = [
            t
            for t in tokenize.tokenize(source.readline)
            if t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.NEWLINE)
        ]
    for i, token in enumerate(tokens[:-2]):
        if token.type != tokenize.NAME or token.string not in GETTEXT_NAMES:
            continue
        if tokens[i + 1].string != "(" or (i and tokens[i - 1].string == "def"):
            continue
        j = i + 2
        literals: list[str] = []
        while j < len(tokens) and tokens[j].type == tokenize.STRING:
            literals.append(tokens[j].string)
            j += 1
        if not literals or j == len(tokens) or tokens[j].string not in (",", ")"):
            continue
        if any(re.match(r"(?i)[a-z]*[fb]", lit) for lit in literals):
            continue
        found.add(ast.literal_eval("(" + " ".join(literals) + ")"))
    return found


def template_msgids(path: Path) -> set[tuple[str | None, str]]:
    """(context, msgid) of `{% translate "…" %}` tags, as makemessages turns them into msgids:
    the quotes dropped and `%` doubled (the tag itself looks the string up with `%%`)."""
    found: set[tuple[str | None, str]] = set()
    for match in TRANSLATE_TAG.finditer(path.read_text(encoding="utf-8")):
        context = CONTEXT.search(match.group("rest"))
        found.add(
            (
                context.group(1)[1:-1] if context else None,
                match.group(1)[1:-1].replace("%", "%%"),
            )
        )
    return found


def test_the_parser_joins_continuation_lines_and_reads_escapes():
    text = (
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        "#: a.py:1\n#, fuzzy, python-format\n"
        'msgid ""\n"Say \\"%(name)s\\" "\n"twice"\nmsgstr "说两次\\t“%(name)s”"\n\n'
        'msgctxt "month"\nmsgid "May"\nmsgid_plural "Mays"\nmsgstr[0] ""\n"五月"\n'
    )

    head, quoted, plural = parse_po(text)

    assert head.is_header
    assert head.msgstr == {0: "Language: zh_Hans\n"}
    assert quoted.msgid == 'Say "%(name)s" twice'
    assert quoted.msgstr == {0: "说两次\t“%(name)s”"}
    assert quoted.flags == {"fuzzy", "python-format"}
    assert (plural.msgctxt, plural.msgid, plural.msgid_plural) == ("month", "May", "Mays")
    assert plural.msgstr == {0: "五月"}


def test_the_header_declares_simplified_chinese_with_one_plural_form():
    fields = header()

    assert fields["Language"] == "zh_Hans"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = catalog()

    untranslated = [e.msgid for e in entries if not e.msgstr or not all(e.msgstr.values())]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]

    assert entries
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalog_returns_every_translation_in_the_po():
    entries = catalog()
    assert MO_FILE.exists(), "run manage.py compilemessages"

    with translation.override("zh-hans"):
        wrong = {}
        for e in entries:
            expected = e.msgstr.get(0, "")
            if e.msgid_plural is not None and e.msgctxt is not None:
                got = translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1)
            elif e.msgid_plural is not None:
                got = translation.ngettext(e.msgid, e.msgid_plural, 1)
            elif e.msgctxt is not None:
                got = translation.pgettext(e.msgctxt, e.msgid)
            else:
                got = translation.gettext(e.msgid)
            if got != expected:
                wrong[e.msgid] = (got, expected)

    assert wrong == {}, "the .mo is stale: run manage.py compilemessages"


def test_every_literal_msgid_in_the_source_is_in_the_catalog():
    known = {(e.msgctxt, e.msgid) for e in catalog()}
    in_python = {
        (None, msgid): path.relative_to(ROOT)
        for directory in SOURCE_DIRS
        for path in sorted((ROOT / directory).rglob("*.py"))
        for msgid in python_msgids(path)
    }
    in_templates = {
        key: path.relative_to(ROOT)
        for path in sorted(TEMPLATE_DIR.rglob("*.html"))
        for key in template_msgids(path)
    }

    missing = {
        f"{where}: {msgid!r}" + (f" (context {ctx!r})" if ctx else "")
        for (ctx, msgid), where in {**in_python, **in_templates}.items()
        if (ctx, msgid) not in known
    }

    assert len(in_python) > 50, "the source scan found too little to be working"
    assert in_templates, "the template scan found nothing"
    assert missing == set(), "run makemessages and translate the new strings"


def test_the_source_scan_joins_adjacent_literals_and_skips_what_it_cannot_read(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "from django.utils.translation import gettext_lazy as _\n"
        'A = _("Plain")\n'
        "B = _(\n"
        '    "Two lines "  # a comment between the parts\n'
        '    "joined."\n'
        ")\n"
        'C = gettext("With %(n)d", n=1)\n'
        'D = _(f"Formatted {A}")\n'
        'E = _("Added " + A)\n'
        "F = _(A)\n",
        encoding="utf-8",
    )
    page = tmp_path / "page.html"
    page.write_text(
        '{% translate "Log in" %} {% trans \'50% off\' %} {% translate "May" context "month" %}'
        ' {% translate "Hi" as greeting %}',
        encoding="utf-8",
    )

    assert python_msgids(module) == {"Plain", "Two lines joined.", "With %(n)d"}
    assert template_msgids(page) == {
        (None, "Log in"),
        (None, "50%% off"),
        ("month", "May"),
        (None, "Hi"),
    }
