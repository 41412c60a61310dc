"""Writes for the charging interface: charges, refunds, flags of 冒名就医, institution keys
and cards.

How a charge stays correct under concurrency:

1. The charge row is inserted first. Its (institution, settlement number) unique constraint
   makes an identical request arriving at the same time wait for this transaction; if this
   one commits, the twin's insert (ON CONFLICT DO NOTHING) inserts nothing and it answers
   with this charge. If this one is refused (rolled back), the twin goes on and is judged on
   its own.
2. Every account that may pay (the patient's own, each holder's) is locked in primary-key
   order, then the patient's bindings, also in pk order. Accounts before bindings is the order
   `accounts.services.account_close` → `coverage_ended` → binding end takes them too.
3. Only then are balances, reservations and quotas read and the split decided; the ledger
   debits (`ledger_debit_many`, on the accounts we hold) cannot fail for lack of money, and
   the balance checks of the database stay the last word.

Before all that, a charge that only the patient's own account may pay, and that it cannot pay
as last committed, is refused without a transaction: ordered before whatever is in flight.
Nothing is ever debited on what was read without the locks.

The statements are prepared and sent in pipelines (`accounts.db`): the server runs them in
the order above, each with its own snapshot, in five round trips for an honest charge.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.crypto import blind_index
from accounts.db import pipeline, prepared_cursor
from accounts.errors import AccountsError
from accounts.idnumbers import normalize_id_number
from accounts.models import (
    Enrollment,
    FundSource,
    InsuredPerson,
    LedgerTransaction,
    PersonalAccount,
    Region,
    Scheme,
    User,
)
from accounts.policy import (
    FamilyPoolCategory,
    ResolvedPolicy,
    policy_from_rows,
    policy_statement,
    policy_statement_where,
)
from accounts.services import clean_amount, ledger_credit, ledger_debit_many
from cases.errors import CaseError
from family_pool.models import (
    Binding,
    Charge,
    FlaggedCharge,
    Institution,
    InsuranceCard,
)
from family_pool.rules import agency_for_region

ZERO = Decimal("0.00")

# Which kind of institution may charge which category; contributions are collected by either.
_CATEGORY_KIND: dict[str, str] = {
    FamilyPoolCategory.HOSPITAL_SELF_PAY: Institution.Kind.HOSPITAL,
    FamilyPoolCategory.PHARMACY: Institution.Kind.PHARMACY,
}


class ChargeRefused(CaseError):
    """A refused charge or refund. `status` is the HTTP status the API answers with."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        reasons: list[str] | None = None,
        status: int = 422,
        flagged: bool = False,
    ) -> None:
        super().__init__(message, code=code, reasons=reasons)
        self.status = status
        self.flagged = flagged


@dataclass(frozen=True)
class Payment:
    """A share of a charge as the answer shows it; `relation` is the binding's, None for the
    patient's own account."""

    relation: str | None
    holder_name: str
    amount: Decimal


@dataclass(frozen=True)
class ChargeResult:
    charge: Charge
    replayed: bool
    # Known when the charge was made now (no need to read its parts back).
    payments: list[Payment] | None = None


# --- institutions and cards ------------------------------------------------------------------


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def institution_issue_key(*, institution: Institution, key: str | None = None) -> str:
    """A new API key for the institution; the old one stops working at once. The key is
    returned to be shown once: only its hash is kept. `key` fixes it (demo data only)."""
    key = key or f"fp_{secrets.token_urlsafe(32)}"
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    institution.api_key_hash = hash_key(key)
    institution.api_key_prefix = key[:10]
    institution.api_key_issued_at = timezone.now()
    institution.save(update_fields=["api_key_hash", "api_key_prefix", "api_key_issued_at"])
    return key


# The institution with its region, in the models' field order (as `Model.from_db` takes them).
_INSTITUTION_COLUMNS = """i.id, i.code, i.name, i.kind, i.region_id, i.active, i.api_key_prefix,
        i.api_key_issued_at, r.code, r.name, r.level, r.parent_id"""
