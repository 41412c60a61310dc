from __future__ import annotations

import datetime
from typing import Any

import factory

from accounts.models import InsuredPerson, User
from cases.history import case_open
from cases.models import CalendarOverride, CalendarYear, Case, Channel
from tests.accounts.factories import AgencyFactory, InsuredPersonFactory, UserFactory


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


SAMPLE_KIND = "sample"


class CaseFactory(factory.Factory[Case]):
    """A case opened the way every workflow opens one: through `case_open`. The default kind
    belongs to no workflow app, so its pages are the shared ones only."""

    class Meta:
        model = Case

    kind = SAMPLE_KIND
    person = factory.SubFactory(InsuredPersonFactory)
    agency = factory.SubFactory(AgencyFactory)
    channel = Channel.ONLINE
    state = "submitted"
    by = None
    applicant = None
    other_agency = None

    @classmethod
    def _create(cls, model_class: type[Case], *args: Any, **kwargs: Any) -> Case:
        return case_open(**kwargs)


def applicant_for(person: InsuredPerson, username: str | None = None) -> User:
    """The login of an insured person, with the mobile and e-mail notifications go to."""
    return UserFactory(
        username=username or f"app-{person.pk}",
        person=person,
        mobile=person.phone,
        email=f"person{person.pk}@example.com",
    )
