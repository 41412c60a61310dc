"""Family pool (职工医保个人账户家庭共济): bindings between an account holder and a close
relative, the institutions that charge them, the patients' insurance cards, and the charges
with the accounts that paid them.

A binding is a case (its primary key is the case row): the review queue, the history and the
documents are the shared ones. Money never sits on a binding: a quota is a reservation on the
holder's account, checked under the account lock whenever anyone spends from it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.choices import FamilyPoolCategory
from accounts.crypto import EncryptedCharField
from accounts.money import MONEY
from cases.steps import declare, internal, may
from cases.turns import Side


class Relation(models.TextChoices):
    """The eight 近亲属 of the Civil Code, always said from the holder's side: "the relative
    is the holder's …"."""

    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Brother or sister")
    PATERNAL_GRANDPARENT = "paternal_grandparent", _("Paternal grandparent")
    MATERNAL_GRANDPARENT = "maternal_grandparent", _("Maternal grandparent")
    PATERNAL_GRANDCHILD = "paternal_grandchild", _("Son's child (paternal grandchild)")
    MATERNAL_GRANDCHILD = "maternal_grandchild", _("Daughter's child (maternal grandchild)")


# The same tie seen from the other person: if the holder is my parent, I am the holder's child.
INVERSE_RELATION: dict[str, str] = {
    Relation.SPOUSE: Relation.SPOUSE,
    Relation.SIBLING: Relation.SIBLING,
    Relation.PARENT: Relation.CHILD,
    Relation.CHILD: Relation.PARENT,
    Relation.PATERNAL_GRANDPARENT: Relation.PATERNAL_GRANDCHILD,
    Relation.PATERNAL_GRANDCHILD: Relation.PATERNAL_GRANDPARENT,
    Relation.MATERNAL_GRANDPARENT: Relation.MATERNAL_GRANDCHILD,
    Relation.MATERNAL_GRANDCHILD: Relation.MATERNAL_GRANDPARENT,
}


