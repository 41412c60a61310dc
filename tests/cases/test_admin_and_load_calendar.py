from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from cases.models import CalendarOverride, CalendarYear
from tests.cases.factories import CalendarOverrideFactory, CalendarYearFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mid_2026(monkeypatch):
    monkeypatch.setattr(
        "cases.management.commands.load_calendar.timezone.localdate",
        lambda: datetime.date(2026, 6, 1),
    )


def load_calendar() -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("load_calendar", stdout=out)
    return out.getvalue()


def test_an_override_saved_in_the_admin_records_who_saved_it(admin_client, admin_user):
    url = reverse("admin:cases_calendaroverride_add")

    response = admin_client.post(url, {"date": "2027-01-02", "is_working_day": "on", "note": "x"})

    assert response.status_code == 302
    assert CalendarOverride.objects.get(date=datetime.date(2027, 1, 2)).updated_by == admin_user


def test_a_year_marked_complete_in_the_admin_records_who_marked_it(admin_client, admin_user):
    year = CalendarYearFactory.create(year=2027)
    url = reverse("admin:cases_calendaryear_change", args=[year.pk])

    response = admin_client.post(url, {"year": "2027", "complete": "on", "note": ""})

    year.refresh_from_db()
    assert response.status_code == 302
    assert year.complete
    assert year.updated_by == admin_user


@pytest.mark.parametrize(("term", "found"), [("2026-10-12", 1), ("2026", 2), ("2027", 0)])
def test_the_override_list_is_searched_by_date_or_year(admin_client, term, found):
    CalendarOverrideFactory.create(date=datetime.date(2026, 10, 12))
    CalendarOverrideFactory.create(date=datetime.date(2026, 10, 11), is_working_day=True)

    response = admin_client.get(reverse("admin:cases_calendaroverride_changelist"), {"q": term})

    assert response.status_code == 200
    assert response.context["cl"].result_count == found


def test_the_year_list_shows_and_finds_years(admin_client):
    CalendarYearFactory.create(year=2027)
    CalendarYearFactory.create(year=2026, complete=True)

    response = admin_client.get(reverse("admin:cases_calendaryear_changelist"), {"q": "2027"})

    assert response.status_code == 200
    assert [row.year for row in response.context["cl"].result_list] == [2027]


def test_load_calendar_adds_the_unpublished_next_year(mid_2026):
    output = load_calendar()

    row = CalendarYear.objects.get()
    assert (row.year, row.complete) == (2027, False)
    assert row.note
    assert "Published (chinesecalendar): 2004–2026" in output
    assert "Provisional (guessed): 2027" in output


def test_load_calendar_run_again_adds_nothing(mid_2026):
    load_calendar()

    output = load_calendar()

    assert CalendarYear.objects.count() == 1
    assert "Calendar years added: -" in output


def test_load_calendar_reports_a_complete_year_and_leaves_it_alone(mid_2026):
    CalendarYearFactory.create(year=2027, complete=True, note="typed in")

    output = load_calendar()

    assert list(CalendarYear.objects.values_list("year", "complete", "note")) == [
        (2027, True, "typed in")
    ]
    assert "Complete in the override table: 2027" in output
    assert "Provisional (guessed): -" in output
