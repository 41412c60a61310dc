"""Region policy: the choices it is made of and its resolution up the region tree."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import models

# The choices a policy is made of live in accounts.choices, which accounts.models imports
# without importing this module (it needs the models); importers name them from here.
from accounts.choices import FamilyPoolCategory, WithdrawalGround
from accounts.db import prepared_cursor
from accounts.models import Region, RegionPolicy


@dataclass(frozen=True)
class ResolvedPolicy:
    transfer_intake_days: int
    transfer_origin_days: int
    transfer_destination_days: int
    transfer_total_days: int
    balance_portable_in_province: bool
    family_pool_online_review: bool
    family_pool_categories: tuple[str, ...]
    withdrawal_grounds: tuple[str, ...]
    withdrawal_fee: Decimal
    withdrawal_fee_exempt_groups: tuple[str, ...]
    withdrawal_waiting_months: int
    withdrawal_review_days: int
    withdrawal_serious_illness_review_days: int
    withdrawal_payout_days: int
    emergency_refund_days: int
    reminder_days_before: int
    second_person_from: Decimal


# The national rules (医保办发〔2021〕43号 and docs/DOMAIN.md) where no region says otherwise.
NATIONAL_DEFAULTS = ResolvedPolicy(
    # Not a national figure: the portal's own default for 已收件 (accept or refuse), which a
    # region may shorten or lengthen.
    transfer_intake_days=3,
    transfer_origin_days=10,
    transfer_destination_days=5,
    transfer_total_days=15,
    balance_portable_in_province=False,
    family_pool_online_review=False,
    family_pool_categories=(
        FamilyPoolCategory.HOSPITAL_SELF_PAY,
        FamilyPoolCategory.PHARMACY,
        FamilyPoolCategory.RESIDENT_CONTRIBUTION,
    ),
    withdrawal_grounds=tuple(WithdrawalGround.values),
    withdrawal_fee=Decimal("0.00"),
    withdrawal_fee_exempt_groups=(),
    withdrawal_waiting_months=0,
    withdrawal_review_days=15,
    withdrawal_serious_illness_review_days=1,
    # The portal's default for 待支付: an approved payout goes out within a working week.
    withdrawal_payout_days=5,
    emergency_refund_days=7,
    reminder_days_before=2,
    second_person_from=Decimal("20000.00"),
)

POLICY_FIELDS = tuple(f.name for f in fields(ResolvedPolicy))


def needs_second_person(policy: ResolvedPolicy, amount: Decimal) -> bool:
    """Whether a payment of this amount is confirmed by a second member of staff (双人复核)."""
    return amount > 0 and amount >= policy.second_person_from


def _is_set(value: Any) -> bool:
    # Empty inherits. The admin saves an array field left blank as [] rather than NULL, and
    # [] must not silently switch off every family-pool category or withdrawal ground.
    return value is not None and value != []


def policy_for(region: Region | None) -> ResolvedPolicy:
    """Each setting from the nearest region up the tree that sets it, else national."""
    with prepared_cursor() as cursor:
        cursor.execute(*policy_statement(region))
        return policy_from_rows(cursor.fetchall())


def policy_from_rows(rows: list[tuple[Any, ...]]) -> ResolvedPolicy:
    """The policy from the rows of `policy_statement`: settings in POLICY_FIELDS order,
    nearest region first."""
    values: dict[str, Any] = {}
    for position, name in enumerate(POLICY_FIELDS):
        value = next((row[position] for row in rows if _is_set(row[position])), None)
        if value is None:
            value = getattr(NATIONAL_DEFAULTS, name)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return ResolvedPolicy(**values)


# The policy settings of the region and each of its ancestors, nearest first, then the
# national row: one prepared statement however deep the region (every page and every charge
# asks for a policy).
_CHAIN_SQL = """
    WITH RECURSIVE chain(code, parent_id, depth) AS (
        SELECT code, parent_id, 0 FROM accounts_region WHERE code = {anchor}
        UNION ALL
        SELECT r.code, r.parent_id, chain.depth + 1
        FROM accounts_region r JOIN chain ON r.code = chain.parent_id
    )
    SELECT {columns} FROM accounts_regionpolicy p LEFT JOIN chain ON chain.code = p.region_id
    WHERE chain.code IS NOT NULL OR p.region_id IS NULL
    ORDER BY chain.depth ASC NULLS LAST, p.id
"""
_NATIONAL_SQL = """
    SELECT {columns} FROM accounts_regionpolicy p WHERE p.region_id IS NULL ORDER BY p.id LIMIT 1
"""


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{name} is not a column of {model.__name__}")
    return str(field.column)


@cache
def _statements(anchor: str = "%s") -> tuple[str, str]:
    columns = ", ".join(f"p.{_column(RegionPolicy, name)}" for name in POLICY_FIELDS)
    return (
        _CHAIN_SQL.format(columns=columns, anchor=anchor),
        _NATIONAL_SQL.format(columns=columns),
    )


def policy_statement(region: Region | None) -> tuple[str, list[str]]:
    """The statement (for `accounts.db.prepared_cursor`) and parameters reading the policy
    rows of the region and its ancestors, for `policy_from_rows`."""
    chain, national = _statements()
    return (national, []) if region is None else (chain, [region.code])


def policy_statement_where(region_code_sql: str, params: list[Any]) -> tuple[str, list[Any]]:
    """The same for the region whose code a query finds (`SELECT region_id FROM … WHERE …`),
    so that the policy can be read in the same round trip as the row naming the region."""
    chain, _national = _statements(f"({region_code_sql})")
    return chain, params
