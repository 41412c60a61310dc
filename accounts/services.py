"""Writes for people and accounts.

Money: every change of a balance is a ledger entry written here.

The accounts of one transaction are locked in primary-key order: two opposite moves
between the same pair of accounts then queue behind each other instead of deadlocking.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from accounts.db import prepared_cursor
from accounts.errors import AccountsError
from accounts.idnumbers import normalize_id_number
from accounts.models import (
    ClearingAccount,
    Enrollment,
    FundSource,
    InsuredPerson,
    LedgerEntry,
    LedgerTransaction,
    PersonalAccount,
    SignupCode,
    User,
)
from accounts.money import ZERO, clean_amount
from accounts.signals import CoverageEnd, coverage_ended
from cases.sms import get_sms_sender


@dataclass(frozen=True)
class Leg:
    """One entry of a transaction: on a person's account (`account_id`) or on a clearing
    account of a fund (`clearing_id`), never both."""

    account_id: int | None
    direction: str
    amount: Decimal
    fund_source: str | None = None
    clearing_id: int | None = None


@dataclass(frozen=True)
class ClearingKey:
    """A clearing account named by its fund and kind, for a statement that looks it up
    itself (ledger_debit_many); the account must exist (`clearing_account`)."""

    region_id: str
    kind: str


def _check_fund_source(fund_source: str) -> None:
    if fund_source not in FundSource.values:
        raise AccountsError(_("Unknown fund source."), code="fund_source")


def ledger_credit(
    *,
    account: PersonalAccount,
    amount: Decimal,
    fund_source: str,
    kind: str,
    counter: ClearingAccount,
    by: User | None = None,
    memo: str = "",
    idempotency_key: str | None = None,
) -> LedgerTransaction:
    """Credit a person's account from a clearing account (`counter` is debited the same)."""
    _check_fund_source(fund_source)
    value = clean_amount(amount)
    legs = [
        Leg(None, LedgerEntry.Direction.DEBIT, value, clearing_id=counter.pk),
        Leg(account.pk, LedgerEntry.Direction.CREDIT, value, fund_source),
    ]
    return _post(kind=kind, legs=legs, by=by, memo=memo, idempotency_key=idempotency_key)


def ledger_debit(
    *,
    account: PersonalAccount,
    amount: Decimal,
    kind: str,
    counter: ClearingAccount,
    by: User | None = None,
    memo: str = "",
    idempotency_key: str | None = None,
) -> LedgerTransaction:
    """Debit a person's account into a clearing account (`counter` is credited the same)."""
    value = clean_amount(amount)
    legs = [
        Leg(account.pk, LedgerEntry.Direction.DEBIT, value),
        Leg(None, LedgerEntry.Direction.CREDIT, value, clearing_id=counter.pk),
    ]
    return _post(kind=kind, legs=legs, by=by, memo=memo, idempotency_key=idempotency_key)


def ledger_clear(
    *,
    source: ClearingAccount,
    target: ClearingAccount,
    amount: Decimal,
    kind: str,
    settles: LedgerTransaction | None = None,
    by: User | None = None,
    memo: str = "",
    idempotency_key: str | None = None,
) -> LedgerTransaction:
    """Move money between two clearing accounts (a payout the bank confirmed leaves the
    payout clearing for the fund's bank account); `settles` is the transaction it closes."""
    if source.pk == target.pk:
        raise AccountsError(_("An account cannot pay itself."), code="same_account")
    value = clean_amount(amount)
    legs = [
        Leg(None, LedgerEntry.Direction.DEBIT, value, clearing_id=source.pk),
        Leg(None, LedgerEntry.Direction.CREDIT, value, clearing_id=target.pk),
    ]
    return _post(
        kind=kind, legs=legs, by=by, memo=memo, idempotency_key=idempotency_key, settles=settles
    )


def ledger_move(
    *,
    source: PersonalAccount,
    target: PersonalAccount,
    amount: Decimal,
    fund_source: str,
    kind: str = LedgerTransaction.Kind.TRANSFER,
    by: User | None = None,
    memo: str = "",
    idempotency_key: str | None = None,
) -> LedgerTransaction:
    """Debit one account and credit another by the same amount, in one transaction."""
    if source.pk == target.pk:
        raise AccountsError(_("An account cannot pay itself."), code="same_account")
    _check_fund_source(fund_source)
    value = clean_amount(amount)
    legs = [
        Leg(source.pk, LedgerEntry.Direction.DEBIT, value),
        Leg(target.pk, LedgerEntry.Direction.CREDIT, value, fund_source),
    ]
    return _post(kind=kind, legs=legs, by=by, memo=memo, idempotency_key=idempotency_key)