_INSTITUTION_FIELDS = (
    "id",
    "code",
    "name",
    "kind",
    "region_id",
    "active",
    "api_key_prefix",
    "api_key_issued_at",
)
_REGION_FIELDS = ("code", "name", "level", "parent_id")
_INSTITUTION_WIDTH = len(_INSTITUTION_FIELDS) + len(_REGION_FIELDS)

# By its key's hash: every API call asks, so a prepared statement and no ORM query building.
_KEY_SQL = f"""
    SELECT {_INSTITUTION_COLUMNS}
    FROM family_pool_institution i JOIN accounts_region r ON r.code = i.region_id
    WHERE i.api_key_hash = %s AND i.active
"""  # noqa: S608 - constant text


def _institution(row: tuple[Any, ...]) -> Institution:
    split = len(_INSTITUTION_FIELDS)
    # The fields not read (the key's hash) are deferred: read on access like any other.
    institution = Institution.from_db(DEFAULT_DB_ALIAS, _INSTITUTION_FIELDS, row[:split])
    institution.region = Region.from_db(
        DEFAULT_DB_ALIAS, _REGION_FIELDS, row[split:_INSTITUTION_WIDTH]
    )
    return institution


def institution_for_key(key: str) -> Institution | None:
    if not key or len(key) > 200:
        return None
    with prepared_cursor() as cursor:
        cursor.execute(_KEY_SQL, [hash_key(key)])
        row = cursor.fetchone()
    return None if row is None else _institution(row)


@transaction.atomic
def card_issue(*, person: InsuredPerson, number: str = "") -> InsuranceCard:
    number = number.strip().upper() or f"{person.id_number[:6]}{secrets.randbelow(10**10):010d}"
    if InsuranceCard.objects.filter(number=number).exists():
        raise CaseError(_("This card number is already in use."), code="card_taken")
    return InsuranceCard.objects.create(person=person, number=number)


@transaction.atomic
def card_deactivate(*, card: InsuranceCard) -> InsuranceCard:
    card = InsuranceCard.objects.select_for_update().get(pk=card.pk)
    if card.active:
        card.active = False
        card.save(update_fields=["active"])
    return card


# --- charges ---------------------------------------------------------------------------------


def charge_create(
    *,
    institution: Institution,
    id_number: str,
    card_number: str,
    amount: Decimal | str,
    category: str,
    settlement_number: str,
    lookup: ChargeLookup | None = None,
) -> ChargeResult:
    """Pay a patient's cost: their own employee account first, then their bindings in the
    order they chose. All or nothing; a repeated settlement number charges nothing more.
    `lookup` is what `charge_lookup` read for this institution, card and settlement number
    (used only if it was read for exactly those)."""
    value = _clean_amount(amount)
    settlement_number = settlement_number.strip()
    if not settlement_number:
        raise ChargeRefused(_("The settlement number is missing."), code="settlement_missing")
    request = {"id_number": normalize_id_number(id_number), "amount": value, "category": category}
    if (
        lookup is not None
        and lookup.institution.pk == institution.pk
        and lookup.card_number == card_number.strip().upper()
        and lookup.settlement_number == settlement_number
    ):
        facts, policy = lookup.facts, lookup.policy
    else:
        facts, policy = _facts_and_policy(
            institution, card_number.strip().upper(), settlement_number
        )
    if facts is None or facts.done or not facts.card_active:
        # Rare: a retry, an unknown or inactive card: the same checks, one by one.
        done = Charge.objects.filter(institution=institution, settlement_number=settlement_number)
        if (first := done.select_related("patient").first()) is not None:
            return _replay(first, request)
        patient, card = _patient_and_card(institution, request, card_number, settlement_number)
        _check_category(institution, category, policy)
        own = _own_account_id(patient.pk)
        return _charge(
            institution, patient, card.pk, own, value, category, settlement_number, request
        )
    if facts.id_number_index != blind_index(str(request["id_number"])):
        # 冒名就医 (or a typo): looked at closely there, flagged and refused.
        _patient_and_card(institution, request, card_number, settlement_number)
    patient = InsuredPerson(pk=facts.person_id, name=facts.person_name)
    _check_category(institution, category, policy)
    if not facts.bound:
        _refuse_what_the_own_account_cannot_pay(facts, value)
    return _charge(
        institution,
        patient,
        facts.card_id,
        facts.own_account_id,
        value,
        category,
        settlement_number,
        request,
    )


