from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import AmountField
from cases.models import CaseKind, DocumentKind
from cases.steps import Given, StrOrPromise


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("File (JPEG, PNG or PDF)"))

    def __init__(self, *args: Any, kinds: list[tuple[str, Any]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if kinds is not None:
            cast(forms.ChoiceField, self.fields["kind"]).choices = kinds


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


ASSIGNEE_CHOICES: list[tuple[str, Any]] = [
    ("", _("Anyone")),
    ("me", _("Me")),
    ("unassigned", _("Nobody")),
]


_SELECT = forms.Select(attrs={"class": "form-select"})


class StateField(forms.ChoiceField):
    """A state as "kind:state"; a bare state of any kind (older links, `?state=applied`) is
    valid too and filters every kind in it."""

    def valid_value(self, value: Any) -> bool:
        if super().valid_value(value):
            return True
        return any(super(StateField, self).valid_value(f"{k}:{value}") for k in CaseKind.values)


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, widget=_SELECT)
    state = StateField(label=_("State"), required=False, widget=_SELECT)
    assignee = forms.ChoiceField(
        label=_("Assigned to"), required=False, choices=ASSIGNEE_CHOICES, widget=_SELECT
    )
    due_before = forms.DateField(label=_("Due on or before"), required=False)
    overdue = forms.BooleanField(
        label=_("Overdue only"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(
        self,
        *args: Any,
        colleagues: Sequence[tuple[int, str]] = (),
        states: Sequence[tuple[str, Any]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["state"]).choices = [("", _("All states")), *states]
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            ("", _("All kinds")),
            *CaseKind.choices,
        ]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            *ASSIGNEE_CHOICES,
            *((str(pk), name) for pk, name in colleagues),
        ]

    def filters(self) -> dict[str, Any]:
        """The filters that are valid; a bad date drops that filter, not all of them."""
        self.is_valid()
        return dict(getattr(self, "cleaned_data", {}))


class BulkAssignForm(forms.Form):
    """A supervisor gives the ticked cases of the queue to one colleague (or to nobody)."""

    assignee = forms.ChoiceField(
        label=_("Assign the ticked cases to"), required=False, widget=_SELECT
    )

    def __init__(
        self, *args: Any, colleagues: Sequence[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Nobody (hand back)")),
            *((str(pk), name) for pk, name in colleagues),
        ]


class StepForm(forms.Form):
    """What any step of a case page may carry; its declaration (`cases.steps.Step`) says which
    of these the page shows, its service says what it requires."""

    note = forms.CharField(label=_("Note or reason"), required=False, max_length=4000)
    amount = AmountField(label=_("Amount (yuan)"), required=False, zero_allowed=True)
    kinds = forms.MultipleChoiceField(
        label=_("Documents needed"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self, *args: Any, kinds: Sequence[tuple[str, StrOrPromise]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["kinds"]).choices = list(kinds)

    def given(self) -> Given:
        return Given(
            note=self.cleaned_data["note"],
            amount=self.cleaned_data["amount"],
            kinds=tuple(self.cleaned_data["kinds"]),
        )


class CaseSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Reference, name or ID number"),
        max_length=40,
        help_text=_("Search by ID number with the button: the number is not put in the address."),
    )
