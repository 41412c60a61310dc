"""The ledger: transactions, their entries, and the clearing accounts of the funds that are
the other side of every movement of a personal account (docs/DOMAIN.md §4). Imported by
accounts.models, where the rest of the code finds them."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.money import MONEY


class FundSource(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual contribution")
    EMPLOYER = "employer", _("Employer-funded allocation")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    REFUND = "refund", _("Refund")


class ClearingAccount(models.Model):
    """过渡/待清算: a ledger account of a fund that holds no person's money. The fund is the
    coordination area's (what its agency runs), so the books exist for every area whether or
    not an agency row has been entered for it yet.

    Like a personal account its balance is credits minus debits; unlike one it keeps no stored
    balance: a charge, a payout or a transfer-out of any account of the area posts to it, and
    a running balance column would make each of them wait for the last one's commit. Its
    balance is the sum of its entries (`clearing_balances`, accounts/selectors.py), and each
    kind that stands for open items is reconciled against them (audit/clearing.py)."""

    class Kind(models.TextChoices):
        IN_TRANSIT = "in_transit", _("Money in transit to another fund")
        BANK_PAYOUT = "bank_payout", _("Payouts handed to the bank, not yet confirmed")
        FEES = "fees", _("Fees collected")
        POOLED_FUND = "pooled_fund", _("Pooled fund")
        SETTLEMENT = "settlement", _("Owed to designated institutions")
        CONTRIBUTIONS = "contributions", _("Contributions and allocations received")
        BANK = "bank", _("Fund bank account")

    region = models.ForeignKey(
        "accounts.Region",
        verbose_name=_("coordination area"),
        on_delete=models.PROTECT,
        related_name="clearing_accounts",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # In transit only: the fund the money was sent to, so the report can show it per peer.
    peer = models.ForeignKey(
        "accounts.Region",
        verbose_name=_("peer coordination area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("clearing account")
        verbose_name_plural = _("clearing accounts")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["region", "kind", "peer"],
                nulls_distinct=False,
                name="clearing_one_per_region_kind_peer",
            ),
            models.CheckConstraint(
                condition=Q(kind="in_transit", peer__isnull=False)
                | (~Q(kind="in_transit") & Q(peer__isnull=True)),
                name="clearing_peer_only_in_transit",
            ),
        ]

    def __str__(self) -> str:
        peer = f" → {self.peer.name}" if self.peer is not None else ""
        return f"{self.region.name} · {self.get_kind_display()}{peer}"


class LedgerTransaction(models.Model):
    """One business event moving money; its entries are written together or not at all."""

    class Kind(models.TextChoices):
        CONTRIBUTION = "contribution", _("Contribution")
        ALLOCATION = "allocation", _("Allocation")
        TRANSFER = "transfer", _("Transfer between accounts")
        CHARGE = "charge", _("Family-pool or medical charge")
        REFUND = "refund", _("Refund")
        WITHDRAWAL = "withdrawal", _("Withdrawal payout")
        ADJUSTMENT = "adjustment", _("Adjustment")
        CLEARING = "clearing", _("Between a fund's clearing accounts")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    # Unique through a constraint rather than `unique=True`, which would add a second index
    # for LIKE searches that no one makes (and every ledger write would keep up).
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The earlier transaction this one settles (the bank's confirmation of a payout): one
    # settlement each, so a payout is confirmed once.
    settles = models.OneToOneField(
        "self",
        verbose_name=_("settles"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settled_by",
    )

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="ledger_idempotency_key_unique"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"


class LedgerEntry(models.Model):
    class Direction(models.TextChoices):
        CREDIT = "credit", _("Credit")
        DEBIT = "debit", _("Debit")

    transaction = models.ForeignKey(
        LedgerTransaction,
        verbose_name=_("transaction"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    # Exactly one of the two: a person's account or a clearing account of a fund.
    account = models.ForeignKey(
        "accounts.PersonalAccount",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,  # ledger_account_idx (account, id) begins with it
    )
    clearing = models.ForeignKey(
        ClearingAccount,
        verbose_name=_("clearing account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    fund_source = models.CharField(
        _("fund source"), max_length=12, choices=FundSource.choices, null=True, blank=True
    )
    # Personal accounts only: a clearing account keeps no running balance (ClearingAccount).
    balance_after = models.DecimalField(_("balance after"), null=True, blank=True, **MONEY)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes: ClassVar = [models.Index(fields=["account", "id"], name="ledger_account_idx")]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="ledger_balance_after_not_negative"
            ),
            # The withdrawable part is computed from credit sources, so no credit to a
            # person's account without one.
            models.CheckConstraint(
                condition=Q(direction="debit")
                | Q(fund_source__isnull=False)
                | Q(account__isnull=True),
                name="ledger_credit_has_fund_source",
            ),
            models.CheckConstraint(
                condition=Q(
                    account__isnull=False, clearing__isnull=True, balance_after__isnull=False
                )
                | Q(account__isnull=True, clearing__isnull=False, balance_after__isnull=True),
                name="ledger_entry_one_account",
            ),
        ]

    def __str__(self) -> str:
        sign = "+" if self.direction == self.Direction.CREDIT else "-"
        return f"{sign}{self.amount}"
