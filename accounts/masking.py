"""Masking: ID numbers and bank card numbers never reach a log line or an audit row in full.

The logging configuration imports this module while settings load, before the app registry
is ready: it imports no models, directly or through another module.
"""

from __future__ import annotations

import logging
import re

# 17 digits and a digit or X, not part of a longer run of digits (that would be a card number).
# Only a free-standing run counts: not digits after a letter or a decimal point, so that a
# case reference (TQ2026…) or a duration (0.0112…s) in a log line is left as it is.
_ALONE = r"(?<![A-Za-z0-9_.])"
_ID_NUMBER = re.compile(_ALONE + r"(\d{3})\d{13}(\d[\dXx])(?![\dXx])")
# 13 to 19 digits: UnionPay debit and credit card numbers.
_CARD_NUMBER = re.compile(_ALONE + r"\d{9,15}(\d{4})(?!\d|\.\d)")


def mask_sensitive(text: str) -> str:
    """Mask what looks like a resident ID number (as `mask_id_number` does) or a card number
    (all but the last four digits)."""
    text = _ID_NUMBER.sub(lambda m: f"{m[1]}{'*' * 13}{m[2]}", text)
    return _CARD_NUMBER.sub(lambda m: f"{'*' * (len(m[0]) - 4)}{m[1]}", text)


class MaskIdNumbersFilter(logging.Filter):
    """Attached to every logging handler: the record is rendered, masked and frozen, so that
    neither the message nor its arguments nor a traceback prints an ID or card number."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed call must still not leak its arguments
            message = f"{record.msg} {record.args}"
        masked = mask_sensitive(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # The formatter reuses exc_text when it is set, so the masked text is what prints.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_sensitive(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_sensitive(record.stack_info)
        return True


def mask_phone(number: str) -> str:
    """A mobile number with its middle four digits hidden (139****0001), as banks print it."""
    if len(number) < 7:
        return "*" * len(number)
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def mask_card_number(number: str) -> str:
    """The last four digits only, as a bank's own statements print a card."""
    return f"**** {number[-4:]}" if len(number) > 4 else "*" * len(number)


def mask_name(name: str) -> str:
    """The first character only (张**), as public notices print a person's name."""
    name = name.strip()
    return f"{name[:1]}{'*' * (len(name) - 1)}" if name else ""
