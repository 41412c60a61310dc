from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases import registry, views
from cases.assignment import case_assign
from cases.models import Case, CaseEvent, Notification
from cases.notifications import notify
from cases.workflow import today
from tests.accounts.factories import InsuredPersonFactory
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _open(agency, *, due: datetime.date | None = None, **kwargs) -> Case:
    case = CaseFactory(
        person=kwargs.pop("person", None) or InsuredPersonFactory(), agency=agency, **kwargs
    )
    if due is not None:
        Case.objects.filter(pk=case.pk).update(due_on=due)
        case.due_on = due
    return case


def _refs(response) -> list[str]:
    return [case.reference for case in response.context["page"].object_list]


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who may see the staff pages ------------------------------------------------------------


@pytest.mark.parametrize("name", ["cases:queue", "cases:dashboard", "cases:inbox", "cases:mine"])
def test_an_anonymous_visitor_is_sent_to_log_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ["cases:queue", "cases:dashboard"])
def test_an_applicant_does_not_find_the_staff_pages(client, applicant, name):
    client.force_login(applicant)

    assert client.get(reverse(name)).status_code == 404


def test_staff_do_not_find_the_applicants_page(client, clerk):
    client.force_login(clerk)

    assert client.get(reverse("cases:mine")).status_code == 404


# --- the work queue -------------------------------------------------------------------------


def test_the_queue_shows_the_agencys_open_cases_soonest_deadline_first(
    client, clerk, agency, far_agency
):
    later = _open(agency, due=today() + 9 * DAY)
    sooner = _open(agency, due=today() + 2 * DAY)
    undated = _open(agency)
    closed = _open(agency, due=today())
    Case.objects.filter(pk=closed.pk).update(closed_at=timezone.now())
    _open(far_agency, due=today())
    client.force_login(clerk)

    response = client.get(reverse("cases:queue"))

    assert response.status_code == 200
    assert _refs(response) == [sooner.reference, later.reference, undated.reference]


def test_a_transfer_waits_elsewhere_until_it_is_the_destinations_move(
    client, agency, far_agency, outsider
):
    transfer = _open(agency, other_agency=far_agency)
    client.force_login(outsider)

    before = client.get(reverse("cases:queue"))
    elsewhere = client.get(reverse("cases:queue"), {"list": "elsewhere"})
    Case.objects.filter(pk=transfer.pk).update(acting_agency=far_agency)
    after = client.get(reverse("cases:queue"))

    assert _refs(before) == []
    assert _refs(elsewhere) == [transfer.reference]
    assert _refs(after) == [transfer.reference]


def test_the_queue_filters_by_kind_and_state(client, clerk, agency):
    # The state list is in words, from the workflows the apps register (this module's
    # fixtures register none).
    registry.register_kind(
        "withdrawal", detail_url_name="withdrawals:detail", model_label="withdrawals.Withdrawal"
    )
    withdrawal = _open(agency, kind="withdrawal", state="first_reviewed")
    _open(agency, kind="withdrawal", state="submitted")
    _open(agency, kind="transfer", state="first_reviewed")
    client.force_login(clerk)

    response = client.get(reverse("cases:queue"), {"state": "withdrawal:first_reviewed"})

    assert _refs(response) == [withdrawal.reference]


def test_the_queue_filters_by_assignee(client, clerk, colleague, agency):
    mine = _open(agency)
    theirs = _open(agency)
    free = _open(agency)
    case_assign(case=mine, assignee=clerk, by=clerk)
    case_assign(case=theirs, assignee=colleague, by=colleague)
    client.force_login(clerk)

    def refs(assignee: str) -> list[str]:
        return _refs(client.get(reverse("cases:queue"), {"assignee": assignee}))

    assert refs("me") == [mine.reference]
    assert refs("unassigned") == [free.reference]
    assert refs(str(colleague.pk)) == [theirs.reference]


def test_the_queue_filters_by_due_date_and_overdue(client, clerk, agency):
    overdue = _open(agency, due=today() - DAY)
    soon = _open(agency, due=today() + DAY)
    _open(agency, due=today() + 30 * DAY)
    client.force_login(clerk)

    due_soon = _refs(client.get(reverse("cases:queue"), {"due_before": today() + 2 * DAY}))
    only_overdue = _refs(client.get(reverse("cases:queue"), {"overdue": "on"}))

    assert due_soon == [overdue.reference, soon.reference]
    assert only_overdue == [overdue.reference]


def test_a_bad_filter_value_drops_that_filter_only(client, clerk, agency):
    withdrawal = _open(agency, kind="withdrawal")
    _open(agency, kind="transfer")
    client.force_login(clerk)

    response = client.get(reverse("cases:queue"), {"kind": "withdrawal", "due_before": "soon"})

    assert _refs(response) == [withdrawal.reference]