class Binding(ConcurrentTransitionMixin, models.Model):
    """绑定: the holder shares their employee personal account with one close relative."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending review")
        # Not the enrollment's "Active" (参保): a binding is in force (已绑定).
        ACTIVE = "active", pgettext_lazy("binding state", "Active")
        ENDED = "ended", _("Ended")
        REJECTED = "rejected", _("Rejected")

    class InitiatedBy(models.TextChoices):
        HOLDER = "holder", _("The account holder")
        RELATIVE = "relative", _("The relative")
        CLERK = "clerk", _("A clerk at the window")

    FINAL_STATES = (State.ENDED, State.REJECTED)
    OPEN_STATES = (State.PENDING, State.ACTIVE)

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="family_binding",
    )
    holder = models.ForeignKey(
        "accounts.InsuredPerson",
        verbose_name=_("account holder"),
        on_delete=models.PROTECT,
        related_name="bindings_as_holder",
    )
    holder_account = models.ForeignKey(
        "accounts.PersonalAccount",
        verbose_name=_("holder's personal account"),
        on_delete=models.PROTECT,
        related_name="family_bindings",
    )
    relative = models.ForeignKey(
        "accounts.InsuredPerson",
        verbose_name=_("relative"),
        on_delete=models.PROTECT,
        related_name="bindings_as_relative",
    )
    relation = models.CharField(
        _("the relative is the holder's"), max_length=30, choices=Relation.choices
    )
    state = FSMField(
        _("state"), default=State.PENDING, protected=True, choices=State.choices, max_length=20
    )
    initiated_by = models.CharField(_("initiated by"), max_length=10, choices=InitiatedBy.choices)
    # A binding the relative asked for spends the holder's money: the holder must say yes.
    holder_consent_at = models.DateTimeField(_("holder agreed at"), null=True, blank=True)
    # None: the relative shares the holder's available balance. A number: a reservation for
    # the whole life of the binding (not refreshed yearly); remaining = quota - spent.
    quota = models.DecimalField(_("quota (yuan)"), null=True, blank=True, **MONEY)
    # Net of refunds, everything ever paid for the relative through this binding.
    spent = models.DecimalField(_("spent (yuan)"), default=Decimal("0.00"), **MONEY)
    # The relative's payment order among their bindings: lower pays first.
    priority = models.PositiveSmallIntegerField(_("payment order"), default=100)
    activated_at = models.DateTimeField(_("active since"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("family-pool binding")
        verbose_name_plural = _("family-pool bindings")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["holder", "relative"],
                condition=Q(state__in=["pending", "active"]),
                name="binding_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(holder=F("relative")), name="binding_not_with_oneself"
            ),
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(quota__gte=0), name="binding_quota_not_negative"
            ),
            models.CheckConstraint(condition=Q(spent__gte=0), name="binding_spent_not_negative"),
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(spent__lte=F("quota")),
                name="binding_spent_within_quota",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["relative", "state", "priority"], name="binding_relative_idx"),
            models.Index(fields=["holder_account", "state"], name="binding_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.holder} → {self.relative} ({self.get_relation_display()})"

    @property
    def remaining_quota(self) -> Decimal | None:
        return None if self.quota is None else self.quota - self.spent

    @property
    def holder_is_relatives(self) -> str:
        """The tie from the relative's side: "the holder is my …"."""
        return str(Relation(INVERSE_RELATION[self.relation]).label)

    @property
    def reserved(self) -> Decimal:
        """What this binding keeps off the holder's own spending right now."""
        if self.state != self.State.ACTIVE or self.quota is None:
            return Decimal("0.00")
        return self.quota - self.spent

    # Each step declared once: its rule (family_pool.permissions), label and what it needs.

    @transition(
        field=state,
        source=State.PENDING,
        target=State.ACTIVE,
        permission=may("family_pool.review"),
        custom=declare(_("Approve"), done=_("The binding was approved."), history=_("Approved")),
    )
    def approve(self, *, at: datetime.datetime) -> None:
        self.activated_at = at

    @transition(
        field=state,
        source=State.PENDING,
        target=State.ACTIVE,
        custom=internal(_("Active (no staff review needed)")),
    )
    def activate(self, *, at: datetime.datetime) -> None:
        self.activated_at = at

    @transition(
        field=state,
        source=State.PENDING,
        target=State.REJECTED,
        permission=may("family_pool.review"),
        custom=declare(
            _("Reject"),
            done=_("The binding was rejected."),
            history=_("Rejected"),
            needs_note=True,
            destructive=True,
            note_label=_("Why the binding is rejected"),
        ),
    )
    def reject(self, *, at: datetime.datetime) -> None:
        self.ended_at = at

    @transition(
        field=state,
        source=State.PENDING,
        target=State.REJECTED,
        permission=may("family_pool.answer"),
        custom=declare(
            _("Decline"),
            done=_("You declined."),
            history=_("Declined by the account holder"),
            destructive=True,
        ),
    )
    def decline(self, *, at: datetime.datetime) -> None:
        self.ended_at = at

    @transition(
        field=state,
        source=State.PENDING,
        target=State.ENDED,
        permission=may("family_pool.withdraw"),
        custom=declare(
            _("Withdraw the request"),
            done=_("The request was withdrawn."),
            history=_("Request withdrawn"),
        ),
    )
    def withdraw(self, *, at: datetime.datetime) -> None:
        self.ended_at = at

    # A person ends an active binding (`family_pool.end`); a pending one they withdraw. The
    # system ends either when coverage ends, as a consequence.
    @transition(
        field=state,
        source=[State.PENDING, State.ACTIVE],
        target=State.ENDED,
        permission=may("family_pool.end"),
        custom=declare(
            _("End the binding"),
            done=_("The binding has ended."),
            history=_("Ended"),
            needs_note=True,
            destructive=True,
            note_label=_("Reason (optional)"),
        ),
    )
    def end(self, *, at: datetime.datetime) -> None:
        self.ended_at = at


