from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from accounts.choices import WithdrawalGround
from accounts.forms import AmountField, CardNumberCheck, IdNumberField, MobileField
from cases.documents import check_upload
from cases.errors import CaseError
from cases.models import DocumentKind
from withdrawals import rules

DOC_PREFIX = "doc_"


class DocumentField(forms.FileField):
    """A document checked by its content as soon as the form is read, so that a bad file is
    reported next to its field before anything is stored."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if isinstance(upload, UploadedFile):
            try:
                check_upload(upload)
            except CaseError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
            upload.seek(0)
        return upload


class GroundForm(forms.Form):
    ground = forms.ChoiceField(label=_("Ground"), widget=forms.RadioSelect)
    fee_exempt_group = forms.ChoiceField(
        label=_("I belong to a group exempt from the fee"), required=False
    )
    deceased_id_number = IdNumberField(
        label=_("ID number of the deceased insured person"), required=False
    )
    deceased_name = forms.CharField(
        label=_("Name of the deceased insured person"), max_length=50, required=False
    )

    def __init__(
        self, *args: Any, grounds: Sequence[str], exempt_groups: Sequence[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["ground"])
        field.choices = [(g, WithdrawalGround(g).label) for g in grounds]
        group = cast(forms.ChoiceField, self.fields["fee_exempt_group"])
        group.choices = [("", _("No")), *[(g, g) for g in exempt_groups]]
        if not exempt_groups:
            del self.fields["fee_exempt_group"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("ground") == WithdrawalGround.DEATH:
            for name in ("deceased_id_number", "deceased_name"):
                if not data.get(name):
                    self.add_error(name, _("Needed when applying for a deceased person."))
        return data


class ApplyForm(CardNumberCheck):
    payee_name = forms.CharField(label=_("Name of the bank account holder"), max_length=50)
    bank_name = forms.CharField(label=_("Bank"), max_length=100)
    bank_account = forms.CharField(label=_("Bank card number"), max_length=30)
    last_local_treatment_on = forms.DateField(
        label=_("Date of your last treatment in the enrollment region"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, ground: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ground != WithdrawalGround.LIVING_ELSEWHERE:
            del self.fields["last_local_treatment_on"]
        for kind in rules.required_documents(ground):
            self.fields[DOC_PREFIX + kind] = DocumentField(
                label=DocumentKind(kind).label, help_text=_("JPEG, PNG or PDF")
            )

    def documents(self) -> dict[str, UploadedFile]:
        return {
            name.removeprefix(DOC_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(DOC_PREFIX) and value
        }


class ReasonsForm(forms.Form):
    reasons = forms.CharField(
        label=_("Reasons for the refusal, one per line"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )

    def reason_list(self) -> list[str]:
        text: str = self.cleaned_data["reasons"]
        return [line.strip() for line in text.splitlines() if line.strip()]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=2000, widget=forms.TextInput
    )


class RequestDocumentsForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=_("Documents needed"),
        choices=DocumentKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("What is wrong or missing"), required=False, max_length=2000)

    def __init__(self, *args: Any, ground: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [*rules.required_documents(ground), DocumentKind.OTHER]
        cast(forms.MultipleChoiceField, self.fields["kinds"]).choices = [
            (k, DocumentKind(k).label) for k in kinds
        ]


class AssessForm(forms.Form):
    outstanding_costs = AmountField(
        label=_("Outstanding costs or overdraft to settle (yuan)"), zero_allowed=True
    )
    last_local_treatment_on = forms.DateField(
        label=_("Last treatment in the enrollment region (from the settlement records)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    fee_exempt_group = forms.ChoiceField(label=_("Fee exemption (verified)"), required=False)

    def __init__(self, *args: Any, exempt_groups: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["fee_exempt_group"]).choices = [
            ("", _("None")),
            *[(g, g) for g in exempt_groups],
        ]


class RefundForm(forms.Form):
    hospital = forms.CharField(label=_("Hospital"), max_length=100)
    treated_on = forms.DateField(
        label=_("Date of the emergency treatment"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    amount = AmountField(label=_("Amount you paid (yuan)"))
    receipts = DocumentField(label=_("Receipts (JPEG, PNG or PDF)"))


class RefundApproveForm(forms.Form):
    amount = AmountField(
        label=_("Amount approved (yuan; empty for the whole claim)"), required=False
    )


# Every document any ground may need, each optional here: the service names what is missing.
ALL_DOCUMENT_KINDS = list(
    dict.fromkeys(k for g in WithdrawalGround.values for k in rules.required_documents(g))
)


class WindowForm(forms.Form):
    """A clerk takes in an application at the service hall (受理窗口)."""

    id_number = IdNumberField(label=_("ID number of the insured person (the deceased for a death)"))
    ground = forms.ChoiceField(label=_("Ground"), choices=WithdrawalGround.choices)
    heir_name = forms.CharField(label=_("Heir's name (death only)"), max_length=50, required=False)
    heir_id_number = IdNumberField(label=_("Heir's ID number (death only)"), required=False)
    heir_phone = MobileField(label=_("Heir's mobile number (death only)"), required=False)
    payee_name = forms.CharField(label=_("Name of the bank account holder"), max_length=50)
    bank_name = forms.CharField(label=_("Bank"), max_length=100)
    bank_account = forms.CharField(label=_("Bank card number"), max_length=30)
    last_local_treatment_on = forms.DateField(
        label=_("Last treatment in the enrollment region (long residence elsewhere only)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    fee_exempt_group = forms.CharField(
        label=_("Group exempt from the fee (verified)"), max_length=40, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in ALL_DOCUMENT_KINDS:
            self.fields[DOC_PREFIX + kind] = DocumentField(
                label=DocumentKind(kind).label, required=False
            )

    def documents(self) -> dict[str, UploadedFile]:
        return {
            name.removeprefix(DOC_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(DOC_PREFIX) and value
        }
