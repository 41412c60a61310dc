from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest

from accounts.choices import WithdrawalGround
from accounts.models import FundSource
from accounts.policy import NATIONAL_DEFAULTS
from cases.models import DocumentKind
from withdrawals import rules

D = Decimal
CREDIT, DEBIT = "credit", "debit"


def test_every_ground_needs_the_id_card_and_the_bank_card_besides_its_own_proof():
    for ground in WithdrawalGround.values:
        needed = rules.required_documents(ground)

        assert {
            DocumentKind.ID_CARD_FRONT,
            DocumentKind.ID_CARD_BACK,
            DocumentKind.BANK_CARD,
        } <= set(needed)
        assert rules.GROUND_DOCUMENTS[ground]


def test_serious_illness_needs_the_diagnosis_and_the_expense_list():
    needed = rules.required_documents(WithdrawalGround.SERIOUS_ILLNESS)

    assert DocumentKind.DIAGNOSIS in needed
    assert DocumentKind.EXPENSE_LIST in needed


def test_the_employer_part_is_never_counted_as_individual():
    split = rules.split_balance(
        [(CREDIT, D("300"), FundSource.INDIVIDUAL), (CREDIT, D("700"), FundSource.EMPLOYER)]
    )

    assert split.individual == D("300")
    assert split.employer == D("700")


def test_transfers_in_and_refunds_count_as_individual_money():
    split = rules.split_balance(
        [(CREDIT, D("100"), FundSource.TRANSFER_IN), (CREDIT, D("50"), FundSource.REFUND)]
    )

    assert split.individual == D("150")
    assert split.employer == D("0")


def test_debits_use_the_individual_part_first():
    split = rules.split_balance(
        [
            (CREDIT, D("300"), FundSource.INDIVIDUAL),
            (CREDIT, D("700"), FundSource.EMPLOYER),
            (DEBIT, D("200"), None),
        ]
    )

    assert split.individual == D("100")
    assert split.employer == D("700")


def test_a_debit_beyond_the_individual_part_takes_the_rest_from_the_employer_part():
    split = rules.split_balance(
        [
            (CREDIT, D("300"), FundSource.INDIVIDUAL),
            (CREDIT, D("700"), FundSource.EMPLOYER),
            (DEBIT, D("500"), None),
        ]
    )

    assert split.individual == D("0")
    assert split.employer == D("500")


def test_individual_money_credited_after_a_debit_is_individual_again():
    split = rules.split_balance(
        [
            (CREDIT, D("100"), FundSource.INDIVIDUAL),
            (CREDIT, D("100"), FundSource.EMPLOYER),
            (DEBIT, D("150"), None),
            (CREDIT, D("100"), FundSource.INDIVIDUAL),
        ]
    )

    assert split.individual == D("100")
    assert split.employer == D("50")
    assert split.balance == D("150")


def test_outstanding_costs_and_the_fee_come_off_the_individual_part():
    policy = dataclasses.replace(NATIONAL_DEFAULTS, withdrawal_fee=D("2.00"))
    split = rules.FundSplit(individual=D("500.00"), employer=D("300.00"))

    result = rules.compute(split, policy=policy, outstanding=D("48.00"), exempt_group="")

    assert result.payout == D("450.00")
    assert result.fee == D("2.00")
    assert result.employer_part == D("300.00")
    assert result.balance == D("800.00")


def test_nothing_to_pay_when_debts_exceed_the_individual_part():
    split = rules.FundSplit(individual=D("10.00"), employer=D("300.00"))

    result = rules.compute(split, policy=NATIONAL_DEFAULTS, outstanding=D("20.00"), exempt_group="")

    assert result.payout == D("0.00")
    assert result.nothing_to_pay


@pytest.mark.parametrize(
    ("number", "valid"),
    [("4111111111111111", True), ("6222020200112233446", True), ("4111111111111112", False)],
)
def test_the_luhn_check(number, valid):
    assert rules.luhn_valid(number) is valid


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 15), 6, datetime.date(2026, 7, 15)),
        (datetime.date(2025, 8, 31), 6, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 11, 30), 3, datetime.date(2027, 2, 28)),
        (datetime.date(2026, 3, 31), -1, datetime.date(2026, 2, 28)),
    ],
)
def test_months_are_added_calendar_wise(day, months, expected):
    assert rules.add_months(day, months) == expected
