from __future__ import annotations

import datetime

import factory

from cases.models import CalendarOverride, CalendarYear


class CalendarOverrideFactory(factory.django.DjangoModelFactory[CalendarOverride]):
    class Meta:
        model = CalendarOverride
        django_get_or_create = ("date",)

    date = datetime.date(2026, 10, 12)
    is_working_day = False
    note = "test override"


class CalendarYearFactory(factory.django.DjangoModelFactory[CalendarYear]):
    class Meta:
        model = CalendarYear
        django_get_or_create = ("year",)

    year = 2027
    complete = False
