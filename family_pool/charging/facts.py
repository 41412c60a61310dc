"""What a charge reads before its transaction: the card with its owner, whether the
settlement number is taken, the owner's employee account as last committed, and the policy of
the institution's region, which says what the family pool pays for there.

Nothing read here is debited on: the locked charge (`family_pool.charging.locked`) reads the
balances again under its locks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from accounts.choices import FamilyPoolCategory
from accounts.db import pipeline, prepared_cursor
from accounts.models import Enrollment, Scheme
from accounts.policy import (
    ResolvedPolicy,
    policy_from_rows,
    policy_statement,
    policy_statement_where,
)
from family_pool.charging.institutions import (
    INSTITUTION_COLUMNS,
    INSTITUTION_WIDTH,
    hash_key,
    institution_of_row,
)
from family_pool.charging.results import ChargeRefused
from family_pool.models import Binding, Institution

# Which kind of institution may charge which category; contributions are collected by either.
_CATEGORY_KIND: dict[str, str] = {
    FamilyPoolCategory.HOSPITAL_SELF_PAY: Institution.Kind.HOSPITAL,
    FamilyPoolCategory.PHARMACY: Institution.Kind.PHARMACY,
}


@dataclass(frozen=True)
class Facts:
    card_id: int
    card_active: bool
    person_id: int
    person_name: str
    id_number_index: str
    done: bool
    # The patient's own employee account as committed, read without a lock, and whether any
    # active binding may pay for the patient.
    own_account_id: int | None
    own_balance: Decimal | None
    own_status: str | None
    own_reserved: Decimal
    bound: bool


# The institution with its region, and the card with its owner, whether the settlement number
# is taken, the owner's employee account with what its quotas reserve, and whether a binding
# pays for the owner (NULLs when no card has the number), in one statement: the honest charge
# needs nothing else before its transaction. Parameters: active (binding state) twice,
# settlement number, active (enrollment), employee, card number, then the institution's id or
# its key's hash.
_FACTS_SQL = """
    SELECT {institution}, card.*
    FROM family_pool_institution i JOIN accounts_region r ON r.code = i.region_id
    LEFT JOIN LATERAL (
        SELECT c.id AS card_id, c.active AS card_active, p.id AS person_id,
            p.name AS person_name, p.id_number_index,
            EXISTS (SELECT 1 FROM family_pool_charge ch
                WHERE ch.institution_id = i.id AND ch.settlement_number = %s) AS done,
            own.id AS own_account_id, own.balance AS own_balance, own.status AS own_status,
            (SELECT COALESCE(SUM(b.quota), 0) - COALESCE(SUM(b.spent), 0)
                FROM family_pool_binding b
                WHERE b.holder_account_id = own.id AND b.state = %s AND b.quota IS NOT NULL
            ) AS own_reserved,
            EXISTS (SELECT 1 FROM family_pool_binding b
                WHERE b.relative_id = p.id AND b.state = %s) AS bound
        FROM family_pool_insurancecard c JOIN accounts_insuredperson p ON p.id = c.person_id
        LEFT JOIN LATERAL (
            SELECT a.id, a.balance, a.status FROM accounts_personalaccount a
            JOIN accounts_enrollment e ON e.id = a.enrollment_id
            WHERE a.person_id = p.id AND e.status = %s AND e.scheme = %s
            ORDER BY a.id LIMIT 1
        ) AS own ON true
        WHERE c.number = %s
    ) AS card ON true
    WHERE {which}
"""
_FACTS_BY_ID_SQL = _FACTS_SQL.format(institution=INSTITUTION_COLUMNS, which="i.id = %s")
_FACTS_BY_KEY_SQL = _FACTS_SQL.format(
    institution=INSTITUTION_COLUMNS, which="i.api_key_hash = %s AND i.active"
)
# The region whose policy applies to a key's charges.
_REGION_OF_KEY = "SELECT region_id FROM family_pool_institution WHERE api_key_hash = %s AND active"


def _facts_params(card_number: str, settlement: str, institution: int | str) -> list[str | int]:
    active = Binding.State.ACTIVE
    return [
        settlement,
        active,
        active,
        Enrollment.Status.ACTIVE,
        Scheme.EMPLOYEE,
        card_number,
        institution,
    ]


def _facts_of(row: tuple[Any, ...]) -> Facts | None:
    card = row[INSTITUTION_WIDTH:]
    return None if card[0] is None else Facts(*card)


def _read_facts(
    facts_sql: str, params: list[str | int], policy: tuple[str, list[Any]]
) -> tuple[tuple[Any, ...] | None, ResolvedPolicy]:
    """The row of a facts statement and the policy its institution's region has, sent
    together: one round trip."""
    with prepared_cursor() as facts, prepared_cursor() as chain:
        with pipeline():
            facts.execute(facts_sql, params)
            chain.execute(*policy)
        return facts.fetchone(), policy_from_rows(chain.fetchall())


def facts_and_policy(
    institution: Institution, card_number: str, settlement: str
) -> tuple[Facts | None, ResolvedPolicy]:
    """The facts of the card and the policy of the institution's region, in one round trip."""
    row, policy = _read_facts(
        _FACTS_BY_ID_SQL,
        _facts_params(card_number, settlement, institution.pk),
        policy_statement(institution.region),
    )
    if row is None:  # the institution was deleted meanwhile
        raise Institution.DoesNotExist
    return _facts_of(row), policy


@dataclass(frozen=True)
class ChargeLookup:
    """What a charge request needs before its transaction, read together with the key of the
    institution that sends it (`charge_lookup`), for `charge_create`."""

    institution: Institution
    card_number: str
    settlement_number: str
    facts: Facts | None
    policy: ResolvedPolicy


def charge_lookup(key: str, card_number: str, settlement_number: str) -> ChargeLookup | None:
    """The institution of the key (None for no active institution), with the facts of the
    card and the policy of the institution's region, in one round trip: the API's
    authentication of a charge request and the reads before its transaction at once."""
    if not key or len(key) > 200:
        return None
    card_number, settlement_number = card_number.strip().upper(), settlement_number.strip()
    key_hash = hash_key(key)
    row, policy = _read_facts(
        _FACTS_BY_KEY_SQL,
        _facts_params(card_number, settlement_number, key_hash),
        policy_statement_where(_REGION_OF_KEY, [key_hash]),
    )
    if row is None:
        return None
    return ChargeLookup(
        institution=institution_of_row(row),
        card_number=card_number,
        settlement_number=settlement_number,
        facts=_facts_of(row),
        policy=policy,
    )


def check_category(institution: Institution, category: str, policy: ResolvedPolicy) -> None:
    """Refuses a category the region's policy does not pay for, or that this kind of
    institution cannot charge, with every reason at once."""
    reasons = []
    if category not in FamilyPoolCategory.values:
        reasons.append(_("Unknown payment category."))
    elif category not in policy.family_pool_categories:
        reasons.append(
            _("The family pool does not pay for “%(category)s” in %(region)s.")
            % {"category": FamilyPoolCategory(category).label, "region": institution.region.name}
        )
    kind = _CATEGORY_KIND.get(category)
    if kind is not None and kind != institution.kind:
        reasons.append(
            _("A %(kind)s cannot charge “%(category)s”.")
            % {
                "kind": institution.get_kind_display(),
                "category": FamilyPoolCategory(category).label,
            }
        )
    if reasons:
        raise ChargeRefused(reasons[0], code="category_not_allowed", reasons=reasons)