def test_the_queue_is_paginated(client, clerk, agency):
    for _ in range(27):
        _open(agency)
    client.force_login(clerk)

    first = client.get(reverse("cases:queue"))
    second = client.get(reverse("cases:queue"), {"page": 2})

    assert len(_refs(first)) == 25
    assert len(_refs(second)) == 2
    assert not set(_refs(first)) & set(_refs(second))


def _queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("cases:queue")).status_code == 200
    return len(queries)


def _busy_cases(agency, clerk, count: int) -> None:
    for i in range(count):
        case = _open(agency, due=today() + i * DAY, kind="withdrawal" if i % 2 else "transfer")
        if i % 3 == 0:
            case_assign(case=case, assignee=clerk, by=clerk)


def test_the_queue_costs_the_same_for_5_or_60_cases(
    client, clerk, agency, far_agency, django_assert_max_num_queries
):
    _busy_cases(agency, clerk, 5)
    client.force_login(clerk)
    few = _queue_queries(client)
    _busy_cases(agency, clerk, 55)

    with django_assert_max_num_queries(few):
        response = client.get(reverse("cases:queue"))

    assert len(_refs(response)) == 25


# --- the inbox ------------------------------------------------------------------------------


def test_the_inbox_shows_only_ones_own_inbox_messages(client, applicant, clerk, case):
    notify(recipient=applicant, case=case, message=("For you", "..."))
    notify(recipient=clerk, case=case, message=("For the clerk", "..."))
    client.force_login(applicant)

    response = client.get(reverse("cases:inbox"))

    subjects = [n.subject for n in response.context["page"].object_list]
    assert subjects == ["For you"]


def test_opening_a_message_marks_it_read_and_goes_to_the_case(client, applicant, case, case_page):
    message = notify(
        recipient=applicant, case=case, message=("For you", "..."), channels=("inbox",)
    )[0]
    client.force_login(applicant)

    response = client.post(reverse("cases:inbox_read", args=[message.pk]))

    message.refresh_from_db()
    assert message.read_at is not None
    assert response.url == case.get_absolute_url()


def test_a_message_without_a_case_goes_back_to_the_inbox(client, applicant):
    message = notify(recipient=applicant, message=("Welcome", "..."), channels=("inbox",))[0]
    client.force_login(applicant)

    response = client.post(reverse("cases:inbox_read", args=[message.pk]))

    assert response.url == reverse("cases:inbox")


def test_someone_elses_message_cannot_be_marked_read(client, applicant, stranger, case):
    message = notify(recipient=stranger, case=case, message=("Theirs", "..."), channels=("inbox",))[
        0
    ]
    client.force_login(applicant)

    response = client.post(reverse("cases:inbox_read", args=[message.pk]))

    assert response.status_code == 404
    assert Notification.objects.get(pk=message.pk).read_at is None


# --- the case link, notes -------------------------------------------------------------------


def test_the_shared_case_link_goes_to_the_kinds_page(client, applicant, case, case_page):
    client.force_login(applicant)

    response = client.get(reverse("cases:detail", args=[case.pk]))

    assert response.status_code == 302
    assert response.url == reverse("test_case_page", args=[case.pk])


def test_a_kind_without_a_page_is_not_found(client, applicant, case):
    client.force_login(applicant)

    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404


@pytest.mark.parametrize("who", ["stranger", "outsider"])
def test_a_case_of_someone_else_is_not_found(client, case, case_page, who, request):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert client.get(reverse("test_case_page", args=[case.pk])).status_code == 404


def test_staff_add_a_note_to_the_history(client, clerk, case, case_page):
    client.force_login(clerk)

    response = client.post(reverse("cases:note_add", args=[case.pk]), {"text": "Called, no answer"})

    assert response.status_code == 302
    note = case.events.get(action="note")
    assert (note.actor, note.reason) == (clerk, "Called, no answer")


def test_an_empty_note_is_a_message(client, clerk, case, case_page):
    client.force_login(clerk)

    response = client.post(reverse("cases:note_add", args=[case.pk]), {"text": "  "})

    assert _messages(response)
    assert not case.events.filter(action="note").exists()


@pytest.mark.parametrize("who", ["applicant", "outsider"])
def test_only_the_agencys_staff_add_notes(client, case, who, request):
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("cases:note_add", args=[case.pk]), {"text": "hello"})

    assert response.status_code == 404
    assert not case.events.filter(action="note").exists()