@dataclass(frozen=True)
class _Facts:
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
_FACTS_BY_ID_SQL = _FACTS_SQL.format(institution=_INSTITUTION_COLUMNS, which="i.id = %s")
_FACTS_BY_KEY_SQL = _FACTS_SQL.format(
    institution=_INSTITUTION_COLUMNS, which="i.api_key_hash = %s AND i.active"
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


def _facts_of(row: tuple[Any, ...]) -> _Facts | None:
    card = row[_INSTITUTION_WIDTH:]
    return None if card[0] is None else _Facts(*card)


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


def _facts_and_policy(
    institution: Institution, card_number: str, settlement: str
) -> tuple[_Facts | None, ResolvedPolicy]:
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
    facts: _Facts | None
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
        institution=_institution(row),
        card_number=card_number,
        settlement_number=settlement_number,
        facts=_facts_of(row),
        policy=policy,
    )


def _refuse_what_the_own_account_cannot_pay(facts: _Facts, amount: Decimal) -> None:
    """A charge that only the patient's own account may pay, and that it cannot pay as last
    committed, is refused before any transaction or lock, with the answer the locked path would
    give: as if it had come before every charge or refund still in flight. One that it can pay
    is decided again under the locks (`_charge`), which alone may debit."""
    own = None
    if facts.own_account_id and facts.own_balance is not None and facts.own_status:
        # (all three, or none: the account's row or no row)
        own = PersonalAccount(
            pk=facts.own_account_id, balance=facts.own_balance, status=facts.own_status
        )
    accounts = {own.pk: own} if own else {}
    payers = _Payers(
        own=own,
        bindings=[],
        accounts=accounts,
        names={},
        reserved={pk: facts.own_reserved for pk in accounts},
    )
    payers.refuse_a_blocked_own_account()
    _split(payers, amount)


