"""The charge under its locks: the charge row, the locks on every account and binding that may
pay, the split and the debits, in one transaction.

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
as last committed, is refused without a transaction: ordered before whatever is in flight
(`family_pool.charging.payers.refuse_what_the_own_account_cannot_pay`). Nothing is ever
debited on what was read without the locks.

The statements are prepared and sent in pipelines (`accounts.db`): the server runs them in
the order above, each with its own snapshot, in five round trips for an honest charge.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.db import pipeline, prepared_cursor
from accounts.errors import AccountsError
from accounts.models import ClearingAccount, InsuredPerson, LedgerTransaction, PersonalAccount
from accounts.services import ClearingKey, ledger_debit_many
from family_pool.charging.payers import Payers, Plan, split
from family_pool.charging.results import ChargeRefused, ChargeResult, Payment, replay
from family_pool.models import Binding, Charge, Institution

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
def charge_locked(
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
        return replay(first, request)
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
    plan = split(payers, amount)
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


def _payers(own_id: int | None, account_rows: list[Any], binding_rows: list[Any]) -> Payers:
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
    return Payers(own=own, bindings=bindings, accounts=accounts, names=names, reserved=reserved)


def _pay(charge: Charge, plan: Plan) -> None:
    """The ledger debits (one transaction per paying account, each crediting what the fund
    owes the institution, its settlement clearing), the charge parts and the quotas spent:
    two statements sent together, whatever the number of payers."""
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
                counter=ClearingKey(charge.institution.region_id, ClearingAccount.Kind.SETTLEMENT),
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