class Institution(models.Model):
    """定点医疗机构 / 定点零售药店: a machine client of the charging API."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", _("Designated hospital")
        PHARMACY = "pharmacy", _("Designated retail pharmacy")

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    region = models.ForeignKey(
        "accounts.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="institutions",
    )
    active = models.BooleanField(_("active"), default=True)
    # SHA-256 of the key: keys are long random strings, so a fast hash is enough and lets the
    # key be found by an indexed lookup. The key itself is shown once and never stored.
    api_key_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    api_key_prefix = models.CharField(_("key starts with"), max_length=12, blank=True)
    api_key_issued_at = models.DateTimeField(_("key issued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("designated institution")
        verbose_name_plural = _("designated institutions")
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class InsuranceCard(models.Model):
    """医保卡 (or the electronic 医保码): what the patient shows at the counter."""

    person = models.ForeignKey(
        "accounts.InsuredPerson",
        verbose_name=_("insured person"),
        on_delete=models.PROTECT,
        related_name="insurance_cards",
    )
    number = models.CharField(_("card number"), max_length=30, unique=True)
    active = models.BooleanField(_("active"), default=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("medical insurance card")
        verbose_name_plural = _("medical insurance cards")

    def __str__(self) -> str:
        return self.number


class Charge(models.Model):
    """共济支付: one accepted charge; its settlement number makes a retry harmless."""

    class Status(models.TextChoices):
        CHARGED = "charged", _("Charged")
        REFUNDED = "refunded", _("Refunded")

    # No index of its own on institution, patient (charge) or charge (part): the unique
    # constraints and charge_patient_idx begin with them, and every charge writes each index.
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="charges",
        db_index=False,
    )
    settlement_number = models.CharField(_("settlement number"), max_length=64)
    patient = models.ForeignKey(
        "accounts.InsuredPerson",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="family_pool_charges",
        db_index=False,
    )
    card = models.ForeignKey(
        InsuranceCard, verbose_name=_("card"), on_delete=models.PROTECT, related_name="charges"
    )
    category = models.CharField(_("category"), max_length=30, choices=FamilyPoolCategory.choices)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CHARGED
    )
    created_at = models.DateTimeField(_("charged at"), auto_now_add=True)
    refund_number = models.CharField(_("refund number"), max_length=64, null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("family-pool charge")
        verbose_name_plural = _("family-pool charges")
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["institution", "settlement_number"], name="charge_one_per_settlement"
            ),
            models.UniqueConstraint(
                fields=["institution", "refund_number"], name="charge_refund_number_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="charged", refund_number__isnull=True)
                | Q(status="refunded", refund_number__isnull=False),
                name="charge_refund_matches_status",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["patient", "-created_at"], name="charge_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.institution.code}/{self.settlement_number} {self.amount}"


class ChargePart(models.Model):
    """The share of a charge one account paid: the patient's own, or a holder's through a
    binding. Each part is one ledger transaction."""

    charge = models.ForeignKey(
        Charge,
        verbose_name=_("charge"),
        on_delete=models.PROTECT,
        related_name="parts",
        db_index=False,  # charge_part_one_per_account begins with it
    )
    account = models.ForeignKey(
        "accounts.PersonalAccount",
        verbose_name=_("paying account"),
        on_delete=models.PROTECT,
        related_name="family_pool_parts",
    )
    binding = models.ForeignKey(
        Binding,
        verbose_name=_("binding"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charge_parts",
    )
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    position = models.PositiveSmallIntegerField(_("order"))
    ledger_transaction = models.ForeignKey(
        "accounts.LedgerTransaction",
        verbose_name=_("ledger transaction"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    refund_transaction = models.ForeignKey(
        "accounts.LedgerTransaction",
        verbose_name=_("refund transaction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("charge part")
        verbose_name_plural = _("charge parts")
        ordering: ClassVar = ["charge", "position"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_part_amount_positive"),
            models.UniqueConstraint(
                fields=["charge", "account"], name="charge_part_one_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.charge_id}: {self.amount}"


class FlaggedCharge(models.Model):
    """A refused charge staff must look at: a card shown by someone who does not own it
    (冒名就医)."""

    class Reason(models.TextChoices):
        CARD_NOT_PATIENTS = "card_not_patients", _("Card used by someone else")

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.PROTECT, related_name="flags"
    )
    settlement_number = models.CharField(_("settlement number"), max_length=64)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    patient_id_number = EncryptedCharField(_("patient's ID number as given"), max_length=18)
    patient = models.ForeignKey(
        "accounts.InsuredPerson",
        verbose_name=_("patient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    card = models.ForeignKey(
        InsuranceCard, verbose_name=_("card"), on_delete=models.PROTECT, related_name="flags"
    )
    category = models.CharField(_("category"), max_length=30, choices=FamilyPoolCategory.choices)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    created_at = models.DateTimeField(_("flagged at"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_note = models.TextField(_("review note"), blank=True)

    class Meta:
        verbose_name = _("flagged charge")
        verbose_name_plural = _("flagged charges")
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            # A retried request must not pile up flags: one per settlement number.
            models.UniqueConstraint(
                fields=["institution", "settlement_number"], name="flag_one_per_settlement"
            ),
        ]
        permissions: ClassVar = [("review_flaggedcharge", _("Review flagged charges"))]

    def __str__(self) -> str:
        return f"{self.institution.code}/{self.settlement_number} {self.get_reason_display()}"


def binding_turn(binding: Binding) -> Side | None:
    """Staff act on a pending binding once the holder has agreed (it then waits for their
    review); before that it waits on the holder, and an active binding on nobody."""
    if binding.state == Binding.State.PENDING and binding.holder_consent_at is not None:
        return Side.AGENCY
    return None
