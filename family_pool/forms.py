from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import AmountField
from family_pool.models import Binding, Relation


class BindForm(forms.Form):
    ROLE_CHOICES = [
        ("holder", _("I share my personal account with this relative")),
        ("relative", _("I ask to use this relative's personal account")),
    ]

    role = forms.ChoiceField(
        label=_("What do you want to do?"), choices=ROLE_CHOICES, widget=forms.RadioSelect
    )
    other_id_number = forms.CharField(label=_("The relative's ID number"), max_length=20)
    other_name = forms.CharField(label=_("The relative's name"), max_length=50)
    relation = forms.ChoiceField(
        label=_("The relative is my"),
        choices=[("", "—"), *Relation.choices],
        help_text=_("Only close relatives can share an account."),
    )

    def __init__(self, *args: Any, roles: list[str] | None = None, **kwargs: Any) -> None:
        """`roles`: the sides this person may take (family_pool.rules.applicant_sides)."""
        super().__init__(*args, **kwargs)
        if roles is not None:
            field = self.fields["role"]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
            field.choices = [(k, v) for k, v in self.ROLE_CHOICES if k in roles]
            if len(roles) == 1:
                field.initial = roles[0]


class WindowBindForm(forms.Form):
    holder_id_number = forms.CharField(label=_("Account holder's ID number"), max_length=20)
    relative_id_number = forms.CharField(label=_("Relative's ID number"), max_length=20)
    relative_name = forms.CharField(label=_("Relative's name"), max_length=50)
    relation = forms.ChoiceField(
        label=_("The relative is the account holder's"),
        choices=[("", "—"), *Relation.choices],
    )
    kinship_proof = forms.FileField(
        label=_("Kinship proof (household register, marriage or birth certificate)"),
        help_text=_("JPEG, PNG or PDF"),
    )


class QuotaForm(forms.Form):
    quota = AmountField(
        label=_("Quota (yuan)"),
        required=False,
        zero_allowed=True,
        help_text=_(
            "Reserved for this relative for the whole binding. Leave empty to share the "
            "available balance instead."
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), max_length=1000, required=False)


class OrderForm(forms.Form):
    """One number per binding where the applicant is the relative: lower pays first."""

    def __init__(self, *args: Any, bindings: list[Binding], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bindings = bindings
        for position, binding in enumerate(bindings, start=1):
            self.fields[f"b{binding.pk}"] = forms.IntegerField(
                label=str(binding.holder),
                min_value=1,
                max_value=99,
                initial=position,
            )

    def order(self) -> list[int]:
        ranked = sorted(
            self.bindings, key=lambda b: (self.cleaned_data[f"b{b.pk}"], b.priority, b.pk)
        )
        return [b.pk for b in ranked]


class PersonSearchForm(forms.Form):
    id_number = forms.CharField(label=_("ID number"), max_length=20)


class FlagReviewForm(forms.Form):
    note = forms.CharField(
        label=_("What was found or done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
