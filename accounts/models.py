"""People, places and money: regions, agencies, staff and applicants, insured persons,
enrollments, personal accounts and their ledger, and region policy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import FamilyPoolCategory, WithdrawalGround
from accounts.crypto import BlindIndexedCharField
from accounts.idnumbers import parse_id_number, validate_id_number
from accounts.money import MONEY


class Region(models.Model):
    """A GB/T 2260 administrative division."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        PREFECTURE = "prefecture", _("Prefecture")
        COUNTY = "county", _("County")

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def province_code(self) -> str:
        return self.code[:2]


class Agency(models.Model):
    """A medical insurance agency (经办机构) running the fund of one coordination area."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region,
        verbose_name=_("coordination area"),
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        return self.name


class InsuredPerson(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    name = models.CharField(_("name"), max_length=50)
    # Encrypted at rest; looked up through the keyed blind index below (accounts.crypto).
    id_number = BlindIndexedCharField(
        _("ID number"),
        max_length=18,
        validators=[validate_id_number],
        index_field="id_number_index",
    )
    id_number_index = models.CharField(
        _("ID number index"), max_length=64, unique=True, null=True, editable=False
    )
    birth_date = models.DateField(_("birth date"), editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    phone = models.CharField(_("mobile number"), max_length=11, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("insured person")
        verbose_name_plural = _("insured persons")
        permissions: ClassVar = [
            ("reveal_id_number", _("Can reveal full ID numbers")),
            ("export_personal_data", _("Can export case lists with personal data")),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        # Birth date and sex are facts of the ID number; storing them keeps queries simple,
        # deriving them here keeps them from ever disagreeing with it.
        parsed = parse_id_number(self.id_number)
        self.id_number, self.birth_date, self.sex = parsed.number, parsed.birth_date, parsed.sex
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def validate_unique(self, exclude: Any = None) -> None:
        # Uniqueness lives on the blind index, which forms do not see: check it here so a
        # duplicate is a form error, not a database error.
        super().validate_unique(exclude)
        if exclude and "id_number" in exclude:
            return
        twins = InsuredPerson.objects.filter(id_number=self.id_number).exclude(pk=self.pk)
        if self.id_number and twins.exists():
            raise ValidationError(
                {"id_number": _("An insured person with this ID number already exists.")}
            )


class User(AbstractUser):
    """Staff sign in with a username; applicants with their ID number or mobile number."""

    mobile = models.CharField(_("mobile number"), max_length=11, null=True, blank=True, unique=True)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    person = models.OneToOneField(
        InsuredPerson,
        verbose_name=_("insured person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="user",
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(agency__isnull=True) | Q(person__isnull=True),
                name="user_staff_or_applicant_not_both",
            ),
        ]

    @property
    def is_applicant(self) -> bool:
        return self.person_id is not None


class Scheme(models.TextChoices):
    EMPLOYEE = "employee", _("Employee basic medical insurance")
    RESIDENT = "resident", _("Resident basic medical insurance")


class Enrollment(models.Model):
    """参保关系: a person insured under one scheme in one coordination area."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        STOPPED = "stopped", _("Stopped")
        CLOSED = "closed", _("Closed")

    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("coordination area"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    scheme = models.CharField(_("scheme"), max_length=10, choices=Scheme.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    contribution_months = models.PositiveIntegerField(_("contribution months"), default=0)
    in_arrears = models.BooleanField(_("in arrears"), default=False)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints: ClassVar = [
            # Double enrollment (重复参保) is not allowed: at most one active relationship.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="active"),
                name="enrollment_one_active_per_person",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="enrollment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_scheme_display()} · {self.region.name}"


class PersonalAccount(models.Model):
    """个人账户 of an employee-scheme enrollment. The balance is the sum of its ledger entries."""

    class Status(models.TextChoices):
        NORMAL = "normal", _("Normal")
        FROZEN = "frozen", _("Frozen")
        CLOSED = "closed", _("Closed")

    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    enrollment = models.OneToOneField(
        Enrollment,
        verbose_name=_("enrollment"),
        on_delete=models.PROTECT,
        related_name="account",
    )
    balance = models.DecimalField(_("balance"), default=Decimal("0.00"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NORMAL
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal account")
        verbose_name_plural = _("personal accounts")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="account_balance_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.balance}"


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
        IN_TRANSIT = "in_transit", _("Money in transit to another fund (在途资金)")
        BANK_PAYOUT = "bank_payout", _("Payouts handed to the bank, not yet confirmed")
        FEES = "fees", _("Fees collected")
        POOLED_FUND = "pooled_fund", _("Pooled fund (统筹基金)")
        SETTLEMENT = "settlement", _("Owed to designated institutions (待结算)")
        CONTRIBUTIONS = "contributions", _("Contributions and allocations received")
        BANK = "bank", _("Fund bank account")

    region = models.ForeignKey(
        Region,
        verbose_name=_("coordination area"),
        on_delete=models.PROTECT,
        related_name="clearing_accounts",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # In transit only: the fund the money was sent to, so the report can show it per peer.
    peer = models.ForeignKey(
        Region,
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
        User,
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
        PersonalAccount,
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


class RegionPolicy(models.Model):
    """What docs/DOMAIN.md calls region policy. Empty fields inherit from the parent region,
    then from the national row (no region), then from the built-in national defaults."""

    region = models.OneToOneField(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="policy",
        help_text=_("Leave empty for the national default."),
    )
    transfer_origin_days = models.PositiveSmallIntegerField(
        _("transfer-out limit (working days)"), null=True, blank=True
    )
    transfer_destination_days = models.PositiveSmallIntegerField(
        _("transfer-in limit (working days)"), null=True, blank=True
    )
    transfer_total_days = models.PositiveSmallIntegerField(
        _("whole transfer limit (working days)"), null=True, blank=True
    )
    balance_portable_in_province = models.BooleanField(
        _("balances portable within the province"),
        null=True,
        blank=True,
        help_text=_("Intra-province transfers move the relationship but no money."),
    )
    family_pool_online_review = models.BooleanField(
        _("online family-pool bindings need staff review"), null=True, blank=True
    )
    family_pool_categories = ArrayField(
        models.CharField(max_length=30, choices=FamilyPoolCategory.choices),
        verbose_name=_("family-pool payment categories allowed"),
        null=True,
        blank=True,
    )
    withdrawal_grounds = ArrayField(
        models.CharField(max_length=30, choices=WithdrawalGround.choices),
        verbose_name=_("withdrawal grounds allowed"),
        null=True,
        blank=True,
    )
    withdrawal_fee = models.DecimalField(
        _("fee per withdrawal (CNY)"), null=True, blank=True, **MONEY
    )
    withdrawal_fee_exempt_groups = ArrayField(
        models.CharField(max_length=40),
        verbose_name=_("groups exempt from the fee"),
        null=True,
        blank=True,
    )
    withdrawal_waiting_months = models.PositiveSmallIntegerField(
        _("waiting period after leaving the scheme (months)"), null=True, blank=True
    )
    withdrawal_review_days = models.PositiveSmallIntegerField(
        _("withdrawal review limit (working days)"), null=True, blank=True
    )
    withdrawal_serious_illness_review_days = models.PositiveSmallIntegerField(
        _("serious-illness withdrawal review limit (working days)"), null=True, blank=True
    )
    emergency_refund_days = models.PositiveSmallIntegerField(
        _("emergency advance refund limit (working days)"), null=True, blank=True
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("reminder before a limit (working days)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("region policy")
        verbose_name_plural = _("region policies")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["region"], nulls_distinct=False, name="policy_one_per_region"
            ),
        ]

    def __str__(self) -> str:
        return str(self.region) if self.region_id else str(_("National default"))


class SignupCode(models.Model):
    """A one-time code sent by SMS to confirm that an applicant owns the mobile on record."""

    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.CASCADE,
        related_name="signup_codes",
    )
    mobile = models.CharField(_("mobile number"), max_length=11)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-up code")
        verbose_name_plural = _("sign-up codes")
        indexes: ClassVar = [
            models.Index(fields=["person", "-created_at"], name="signup_person_idx")
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.created_at:%Y-%m-%d %H:%M}"
