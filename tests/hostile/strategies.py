"""Hostile values: what a confused person, a broken client or an attacker may type."""

from __future__ import annotations

from hypothesis import strategies as st

# Lone surrogates cannot be encoded as UTF-8; the helpers send them as raw bytes anyway.
ODD_TEXT = [
    "",
    " ",
    "\x00",
    "张\x00三",
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u200e",  # RTL / LTR marks
    "\ufeff",
    "😀" * 20,
    "👨‍👩‍👧‍👦",
    "e" + "\u0301" * 50,  # combining marks piled up
    "𠮷野家",
    "\ud800",
    "a\udfffb",
    "\r\n\t",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n%x",
    "../../../etc/passwd",
    "Ａ" * 60,
    "x" * 5_000,
    "x" * 200_000,
]

odd_text = st.one_of(
    st.sampled_from(ODD_TEXT),
    st.text(st.characters(codec="utf-8"), max_size=80),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=10),
)

AMOUNTS = [
    "-1",
    "-0.01",
    "0",
    "0.00",
    "0.001",
    "1.234",
    "12,50",
    "1e309",
    "1E5",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1" + "0" * 40,
    "99999999999999.99",
    "１２.５",  # full-width digits
    "٣",  # Arabic-Indic digit
    "0x10",
    "1_000",
    "+5",
    "--5",
    "5.",
    ".5",
    " 12.5 ",
    "12.5.5",
    "",
    "\x00",
]

amounts = st.one_of(
    st.sampled_from(AMOUNTS),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    odd_text,
)

ID_NUMBERS = [
    "",
    "123",
    "441900198001010010",  # wrong check digit (probably)
    "441900198002300014",  # 30 February
    "000000198001010017",  # no such area
    "44190019800101001x",
    "4419 0019 8001 0100 1X",
    "４４１９００１９８００１０１００１Ｘ",  # full-width
    "441900298001010010",  # born in the future
    "44190019800101001\x00",
    "9" * 18,
    "X" * 18,
    "1" * 200,
]

id_numbers = st.one_of(
    st.sampled_from(ID_NUMBERS),
    st.text(st.sampled_from("0123456789Xx -"), max_size=25),
    odd_text,
)

DATES = [
    "2026-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "2026/13/01",
    "2026-1-1",
    "tomorrow",
    "１９９０-０１-０１",
    "",
    "2026-01-01T00:00:00",
]

dates = st.one_of(st.sampled_from(DATES), st.dates().map(lambda d: d.isoformat()), odd_text)
