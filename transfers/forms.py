from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import CardNumberCheck, PhoneField
from accounts.idnumbers import normalize_id_number, parse_id_number
from accounts.models import Agency, InsuredPerson
from transfers.choices import PayoutReason, TransferType
from transfers.codes import normalize


def _agencies() -> Any:
    return Agency.objects.filter(is_active=True).select_related("region").order_by("region_id")


class _AgencyChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.region.name} · {obj.name}"


class TransferForm(CardNumberCheck):
    """What every application says, online or at the window."""

    card_field = "bank_account_number"

    origin_agency = _AgencyChoice(label=_("From (origin agency)"), queryset=Agency.objects.none())
    destination_agency = _AgencyChoice(
        label=_("To (destination agency)"), queryset=Agency.objects.none()
    )
    transfer_type = forms.ChoiceField(label=_("Type of transfer"), choices=TransferType.choices)
    contact_phone = PhoneField(label=_("Contact phone"))
    payout_reason = forms.ChoiceField(
        label=_("Pay the balance to my own bank account instead"),
        choices=PayoutReason.choices,
        required=False,
    )
    bank_name = forms.CharField(label=_("Bank"), max_length=60, required=False)
    bank_account_number = forms.RegexField(
        label=_("Bank account number"),
        regex=r"^[0-9 ]{12,30}$",
        required=False,
        error_messages={"invalid": _("A bank account number has 12 to 19 digits.")},
    )
    bank_account_name = forms.CharField(label=_("Account holder"), max_length=50, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("origin_agency", "destination_agency"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
            field.queryset = _agencies()

    def bank(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "bank_name": data.get("bank_name", ""),
            "number": data.get("bank_account_number", ""),
            "holder": data.get("bank_account_name", ""),
        }


class ApplyForm(TransferForm):
    id_card_front = forms.FileField(label=_("Photo of the ID card, front (JPEG or PNG)"))
    id_card_back = forms.FileField(label=_("Photo of the ID card, back (JPEG or PNG)"))


class IntakeForm(TransferForm):
    """At the window: the clerk finds the person by the ID number on the card."""

    id_number = forms.CharField(label=_("ID number of the insured person"), max_length=24)

    field_order = ["id_number"]

    def clean_id_number(self) -> InsuredPerson:
        raw = self.cleaned_data["id_number"]
        try:
            number = parse_id_number(raw).number
        except ValidationError:
            number = normalize_id_number(raw)
        person = InsuredPerson.objects.filter(id_number=number).first()
        if person is None:
            raise ValidationError(_("No insured person on record has this ID number."))
        return person


PDF_MAX_BYTES = 5 * 1024 * 1024


class VerifyForm(forms.Form):
    """The public verification page: the code on the table, and the file one holds if any."""

    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        help_text=_("Sixteen letters and digits, printed beside the QR code."),
    )
    pdf = forms.FileField(
        label=_("The PDF you hold (optional)"),
        required=False,
        help_text=_("To check that the file itself was not edited. It is read, not kept."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if normalize(code) is None:
            raise ValidationError(
                _("A verification code has 16 letters and digits, such as ABCD-EFGH-JKLM-NPQR.")
            )
        return code

    def clean_pdf(self) -> Any:
        upload = self.cleaned_data.get("pdf")
        if upload and upload.size > PDF_MAX_BYTES:
            raise ValidationError(_("The file is larger than any information table (5 MB)."))
        return upload