def test_the_case_page_shows_the_shared_parts(client, clerk, case, case_page):
    client.force_login(clerk)

    response = client.get(reverse("test_case_page", args=[case.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html
    assert reverse("cases:note_add", args=[case.pk]) in html
    assert reverse("cases:document_upload", args=[case.pk]) in html


# --- my cases -------------------------------------------------------------------------------


def test_my_cases_lists_every_kind_with_its_state_and_page(
    client, applicant, person, agency, case, monkeypatch, case_page
):
    monkeypatch.setattr(views, "state_label", lambda kind, state: f"<{kind}:{state}>")
    withdrawal = CaseFactory(person=person, agency=agency, kind="withdrawal", state="paid")
    for_the_deceased = CaseFactory(
        agency=agency, applicant=applicant, kind="withdrawal", state="first_reviewed"
    )
    # Not before staff have verified the death and the heir: it would say the account exists.
    CaseFactory(agency=agency, applicant=applicant, kind="withdrawal", state="submitted")
    CaseFactory(agency=agency)  # someone else's
    client.force_login(applicant)

    response = client.get(reverse("cases:mine"))

    assert set(_refs(response)) == {
        case.reference,
        withdrawal.reference,
        for_the_deceased.reference,
    }
    html = response.content.decode()
    assert "&lt;withdrawal:paid&gt;" in html
    assert f'href="{case.get_absolute_url()}"' in html
    assert reverse("cases:mine") in client.get(reverse("cases:inbox")).content.decode()


def test_my_cases_costs_the_same_for_few_or_many(
    client, applicant, person, agency, django_assert_max_num_queries
):
    CaseFactory(person=person, agency=agency)
    client.force_login(applicant)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("cases:mine"))
    for _ in range(30):
        CaseFactory(person=person, agency=agency)

    with django_assert_max_num_queries(len(few)):
        client.get(reverse("cases:mine"))


# --- the insured person and the ID number -------------------------------------------------


def _page(client, case) -> str:
    return client.get(reverse("test_case_page", args=[case.pk])).content.decode()


def test_a_clerk_sees_the_id_number_and_phone_masked(client, clerk, case, person, case_page):
    client.force_login(clerk)

    html = _page(client, case)

    assert f"{person.id_number[:3]}{'*' * 13}{person.id_number[-2:]}" in html
    assert person.id_number not in html
    assert "139****5678" in html
    assert person.phone not in html
    assert reverse("cases:reveal_id", args=[case.pk]) not in html


def test_a_clerk_may_not_reveal_the_id_number(client, clerk, case, case_page):
    client.force_login(clerk)

    response = client.post(reverse("cases:reveal_id", args=[case.pk]))

    assert response.status_code == 403
    assert not CaseEvent.objects.filter(action="id_revealed").exists()
    assert not AuditEvent.objects.filter(action="reveal_id_number").exists()
    assert case.person.id_number not in _page(client, case)


def test_a_supervisor_reveals_the_id_number_once_and_it_is_recorded(
    client, supervisor, case, person, case_page
):
    client.force_login(supervisor)
    page = reverse("test_case_page", args=[case.pk])
    assert reverse("cases:reveal_id", args=[case.pk]) in _page(client, case)

    response = client.post(reverse("cases:reveal_id", args=[case.pk]), {"next": page})
    shown = _page(client, case)
    again = _page(client, case)

    assert response.status_code == 302
    assert response.url == page
    assert person.id_number in shown
    assert person.id_number not in again
    event = case.events.get(action="id_revealed")
    assert event.actor == supervisor
    assert person.name in event.reason
    audit = AuditEvent.objects.get(action="reveal_id_number")
    assert audit.user == supervisor
    assert person.id_number not in f"{audit.object_repr} {audit.detail}"


def test_after_revealing_it_returns_only_to_this_site(client, supervisor, case, case_page):
    client.force_login(supervisor)

    response = client.post(
        reverse("cases:reveal_id", args=[case.pk]), {"next": "https://evil.example/"}
    )

    assert response.url == case.get_absolute_url()


@pytest.mark.parametrize("who", ["outsider", "applicant", "stranger"])
def test_no_one_else_can_reveal(client, case, who, request):
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("cases:reveal_id", args=[case.pk]))

    assert response.status_code == 404
    assert not CaseEvent.objects.filter(action="id_revealed").exists()


def test_revealing_needs_a_post(client, supervisor, case):
    client.force_login(supervisor)

    assert client.get(reverse("cases:reveal_id", args=[case.pk])).status_code == 405


def test_the_history_shows_words_not_codes(client, clerk, case, monkeypatch, case_page):
    from cases import registry
    from cases.history import case_record

    monkeypatch.setattr(registry, "_ACTION_LABELS", dict(registry._ACTION_LABELS))
    registry.register_action_labels({"first_review": "First review passed"})
    case_record(case=case, action="first_review", by=clerk, from_state="submitted", to_state="ok")
    case_record(case=case, action="id_revealed", by=clerk)
    client.force_login(clerk)

    html = _page(client, case)

    assert "First review passed" in html
    assert "first_review" not in html
    assert "id_revealed" not in html
    assert "submitted → ok" in html
