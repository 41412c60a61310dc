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

# The ledger's models, found here by the rest of the code (explicit re-exports).
from accounts.ledger_models import ClearingAccount as ClearingAccount
from accounts.ledger_models import FundSource as FundSource
from accounts.ledger_models import LedgerEntry as LedgerEntry
from accounts.ledger_models import LedgerTransaction as LedgerTransaction
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

    def get_full_name(self) -> str:
        """Family name first and no space for a Chinese name (陈静), "given family" otherwise:
        Django's "first last" would put 静 before 陈 in the header and on every page."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
            return f"{last}{first}"
        return " ".join(part for part in (first, last) if part)


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
    transfer_intake_days = models.PositiveSmallIntegerField(
        _("transfer acceptance limit (working days)"),
        null=True,
        blank=True,
        help_text=_("How long the origin has to accept or refuse an application."),
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
    withdrawal_payout_days = models.PositiveSmallIntegerField(
        _("withdrawal payout limit (working days)"),
        null=True,
        blank=True,
        help_text=_("How long an approved withdrawal may wait for its payout."),
    )
    emergency_refund_days = models.PositiveSmallIntegerField(
        _("emergency advance refund limit (working days)"), null=True, blank=True
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("reminder before a limit (working days)"), null=True, blank=True
    )
    # 双人复核: from this amount a second member of staff confirms what one prepared.
    second_person_from = models.DecimalField(
        _("amount from which a second person confirms a payment (CNY)"),
        null=True,
        blank=True,
        **MONEY,
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


# Django finds an app's models in its `models` module; the freezes keep theirs with the rest
# of their concern (accounts/freezes/), so this module imports them.
from accounts.freezes.models import AccountFreeze, FreezeDocument  # noqa: E402, F401