def ledger_move_split(
    *,
    source: PersonalAccount,
    target: PersonalAccount,
    parts: Sequence[tuple[str, Decimal]],
    by: User | None = None,
    memo: str = "",
    idempotency_key: str | None = None,
) -> LedgerTransaction:
    """Move money between two accounts as one transaction, one credit per fund source, so
    the target keeps the split the source had (`parts`: fund source, amount)."""
    if source.pk == target.pk:
        raise AccountsError(_("An account cannot pay itself."), code="same_account")
    legs = []
    for fund_source, amount in parts:
        _check_fund_source(fund_source)
        value = clean_amount(amount)
        legs.append(Leg(source.pk, LedgerEntry.Direction.DEBIT, value))
        legs.append(Leg(target.pk, LedgerEntry.Direction.CREDIT, value, fund_source))
    return _post(
        kind=LedgerTransaction.Kind.TRANSFER,
        legs=legs,
        by=by,
        memo=memo,
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def _post(
    *,
    kind: str,
    legs: list[Leg],
    by: User | None,
    memo: str,
    idempotency_key: str | None,
    settles: LedgerTransaction | None = None,
) -> LedgerTransaction:
    debits = sum((leg.amount for leg in legs if leg.direction == LedgerEntry.Direction.DEBIT), ZERO)
    if not legs or debits * 2 != sum((leg.amount for leg in legs), ZERO):
        raise RuntimeError("a ledger transaction's debits must equal its credits")
    ids = sorted({leg.account_id for leg in legs if leg.account_id is not None})
    locked = {
        a.pk: a
        for a in PersonalAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    # Checked after the locks: a concurrent twin holding the same key has committed by now.
    if idempotency_key is not None:
        done = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if done is not None:
            return done
    txn = LedgerTransaction.objects.create(
        kind=kind, memo=memo[:200], idempotency_key=idempotency_key, created_by=by, settles=settles
    )
    entries = []
    for leg in legs:
        account = locked[leg.account_id] if leg.account_id is not None else None
        if account is not None:
            _apply(account, leg)
        entries.append(
            LedgerEntry(
                transaction=txn,
                account=account,
                clearing_id=leg.clearing_id,
                direction=leg.direction,
                amount=leg.amount,
                fund_source=leg.fund_source,
                balance_after=account.balance if account is not None else None,
            )
        )
    LedgerEntry.objects.bulk_create(entries)
    for account in locked.values():
        account.save(update_fields=["balance"])
    return txn


def ledger_debit_many(
    *,
    accounts: dict[int, PersonalAccount],
    debits: list[tuple[int, Decimal, str]],
    kind: str,
    counter: ClearingKey,
    memo: str = "",
) -> None:
    """Several debits, each its own ledger transaction carrying the given idempotency key
    (which is how a caller finds it) and crediting the clearing account `counter`, in one
    prepared statement (transactions, entries, balances) however many there are: for a hot
    path such as a charge. It reads no answer, so inside `accounts.db.pipeline()` it costs no
    round trip of its own. The statement finds the clearing account itself; one that does not
    exist leaves its entries without an account, which the database refuses.

    The caller must already hold, in this database transaction, the row locks of every account
    in `accounts` (taken in primary-key order, with balance and status read under the lock),
    and each `(account id, amount, idempotency key)` must carry a key that cannot exist yet
    (derived from a row inserted in this transaction): unlike `_post` it neither locks nor
    looks the key up again. The rules of `_apply` hold (no debit from a closed or frozen
    account, none beyond the balance), and the database checks stay the last word."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_debit_many runs inside the caller's transaction")
    amounts = [clean_amount(amount) for _a, amount, _k in debits]
    balances_after = []
    for (account_id, _v, _k), amount in zip(debits, amounts, strict=True):
        account = accounts[account_id]
        _apply(account, Leg(account_id, LedgerEntry.Direction.DEBIT, amount))
        balances_after.append(account.balance)
    if not debits:
        return
    created_at = timezone.now()
    changed = sorted({account_id for account_id, _v, _k in debits})
    with prepared_cursor() as cursor:
        cursor.execute(
            _DEBIT_MANY_SQL,
            [
                [account_id for account_id, _v, _k in debits],
                amounts,
                balances_after,
                [key for _a, _v, key in debits],
                kind,
                memo[:200],
                created_at,
                LedgerEntry.Direction.DEBIT,
                created_at,
                counter.region_id,
                counter.kind,
                LedgerEntry.Direction.CREDIT,
                created_at,
                changed,
                [accounts[account_id].balance for account_id in changed],
            ],
        )


# The statement of ledger_debit_many: one transaction and one entry per debit, in the order
# given (entry ids follow it, as the running balance of an account debited twice does), the
# clearing account's credit in each transaction, and each account's final balance.
_DEBIT_MANY_SQL = """
    WITH debit AS (
        SELECT * FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::text[])
            WITH ORDINALITY AS debit(account_id, amount, balance_after, idempotency_key, n)
    ), txn AS (
        INSERT INTO accounts_ledgertransaction (kind, memo, idempotency_key, created_at,
            created_by_id)
        SELECT %s, %s, idempotency_key, %s, NULL FROM debit ORDER BY n
        RETURNING id, idempotency_key
    ), entry AS (
        INSERT INTO accounts_ledgerentry (transaction_id, account_id, direction, amount,
            fund_source, balance_after, created_at)
        SELECT txn.id, debit.account_id, %s, debit.amount, NULL, debit.balance_after, %s
        FROM debit JOIN txn USING (idempotency_key) ORDER BY debit.n
    ), counter AS (
        INSERT INTO accounts_ledgerentry (transaction_id, clearing_id, direction, amount,
            fund_source, balance_after, created_at)
        SELECT txn.id,
            (SELECT c.id FROM accounts_clearingaccount c
                WHERE c.region_id = %s AND c.kind = %s AND c.peer_id IS NULL),
            %s, debit.amount, NULL, NULL, %s
        FROM debit JOIN txn USING (idempotency_key) ORDER BY debit.n
    )
    UPDATE accounts_personalaccount AS a SET balance = final.balance
    FROM unnest(%s::bigint[], %s::numeric[]) AS final(id, balance)
    WHERE a.id = final.id
"""


def _apply(account: PersonalAccount, leg: Leg) -> None:
    if account.status == PersonalAccount.Status.CLOSED:
        raise AccountsError(_("The personal account is closed."), code="account_closed")
    if leg.direction == LedgerEntry.Direction.CREDIT:
        account.balance += leg.amount
        return
    if account.status == PersonalAccount.Status.FROZEN:
        raise AccountsError(_("The personal account is frozen."), code="account_frozen")
    if account.balance < leg.amount:
        raise AccountsError(
            _("The balance (%(balance)s yuan) does not cover %(amount)s yuan.")
            % {"balance": account.balance, "amount": leg.amount},
            code="insufficient_balance",
        )
    account.balance -= leg.amount


# --- Accounts and enrollments ending ---------------------------------------------------


@transaction.atomic
def account_close(
    *, account: PersonalAccount, by: User | None, reason: str = "", announce: bool = True
) -> PersonalAccount:
    """Close (注销) a personal account with nothing left on it; every binding of the person
    ends with it (coverage_ended). `announce=False` for a caller that sends coverage_ended
    itself with a more precise reason (a completed transfer), so it goes out once."""
    account = PersonalAccount.objects.select_for_update().get(pk=account.pk)
    if account.status == PersonalAccount.Status.CLOSED:
        return account
    if account.balance != 0:
        raise AccountsError(
            _("An account can only be closed once its balance is paid out."), code="not_empty"
        )
    account.status = PersonalAccount.Status.CLOSED
    account.closed_at = timezone.now()
    account.save(update_fields=["status", "closed_at"])
    if announce:
        coverage_ended.send(
            sender=PersonalAccount, person=account.person, reason=CoverageEnd.ACCOUNT_CLOSED, by=by
        )
    return account


@transaction.atomic
def enrollment_end(
    *,
    enrollment: Enrollment,
    status: str,
    by: User | None,
    on: datetime.date | None = None,
    coverage_reason: str | None = None,
) -> Enrollment:
    """Stop (停保) or close (注销) an enrollment; the person's bindings end with it.
    `coverage_reason` overrides the reason announced (a transfer closes the origin
    enrollment and says "transferred")."""
    if status not in (Enrollment.Status.STOPPED, Enrollment.Status.CLOSED):
        raise AccountsError(_("An enrollment can only be stopped or closed."), code="status")
    enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if enrollment.status == status:
        return enrollment
    enrollment.status = status
    enrollment.end_date = max(on or timezone.localdate(), enrollment.start_date)
    enrollment.save(update_fields=["status", "end_date"])
    reason = coverage_reason or (
        CoverageEnd.ENROLLMENT_STOPPED
        if status == Enrollment.Status.STOPPED
        else CoverageEnd.ENROLLMENT_CLOSED
    )
    coverage_ended.send(sender=Enrollment, person=enrollment.person, reason=reason, by=by)
    return enrollment


# --- Applicant sign-up -------------------------------------------------------------------

RESEND_AFTER = datetime.timedelta(seconds=60)


def _hash_code(signup_person_id: int, code: str) -> str:
    return salted_hmac("accounts.signup", f"{signup_person_id}:{code}").hexdigest()


@transaction.atomic
def signup_start(*, id_number: str, name: str, mobile: str) -> SignupCode:
    """Match the applicant to an insured person on record and text them a one-time code."""
    person = InsuredPerson.objects.filter(id_number=normalize_id_number(id_number)).first()
    if person is None or person.name != name.strip() or person.phone != mobile.strip():
        # One message for every mismatch: the page must not confirm whose ID number it is.
        raise AccountsError(
            _(
                "No insured person on record matches this ID number, name and mobile number. "
                "Check them, or ask your agency to update the mobile number on record."
            ),
            code="no_match",
        )
    if User.objects.filter(person=person).exists():
        raise AccountsError(
            _("This person already has an account; please log in."), code="registered"
        )
    if User.objects.filter(mobile=person.phone).exists():
        raise AccountsError(
            _("This mobile number is already used by another account; ask your agency."),
            code="mobile_taken",
        )
    now = timezone.now()
    recent = person.signup_codes.filter(created_at__gt=now - RESEND_AFTER).exists()
    if recent:
        raise AccountsError(
            _("A code was sent less than a minute ago; please wait before asking again."),
            code="too_soon",
        )
    code = f"{secrets.randbelow(10**6):06d}"
    signup = SignupCode.objects.create(
        person=person,
        mobile=person.phone,
        code_hash=_hash_code(person.pk, code),
        expires_at=now + datetime.timedelta(seconds=settings.OTP_TTL_SECONDS),
    )
    text = _(
        "Your sign-up code for the medical insurance portal is %(code)s. "
        "It expires in %(minutes)d minutes. Never tell anyone this code."
    ) % {
        "code": code,
        "minutes": settings.OTP_TTL_SECONDS // 60,
    }
    transaction.on_commit(
        lambda: get_sms_sender().send(
            mobile=person.phone, text=text, idempotency_key=f"signup-code:{signup.pk}"
        )
    )
    return signup


def signup_confirm(*, signup_id: int, code: str, password: str) -> User:
    """Check the code (a wrong guess is counted even though the call fails) and create the
    applicant's user."""
    user, error = _signup_confirm_locked(signup_id=signup_id, code=code.strip(), password=password)
    if error is not None:
        raise error
    assert user is not None  # noqa: S101 - one of the two is always set
    return user


@transaction.atomic
def _signup_confirm_locked(
    *, signup_id: int, code: str, password: str
) -> tuple[User | None, AccountsError | None]:
    signup = (
        SignupCode.objects.select_for_update().select_related("person").filter(pk=signup_id).first()
    )
    if signup is None or signup.used_at is not None:
        return None, AccountsError(_("This code has been used; please start again."), code="used")
    if signup.expires_at <= timezone.now() or signup.attempts >= settings.OTP_MAX_ATTEMPTS:
        return None, AccountsError(
            _("This code has expired; please ask for a new one."), code="expired"
        )
    if not constant_time_compare(signup.code_hash, _hash_code(signup.person_id, code)):
        signup.attempts += 1
        signup.save(update_fields=["attempts"])
        return None, AccountsError(_("The code is not correct."), code="wrong_code")
    if User.objects.filter(person=signup.person).exists():
        return None, AccountsError(
            _("This person already has an account; please log in."), code="registered"
        )
    user = User(
        username=f"applicant-{signup.person_id}", mobile=signup.mobile, person=signup.person
    )
    user.set_password(password)
    user.save()
    signup.used_at = timezone.now()
    signup.save(update_fields=["used_at"])
    return user, None
