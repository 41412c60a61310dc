"""What every case has: the working-day calendar, the case row itself, its history,
documents, deadlines with their reminders, and notifications.

Each workflow (transfer, withdrawal, family-pool binding) keeps its own model with its own
state machine, whose primary key is a one-to-one link to `Case`: the staff queue, access
rules, history and deadlines are written once here and work the same for every kind.

The working-day calendar's two tables live in `cases.calendar_models` and are imported here,
so that `cases.models` names every model of the app."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Imported for its side effect: it connects the receivers that announce calendar edits, and
# models.py is the one module Django always imports before any row can be saved.
import cases.signals  # noqa: F401
from cases import registry
from cases.calendar_models import FIRST_YEAR, LAST_YEAR, CalendarOverride, CalendarYear
from cases.figures_models import AgencyFigures
from cases.registry import detail_url
from cases.storage import document_storage

__all__ = ["FIRST_YEAR", "LAST_YEAR", "AgencyFigures", "CalendarOverride", "CalendarYear"]


class CaseKind(models.TextChoices):
    TRANSFER = "transfer", _("Transfer")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    EMERGENCY_REFUND = "emergency_refund", _("Emergency advance refund")
    FAMILY_BINDING = "family_binding", _("Family pool binding")


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    WINDOW = "window", _("At the window")


class Case(models.Model):
    """One application, whatever its kind. `state` mirrors the workflow model's state so that
    the staff queue filters and sorts on one table."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=CaseKind.choices)
    person = models.ForeignKey(
        "accounts.InsuredPerson",
        verbose_name=_("insured person"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applied_cases",
        help_text=_("The applicant's login, when the case was filed by or for one."),
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # A transfer belongs to both ends: the origin is `agency`, the destination this one.
    other_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("second agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="second_cases",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    state = models.CharField(_("state"), max_length=30, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    # Each end of a transfer holds it on its own: this is the destination's assignee.
    other_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to at the second agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="second_assigned_cases",
    )
    # Whose move it is (cases.turns): NULL while it waits on the applicant or on nobody.
    acting_agency = models.ForeignKey(
        "accounts.Agency",
        verbose_name=_("agency to act"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The earliest running deadline, kept by the deadline services so the queue sorts on it.
    due_on = models.DateField(_("due on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["agency", "state", "-created_at"], name="case_agency_queue_idx"),
            models.Index(
                fields=["other_agency", "state", "-created_at"], name="case_other_queue_idx"
            ),
            models.Index(fields=["person", "-created_at"], name="case_person_idx"),
            models.Index(fields=["agency", "due_on"], name="case_agency_due_idx"),
            models.Index(fields=["other_agency", "due_on"], name="case_other_due_idx"),
            # The work queue: open cases an agency can act on now, in queue order, read from
            # the index alone (docs/PERFORMANCE.md, item 3).
            models.Index(
                fields=["acting_agency", "due_on", "-created_at", "-id"],
                include=["kind", "state", "assignee", "other_assignee", "agency"],
                condition=Q(closed_at__isnull=True),
                name="case_turn_queue_idx",
            ),
            # Each colleague's open cases (the supervisor's team load, a clerk's own list),
            # read from the index alone: a colleague holds thousands.
            models.Index(
                fields=["assignee", "agency", "due_on"],
                condition=Q(closed_at__isnull=True),
                name="case_open_holder_idx",
            ),
        ]
        permissions: ClassVar = [
            ("process_case", _("Take in cases, first review, request documents")),
            ("review_case", _("Second review of cases")),
            ("sign_off_case", _("Sign off and reassign cases, receive escalations")),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return detail_url(self)


class CaseEvent(models.Model):
    """One line of a case's history. Rows are only ever inserted: the model refuses to save
    an existing row or delete one, and a database trigger refuses UPDATE and DELETE."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Who acted when no user did: "system" for the sweep, an institution's name, and so on.
    actor_label = models.CharField(_("by (system)"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=40)
    from_state = models.CharField(_("from state"), max_length=30, blank=True)
    to_state = models.CharField(_("to state"), max_length=30, blank=True)
    reason = models.TextField(_("reason or note"), blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering: ClassVar = ["at", "id"]
        indexes: ClassVar = [
            models.Index(fields=["case", "at"], name="case_event_case_idx"),
            # The supervisor's escalations: a few rows among millions of history lines.
            models.Index(
                fields=["case"], name="case_event_escalated_idx", condition=Q(action="escalated")
            ),
            # Each colleague's steps over the last weeks (the dashboard's refresh).
            models.Index(fields=["actor", "at"], name="case_event_actor_at_idx"),
        ]

    def __str__(self) -> str:
        # The action in words; its states' words need the case's kind (a query), so the case
        # page's timeline shows them (cases/templatetags/case_history.py).
        return f"{self.case_id} {registry.action_label(self.action)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("case history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("case history is append-only")


class DocumentKind(models.TextChoices):
    ID_CARD_FRONT = "id_card_front", _("ID card, front")
    ID_CARD_BACK = "id_card_back", _("ID card, back")
    INSURANCE_CERTIFICATE = "insurance_certificate", _("Certificate of insurance")
    KINSHIP_PROOF = "kinship_proof", _("Proof of kinship")
    DIAGNOSIS = "diagnosis", _("Hospital diagnosis certificate")
    EXPENSE_LIST = "expense_list", _("Expense list")
    DEATH_CERTIFICATE = "death_certificate", _("Death certificate")
    INHERITANCE_PROOF = "inheritance_proof", _("Proof of inheritance")
    RESIDENCE_FILING = "residence_filing", _("Filing of residence elsewhere")
    EMIGRATION_PROOF = "emigration_proof", _("Proof of emigration or departure")
    LEAVING_PROOF = "leaving_proof", _("Proof of leaving the employee scheme")
    REFUSAL_LETTER = "refusal_letter", _("Destination agency's refusal of the balance")
    RETIREE_PROOF = "retiree_proof", _("Proof of relocated retirement")
    BANK_CARD = "bank_card", _("Bank card")
    RECEIPTS = "receipts", _("Receipts of advanced costs")
    INFO_TABLE = "info_table", _("Information table")
    OTHER = "other", _("Other")


def _document_path(instance: Document, filename: str) -> str:
    # The stored name never comes from the uploader: no path tricks, no guessable names.
    return f"cases/{instance.case_id}/{uuid.uuid4().hex}{instance.extension}"


class Document(models.Model):
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    file = models.FileField(
        _("file"), upload_to=_document_path, storage=document_storage, max_length=200
    )
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering: ClassVar = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def extension(self) -> str:
        return {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(
            self.content_type, ".bin"
        )


class DeadlineStep(models.TextChoices):
    INTAKE = "intake", _("Acceptance or refusal")
    TRANSFER_ORIGIN = "transfer_origin", _("Transfer out at the origin")
    TRANSFER_DESTINATION = "transfer_destination", _("Transfer in at the destination")
    TRANSFER_TOTAL = "transfer_total", _("Whole transfer")
    REVIEW = "review", _("Review")
    REFUND = "refund", _("Refund")
    PAYOUT = "payout", _("Payout")


class Deadline(models.Model):
    """A statutory limit on one step of a case, in working days. The beat sweep reads only
    rows whose `next_sweep_on` has come, so its cost follows the rows due, not the table."""

    class Status(models.TextChoices):
        OPEN = "open", _("Running")
        PAUSED = "paused", _("Paused (waiting for documents)")
        MET = "met", _("Met")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="deadlines"
    )
    step = models.CharField(_("step"), max_length=30, choices=DeadlineStep.choices)
    working_days = models.PositiveSmallIntegerField(_("working days"))
    started_on = models.DateField(_("started on"))
    due_on = models.DateField(_("due on"))
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_("Computed on a guessed calendar; recomputed when the year is published."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    # Working days left when paused, added back from the day the clock resumes.
    remaining_days = models.PositiveSmallIntegerField(_("working days left"), null=True)
    paused_on = models.DateField(_("paused on"), null=True, blank=True)
    # Since the last resume the clock counts `days_left_on_resume` working days after
    # `resumed_on`; a calendar edit recomputes from there, not from `started_on`, so that the
    # time the clock stood still stays out of the count.
    resumed_on = models.DateField(_("resumed on"), null=True, blank=True)
    days_left_on_resume = models.PositiveSmallIntegerField(
        _("working days left on resuming"), null=True, blank=True
    )
    next_sweep_on = models.DateField(_("next reminder on"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering: ClassVar = ["due_on", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["case", "step"], name="deadline_one_per_case_step"),
        ]
        indexes: ClassVar = [
            # In the sweep's order (day, then id), so that claiming a batch reads the batch's
            # rows and no more (docs/PERFORMANCE.md, item 3).
            models.Index(
                fields=["next_sweep_on", "id"],
                condition=Q(status="open", next_sweep_on__isnull=False),
                name="deadline_sweep_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_step_display()} {self.due_on}"


class DeadlineReminder(models.Model):
    """That a reminder or escalation is due and claimed. The unique constraint, not the
    sweep's care, is what makes each one go out exactly once when sweeps run twice or side by
    side; the fan-out then writes its notifications and sets `notified_at` in one
    transaction, so that each is told once too."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Reminder before the deadline")
        DUE = "due", _("Reminder on the day")
        OVERDUE = "overdue", _("Escalation of an overdue step")

    deadline = models.ForeignKey(
        Deadline, verbose_name=_("deadline"), on_delete=models.PROTECT, related_name="reminders"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    sent_on = models.DateField(_("sent on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set in the transaction that writes the reminder's notifications and history row (or
    # decides there are none to write): NULL while the fan-out still has it to do.
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["deadline", "kind"], name="reminder_once_per_kind"),
        ]
        indexes: ClassVar = [
            # The fan-out's queue: only the few reminders not yet told, in claim order.
            models.Index(
                fields=["id"], condition=Q(notified_at__isnull=True), name="reminder_fan_out_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deadline_id} {self.kind}"


class Notification(models.Model):
    """An outbox row, written in the transaction of the change that causes it and delivered
    afterwards by a task; a row still pending after a broker outage is picked up by beat."""

    class Channel(models.TextChoices):
        INBOX = "inbox", _("In-app inbox")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_outbox_idx",
            ),
            models.Index(
                fields=["recipient", "channel", "-created_at"], name="notification_inbox_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient_id or self.address}: {self.subject}"