def _own_account_id(person_id: int) -> int | None:
    return (
        PersonalAccount.objects.filter(
            person_id=person_id,
            enrollment__status=Enrollment.Status.ACTIVE,
            enrollment__scheme=Scheme.EMPLOYEE,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _clean_amount(amount: Decimal | str) -> Decimal:
    try:
        return clean_amount(amount)
    except AccountsError as exc:
        raise ChargeRefused(exc.message, code=exc.code) from None


def _replay(charge: Charge, request: dict[str, object]) -> ChargeResult:
    same = (
        charge.patient.id_number == request["id_number"]
        and charge.amount == request["amount"]
        and charge.category == request["category"]
    )
    if not same:
        raise ChargeRefused(
            _("This settlement number was already used for a different charge."),
            code="settlement_reused",
            status=409,
        )
    return ChargeResult(charge, replayed=True)


def _patient_and_card(
    institution: Institution, request: dict[str, object], card_number: str, settlement: str
) -> tuple[InsuredPerson, InsuranceCard]:
    card = (
        InsuranceCard.objects.select_related("person")
        .filter(number=card_number.strip().upper())
        .first()
    )
    if card is None:
        raise ChargeRefused(_("No medical insurance card has this number."), code="unknown_card")
    # The card's owner is the patient in every honest charge: one query instead of two. The
    # patient is looked up by ID number only when they differ, for the flag.
    patient: InsuredPerson | None = card.person
    if card.person.id_number != request["id_number"]:
        patient = InsuredPerson.objects.filter(id_number=request["id_number"]).first()
    if patient is None or card.person_id != patient.pk:
        # 冒名就医: someone shows a card that is not theirs. Refused, and kept for staff even
        # though the charge itself is rolled back (the flag is its own transaction).
        _flag(institution, request, patient, card, settlement)
        raise ChargeRefused(
            _("The card does not belong to the patient; the charge is refused and reported."),
            code="card_not_patients",
            flagged=True,
        )
    if not card.active:
        raise ChargeRefused(_("This card is no longer valid."), code="card_inactive")
    return patient, card


def _flag(
    institution: Institution,
    request: dict[str, object],
    patient: InsuredPerson | None,
    card: InsuranceCard,
    settlement: str,
) -> FlaggedCharge:
    with transaction.atomic():
        flag, created = FlaggedCharge.objects.get_or_create(
            institution=institution,
            settlement_number=settlement,
            defaults={
                "reason": FlaggedCharge.Reason.CARD_NOT_PATIENTS,
                "patient_id_number": str(request["id_number"])[:18],
                "patient": patient,
                "card": card,
                "category": request["category"],
                "amount": request["amount"],
            },
        )
        if created:
            _notify_flag(flag)
    return flag


def _notify_flag(flag: FlaggedCharge) -> None:
    from cases.notifications import notify

    agency = agency_for_region(flag.institution.region)
    if agency is None:
        return
    subject = _("Card used by someone else at %(institution)s") % {
        "institution": flag.institution.name
    }
    body = _("Settlement %(number)s was refused and needs a look.") % {
        "number": flag.settlement_number
    }
    for user in User.objects.filter(agency=agency, groups__name="supervisor", is_active=True):
        notify(recipient=user, message=(subject, body), channels=("inbox",))


def _check_category(institution: Institution, category: str, policy: ResolvedPolicy) -> None:
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


# Every account that may pay: the holders' accounts of the patient's active bindings, and the
# patient's own (an array of keys, not `a.id = own OR a.id IN (…)`: PostgreSQL reads every
# account for that OR). Parameters: patient, active state, own account.
_PAYER_ACCOUNTS = """ARRAY(
        SELECT b.holder_account_id FROM family_pool_binding b
        WHERE b.relative_id = %s AND b.state = %s) || %s::bigint"""

# The charge row, then those accounts with their holders' names, locked in primary-key order;
# a row per account (one with NULLs when none may pay), none when the charge row was not
# inserted. The lock subquery depends on the inserted row, so it runs after the insert: a
# twin with the same settlement number waits on the unique index for this transaction, then
# inserts nothing and locks nothing (it answers with this charge), or goes on if we rolled
# back.
_CHARGE_AND_LOCK_ACCOUNTS_SQL = f"""
    WITH charge AS (
        INSERT INTO family_pool_charge (institution_id, settlement_number, patient_id, card_id,
            category, amount, status, created_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (institution_id, settlement_number) DO NOTHING
        RETURNING id
    )
    SELECT charge.id, payer.id, payer.balance, payer.status, payer.name
    FROM charge LEFT JOIN LATERAL (
        SELECT a.id, a.balance, a.status, p.name
        FROM accounts_personalaccount a JOIN accounts_insuredperson p ON p.id = a.person_id
        WHERE a.id = ANY({_PAYER_ACCOUNTS}) AND charge.id IS NOT NULL
        ORDER BY a.id
        FOR UPDATE OF a
    ) AS payer ON true
"""  # noqa: S608 - constant text

# Then, in one statement: the patient's active bindings, locked in pk order (quota and spent
# read under the lock), and what the active quotas on each of the accounts reserve
# (family_pool.services.reservations). The sums are read unlocked, in the snapshot this
# statement takes after the account locks were granted: quotas and spending only change under
# those locks. A row with `kind` 'b' is a binding, 'r' a sum (account, reserved).
_LOCK_BINDINGS_SQL = f"""
    WITH locked AS (
        SELECT case_id, holder_account_id, relation, quota, spent, priority
        FROM family_pool_binding
        WHERE relative_id = %s AND state = %s
        ORDER BY case_id
        FOR UPDATE
    )
    SELECT 'b', case_id, holder_account_id, relation, quota, spent, priority FROM locked
    UNION ALL
    SELECT 'r', NULL, holder_account_id, NULL,
        COALESCE(SUM(quota), 0) - COALESCE(SUM(spent), 0), NULL, NULL
    FROM family_pool_binding
    WHERE holder_account_id = ANY({_PAYER_ACCOUNTS}) AND state = %s AND quota IS NOT NULL
    GROUP BY holder_account_id
"""  # noqa: S608 - constant text


@transaction.atomic
def _charge(
    institution: Institution,
    patient: InsuredPerson,
    card_id: int,
    own_id: int | None,
    amount: Decimal,
    category: str,
    settlement_number: str,
    request: dict[str, object],
) -> ChargeResult:
    created_at = timezone.now()
    active = Binding.State.ACTIVE
    # The charge row with the account locks, then the binding locks: sent together, run by
    # the server in this order.
    with prepared_cursor() as accounts, prepared_cursor() as bindings:
        with pipeline():
            accounts.execute(
                _CHARGE_AND_LOCK_ACCOUNTS_SQL,
                [
                    institution.pk,
                    settlement_number,
                    patient.pk,
                    card_id,
                    category,
                    amount,
                    Charge.Status.CHARGED,
                    created_at,
                    patient.pk,
                    active,
                    own_id,
                ],
            )
            bindings.execute(
                _LOCK_BINDINGS_SQL, [patient.pk, active, patient.pk, active, own_id, active]
            )
        rows = accounts.fetchall()
        payers = _payers(
            own_id, [row[1:] for row in rows if row[1] is not None], bindings.fetchall()
        )
    if not rows:
        # The twin request committed first (we waited for it on the unique index). The binding
        # locks taken after that are released with this transaction.
        first = Charge.objects.select_related("patient").get(
            institution=institution, settlement_number=settlement_number
        )
        return _replay(first, request)
    inserted = rows[0]
    charge = Charge(
        pk=inserted[0],
        institution=institution,
        settlement_number=settlement_number,
        patient=patient,
        card_id=card_id,
        category=category,
        amount=amount,
        status=Charge.Status.CHARGED,
        created_at=created_at,
    )
    payers.refuse_a_blocked_own_account()
    plan = _split(payers, amount)
    _pay(charge, plan)
    payments = [
        Payment(
            relation=binding.relation if binding else None,
            holder_name=payers.names[account.pk],
            amount=share,
        )
        for account, binding, share in plan
    ]
    return ChargeResult(charge, replayed=False, payments=payments)


@dataclass
class _Payers:
    own: PersonalAccount | None
    bindings: list[Binding]
    accounts: dict[int, PersonalAccount]
    names: dict[int, str]
    reserved: dict[int, Decimal]

    def refuse_a_blocked_own_account(self) -> None:
        own = self.own
        if own is not None and own.status != PersonalAccount.Status.NORMAL:
            raise ChargeRefused(
                _("The patient's personal account is %(status)s; it refuses every charge.")
                % {"status": own.get_status_display()},
                code=f"account_{own.status}",
            )


def _payers(own_id: int | None, account_rows: list[Any], binding_rows: list[Any]) -> _Payers:
    """The payers from the rows of the two lock statements. A binding (or a sum) on an
    account the first did not lock, one that became active between the two, is left out."""
    accounts = {
        pk: PersonalAccount(pk=pk, balance=balance, status=status)
        for pk, balance, status, _name in account_rows
    }
    names = {pk: name for pk, _b, _s, name in account_rows}
    bindings: list[Binding] = []
    reserved: dict[int, Decimal] = {}
    for kind, pk, account_id, relation, quota, spent, priority in binding_rows:
        if account_id not in accounts:
            continue
        if kind == "r":
            reserved[account_id] = quota
            continue
        bindings.append(
            Binding(
                pk=pk,
                holder_account_id=account_id,
                relation=relation,
                quota=quota,
                spent=spent,
                priority=priority,
            )
        )
    bindings.sort(key=lambda b: (b.priority, b.pk))
    own = accounts.get(own_id) if own_id is not None else None
    return _Payers(own=own, bindings=bindings, accounts=accounts, names=names, reserved=reserved)


def _split(
    payers: _Payers, amount: Decimal
) -> list[tuple[PersonalAccount, Binding | None, Decimal]]:
    """Who pays how much: the own account up to what its quotas leave, then each binding up
    to its remaining quota, or without one up to what the holder's other quotas leave."""
    left = amount
    plan: list[tuple[PersonalAccount, Binding | None, Decimal]] = []
    # The balances as they were locked: the plan must not see its own debits.
    balance = {pk: account.balance for pk, account in payers.accounts.items()}
    if payers.own is not None:
        free = balance[payers.own.pk] - payers.reserved.get(payers.own.pk, ZERO)
        share = min(left, max(free, ZERO))
        if share > 0:
            plan.append((payers.own, None, share))
            left -= share
    for binding in payers.bindings:
        account = payers.accounts[binding.holder_account_id]
        if left <= 0 or account.status != PersonalAccount.Status.NORMAL:
            continue
        if binding.quota is not None:
            free = min(binding.quota - binding.spent, balance[account.pk])
        else:
            free = balance[account.pk] - payers.reserved.get(account.pk, ZERO)
        share = min(left, max(free, ZERO))
        if share > 0:
            plan.append((account, binding, share))
            left -= share
    if left > 0:
        raise _insufficient(payers, amount - left, amount)
    return plan


def _insufficient(payers: _Payers, available: Decimal, amount: Decimal) -> ChargeRefused:
    if payers.own is None and not payers.bindings:
        return ChargeRefused(
            _("The patient has no personal account and no family pool binding to pay from."),
            code="no_account",
        )
    return ChargeRefused(
        _(
            "Not enough money: %(available)s yuan available from the patient's account and "
            "family pool, %(amount)s yuan asked."
        )
        % {"available": available, "amount": amount},
        code="insufficient_balance",
    )


def _pay(charge: Charge, plan: list[tuple[PersonalAccount, Binding | None, Decimal]]) -> None:
    """The ledger debits (one transaction per paying account), the charge parts and the
    quotas spent: two statements sent together, whatever the number of payers."""
    memo = f"{charge.institution.code} {charge.settlement_number}"
    accounts = {account.pk: account for account, _b, _s in plan}
    keys = [f"fp-charge:{charge.pk}:{account.pk}" for account, _b, _s in plan]
    with pipeline():
        try:
            ledger_debit_many(
                accounts=accounts,
                debits=[
                    (account.pk, share, key)
                    for (account, _b, share), key in zip(plan, keys, strict=True)
                ],
                kind=LedgerTransaction.Kind.CHARGE,
                memo=memo,
            )
        except AccountsError as exc:  # cannot happen under our locks; refused, never a 500
            raise ChargeRefused(exc.message, code=exc.code) from None
        with prepared_cursor() as cursor:
            cursor.execute(
                _PARTS_SQL,
                [
                    [account.pk for account, _b, _s in plan],
                    [binding.pk if binding else None for _a, binding, _s in plan],
                    [share for _a, _b, share in plan],
                    keys,
                    charge.pk,
                ],
            )


# The charge parts in the plan's order, each with the ledger transaction of its debit (found
# by its key: no transaction, no part, as the column is NOT NULL), and the quotas they spend.
_PARTS_SQL = """
    WITH part AS (
        SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::text[])
            WITH ORDINALITY AS part(account_id, binding_id, amount, idempotency_key, n)
    ), spend AS (
        UPDATE family_pool_binding AS b SET spent = b.spent + part.amount
        FROM part WHERE b.case_id = part.binding_id
    )
    INSERT INTO family_pool_chargepart (charge_id, account_id, binding_id, amount, position,
        ledger_transaction_id, refund_transaction_id)
    SELECT %s, account_id, binding_id, amount, n - 1,
        (SELECT t.id FROM accounts_ledgertransaction t
            WHERE t.idempotency_key = part.idempotency_key),
        NULL
    FROM part ORDER BY n
"""


# --- refunds ---------------------------------------------------------------------------------


@transaction.atomic
def charge_refund(
    *, institution: Institution, settlement_number: str, refund_number: str
) -> ChargeResult:
    """退费: reverse the whole charge, crediting back every account that paid (fund source
    refund) and giving the quota back. The same refund number again changes nothing."""
    refund_number = refund_number.strip()
    if not refund_number:
        raise ChargeRefused(_("The refund number is missing."), code="refund_missing")
    charge = (
        Charge.objects.select_for_update(of=("self",))
        .select_related("institution", "patient")
        .filter(institution=institution, settlement_number=settlement_number.strip())
        .first()
    )
    if charge is None:
        raise ChargeRefused(
            _("No charge has this settlement number."), code="unknown_charge", status=404
        )
    if charge.status == Charge.Status.REFUNDED:
        if charge.refund_number == refund_number:
            return ChargeResult(charge, replayed=True)
        raise ChargeRefused(
            _("This charge was already refunded under refund number %(number)s.")
            % {"number": charge.refund_number},
            code="already_refunded",
            status=409,
        )
    if Charge.objects.filter(institution=institution, refund_number=refund_number).exists():
        raise ChargeRefused(
            _("This refund number was already used for another charge."),
            code="refund_number_reused",
            status=409,
        )
    _credit_back(charge)
    charge.status = Charge.Status.REFUNDED
    charge.refund_number = refund_number
    charge.refunded_at = timezone.now()
    try:
        with transaction.atomic():
            charge.save(update_fields=["status", "refund_number", "refunded_at"])
    except IntegrityError:
        raise ChargeRefused(
            _("This refund number was already used for another charge."),
            code="refund_number_reused",
            status=409,
        ) from None
    return ChargeResult(charge, replayed=False)


def _credit_back(charge: Charge) -> None:
    parts = list(charge.parts.order_by("position"))
    account_ids = sorted({p.account_id for p in parts})
    list(PersonalAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk"))
    binding_ids = sorted({p.binding_id for p in parts if p.binding_id is not None})
    bindings = {
        b.pk: b
        for b in Binding.objects.select_for_update().filter(pk__in=binding_ids).order_by("pk")
    }
    for part in parts:
        try:
            part.refund_transaction = ledger_credit(
                account=part.account,
                amount=part.amount,
                fund_source=FundSource.REFUND,
                kind=LedgerTransaction.Kind.REFUND,
                memo=f"{charge.institution.code} {charge.settlement_number}",
                idempotency_key=f"fp-refund:{part.pk}",
            )
        except AccountsError as exc:
            raise ChargeRefused(
                _("The refund cannot be credited: %(reason)s Please ask the agency.")
                % {"reason": exc.message},
                code="refund_" + exc.code,
                status=409,
            ) from None
        part.save(update_fields=["refund_transaction"])
        if part.binding_id is not None:
            binding = bindings[part.binding_id]
            binding.spent -= part.amount
            binding.save(update_fields=["spent"])


# --- flags -----------------------------------------------------------------------------------


@transaction.atomic
def flag_review(*, flag: FlaggedCharge, by: User, note: str) -> FlaggedCharge:
    if not by.has_perm("family_pool.review_flaggedcharge"):
        raise CaseError(_("You may not review flagged charges."), code="forbidden")
    if not note.strip():
        raise CaseError(_("Write what was found or done."), code="note_missing")
    flag = FlaggedCharge.objects.select_for_update().get(pk=flag.pk)
    if flag.reviewed_at is not None:
        raise CaseError(_("This flag has already been reviewed."), code="reviewed")
    flag.reviewed_at = timezone.now()
    flag.reviewed_by = by
    flag.review_note = note.strip()
    flag.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    return flag
