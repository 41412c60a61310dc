from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.freezes.models import FreezeKind


class FreezeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of freeze"), choices=FreezeKind.choices)
    reason = forms.CharField(
        label=_("Reason (for the agency; the holder sees the kind only)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
    document = forms.FileField(label=_("Document (PDF, JPEG or PNG)"))


class UnfreezeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for lifting"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    document = forms.FileField(label=_("Document (PDF, JPEG or PNG)"))
