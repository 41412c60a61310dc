from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings

from accounts.masking import MaskIdNumbersFilter, mask_sensitive
from tests.accounts.factories import valid_id_number

ID_NUMBER = valid_id_number()
ID_WITH_X = ID_NUMBER[:17] + "X"
CARD = "6222020200112233445"


@pytest.fixture
def console():
    """The real root handler configured from settings.LOGGING, writing into a buffer."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler)
        and any(isinstance(f, MaskIdNumbersFilter) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_every_configured_handler_has_the_masking_filter():
    loggers = [logging.getLogger(name) for name in ("", "django", "django.server", "celery")]
    # pytest's own capture handlers sit on the root logger during tests, and libraries add
    # NullHandlers that write nothing: neither comes from LOGGING.
    ours = [
        handler
        for logger in loggers
        for handler in logger.handlers
        if not type(handler).__module__.startswith("_pytest")
        and not isinstance(handler, logging.NullHandler)
    ]

    assert all("mask_ids" in h.get("filters", []) for h in settings.LOGGING["handlers"].values())
    assert ours
    assert all(any(isinstance(f, MaskIdNumbersFilter) for f in h.filters) for h in ours)


def test_django_loggers_go_through_the_filtered_root_handler():
    for name in ("django", "django.request", "django.server", "celery"):
        logger = logging.getLogger(name)
        assert not logger.handlers or name == "celery"
        assert logger.propagate


@pytest.mark.parametrize(
    ("logger_name", "message", "args"),
    [
        ("cases.notifications", "applicant %s refused", (ID_NUMBER,)),
        ("django.request", f"Bad request for {ID_WITH_X.lower()}", ()),
        ("transfers", "payout to card %s for %s", (CARD, ID_WITH_X)),
        ("withdrawals", "numeric argument %d", (int(ID_NUMBER),)),
        ("family_pool", "%(person)s charged", {"person": ID_NUMBER}),
    ],
)
def test_no_log_line_holds_an_id_or_card_number(console, logger_name, message, args):
    logging.getLogger(logger_name).warning(message, *([args] if isinstance(args, dict) else args))

    written = console.getvalue()
    assert written
    for secret in (ID_NUMBER, ID_WITH_X, ID_WITH_X.lower(), CARD):
        assert secret not in written
    assert "*" * 13 in written or "*" * 15 in written


def test_a_traceback_is_masked_too(console):
    try:
        raise ValueError(f"no person with ID {ID_NUMBER}")
    except ValueError:
        logging.getLogger("cases").exception("lookup failed")

    written = console.getvalue()
    assert "ValueError" in written
    assert ID_NUMBER not in written


def test_masking_keeps_the_rest_of_the_text():
    text = f"id {ID_NUMBER}, card {CARD}, phone 13900001111, amount 1234.56, case 20260001"

    masked = mask_sensitive(text)

    assert masked == (
        f"id {ID_NUMBER[:3]}{'*' * 13}{ID_NUMBER[-2:]}, card {'*' * 15}3445, "
        "phone 13900001111, amount 1234.56, case 20260001"
    )


@pytest.mark.parametrize(
    "line",
    [
        "Task cases.deliver_notification succeeded in 0.011234567890143s: True",
        "[SMS #notification:94] Withdrawal application TQ2026120500005065 received",
        "transfer ZY2026120505673219 accepted",
        "amount 6222021234567890.55 is not a card",
    ],
)
def test_durations_case_references_and_decimals_stay_as_they_are(line):
    assert mask_sensitive(line) == line


def test_a_card_number_at_the_end_of_a_sentence_is_still_masked():
    assert mask_sensitive("card 6222021234567890.") == "card ************7890."
