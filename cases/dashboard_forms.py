"""The dashboard's choices: whose figures, the forecast's what-if and the report's month."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forecast import WhatIf


def _staff_field(label: Any, colleagues: list[tuple[int, str]], empty: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", empty), *((str(pk), name) for pk, name in colleagues)],
    )


class MemberForm(forms.Form):
    def __init__(self, *args: Any, colleagues: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"] = _staff_field(_("Whose figures"), colleagues, _("The whole agency"))

    def member_id(self) -> int | None:
        if not self.is_valid() or not self.cleaned_data.get("member"):
            return None
        return int(self.cleaned_data["member"])


class WhatIfForm(forms.Form):
    reassigned = forms.IntegerField(
        label=_("Cases reassigned to colleagues with spare capacity"),
        min_value=0,
        max_value=500,
        required=False,
    )
    absent_days = forms.IntegerField(
        label=_("Working days absent"), min_value=0, max_value=60, required=False
    )

    def __init__(self, *args: Any, colleagues: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["absent"] = _staff_field(_("Absent colleague"), colleagues, _("No one absent"))
        self.order_fields(["reassigned", "absent", "absent_days"])

    def what_if(self) -> WhatIf:
        if not self.is_valid():
            return WhatIf()
        data = self.cleaned_data
        absent = data.get("absent")
        return WhatIf(
            reassigned=data.get("reassigned") or 0,
            absent_user_id=int(absent) if absent else None,
            absent_days=(data.get("absent_days") or 0) if absent else 0,
        )


class MonthForm(forms.Form):
    month = forms.CharField(label=_("Month"), required=False, max_length=7)

    def first_day(self, default: datetime.date) -> datetime.date:
        raw = cast(str, self.data.get("month", "")) if self.is_bound else ""
        try:
            year, month = (int(part) for part in raw.split("-"))
            return datetime.date(year, month, 1)
        except ValueError:
            return default.replace(day=1)
