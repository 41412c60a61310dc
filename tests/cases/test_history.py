from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from cases.history import case_note_add, case_record
from cases.models import CaseEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(case, clerk):
    return case_note_add(case=case, by=clerk, text="called the applicant")


def test_opening_a_case_writes_its_first_line(case, applicant):
    first = case.events.get()

    assert (first.action, first.actor, first.to_state) == ("filed", applicant, "submitted")


def test_a_line_without_a_user_is_by_the_system(case):
    event = case_record(case=case, action="escalated", by=None)

    assert event.actor_label == "system"


def test_the_model_refuses_to_change_a_line(event):
    event.reason = "never called"

    with pytest.raises(PermissionError):
        event.save()

    assert CaseEvent.objects.get(pk=event.pk).reason == "called the applicant"


def test_the_model_refuses_to_delete_a_line(event):
    with pytest.raises(PermissionError):
        event.delete()

    assert CaseEvent.objects.filter(pk=event.pk).exists()


def _in_savepoint(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE cases_caseevent SET reason = 'never called' WHERE id = %s",
        "DELETE FROM cases_caseevent WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_line(event, sql):
    # psycopg reports a PL/pgSQL RAISE as ProgrammingError, a DatabaseError.
    with pytest.raises(DatabaseError, match="append-only"):
        _in_savepoint(sql, [event.pk])

    assert CaseEvent.objects.get(pk=event.pk).reason == "called the applicant"


def test_a_bulk_update_or_delete_through_the_orm_is_refused_too(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(reason="never called")
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk)._raw_delete(connection.alias)

    assert CaseEvent.objects.get(pk=event.pk).reason == "called the applicant"


def test_new_lines_can_still_be_added(event, case, clerk):
    case_note_add(case=case, by=clerk, text="second call")

    assert case.events.filter(action="note").count() == 2


def test_an_empty_note_is_refused(case, clerk):
    from cases.errors import CaseError

    with pytest.raises(CaseError):
        case_note_add(case=case, by=clerk, text="   ")
