"""退费: the reversal of a whole charge, crediting back every account that paid."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.clearing import clearing_account
from accounts.errors import AccountsError
from accounts.models import ClearingAccount, FundSource, LedgerTransaction, PersonalAccount
from accounts.services import ledger_credit
from family_pool.charging.results import ChargeRefused, ChargeResult
from family_pool.models import Binding, Charge, Institution


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
    # Accounts before bindings, each in pk order: the order a charge locks them in.
    parts = list(charge.parts.order_by("position"))
    account_ids = sorted({p.account_id for p in parts})
    list(PersonalAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk"))
    binding_ids = sorted({p.binding_id for p in parts if p.binding_id is not None})
    bindings = {
        b.pk: b
        for b in Binding.objects.select_for_update().filter(pk__in=binding_ids).order_by("pk")
    }
    # The money comes back out of what the fund owed the institution for the charge.
    owed = clearing_account(
        region_id=charge.institution.region_id, kind=ClearingAccount.Kind.SETTLEMENT
    )
    for part in parts:
        try:
            part.refund_transaction = ledger_credit(
                account=part.account,
                amount=part.amount,
                fund_source=FundSource.REFUND,
                kind=LedgerTransaction.Kind.REFUND,
                counter=owed,
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
