"""The page components of templates/ui and the page frame: status tags by kind of state,
sortable headers, the large-text switch, the unread count, the step confirmation."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from cases.listing import sorted_by
from cases.models import Case, Notification
from cases.notifications import notify
from cases.templatetags.ui import tone_of

pytestmark = pytest.mark.django_db


def render(source: str, path: str = "/queue/", **context: object) -> str:
    request = RequestFactory().get(path)
    return Template("{% load ui %}" + source).render(Context({"request": request, **context}))


@pytest.mark.parametrize(
    ("state", "overdue", "tone"),
    [
        ("applied", False, "running"),
        ("documents_requested", False, "waiting"),
        ("waiting_documents", False, "waiting"),
        ("applied", True, "overdue"),
        ("documents_requested", True, "overdue"),
        ("completed", True, "done"),
        ("closed", False, "done"),
        ("refused", False, "refused"),
        ("cancelled", False, "stopped"),
    ],
)
def test_each_kind_of_state_has_its_tone(state, overdue, tone):
    assert tone_of(state, overdue=overdue) == tone


def test_a_status_tag_shows_the_words_in_the_colour_of_its_kind():
    html = render('{% status_tag "refused" "不予受理" %}')
    assert 'class="badge status-tag text-bg-dark"' in html
    assert ">不予受理<" in html

    overdue = render('{% status_tag "applied" "已受理" overdue=True %}')
    assert "text-bg-danger" in overdue
    assert 'data-tone="overdue"' in overdue


def test_a_sort_header_toggles_the_order_and_keeps_the_filters():
    first = render('{% sort_th "办件编号" "reference" %}', "/queue/?state=applied&page=3")
    assert 'aria-sort="none"' in first
    assert 'href="?state=applied&amp;sort=reference"' in first  # back to the first page

    again = render('{% sort_th "办件编号" "reference" %}', "/queue/?sort=reference")
    assert 'aria-sort="ascending"' in again
    assert 'href="?sort=-reference"' in again

    down = render('{% sort_th "办件编号" "reference" %}', "/queue/?sort=-reference")
    assert 'aria-sort="descending"' in down
    assert 'href="?sort=reference"' in down


def test_sorted_by_orders_by_the_asked_column_and_falls_back_on_the_default(case):
    columns = {"reference": ["reference", "pk"], "opened": ["-created_at", "pk"]}
    rows = Case.objects.all()

    asked, key = sorted_by(RequestFactory().get("/?sort=-reference"), rows, columns, "opened")
    assert key == "-reference"
    assert list(asked.query.order_by) == ["-reference", "-pk"]

    forged, key = sorted_by(RequestFactory().get("/?sort=password"), rows, columns, "opened")
    assert key == "opened"
    assert list(forged.query.order_by) == ["-created_at", "pk"]


def test_the_large_text_switch_is_remembered_and_goes_back_to_the_page(client):
    response = client.post(
        reverse("accounts:text_size"), {"size": "large", "next": reverse("accounts:login")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert response.cookies["text_size"].value == "large"

    page = client.get(reverse("accounts:login")).content.decode()
    assert 'class="large-text"' in page
    assert 'aria-pressed="true"' in page

    client.post(reverse("accounts:text_size"), {"size": "normal", "next": "/"})
    assert 'class="large-text"' not in client.get(reverse("accounts:login")).content.decode()


def test_the_switch_never_sends_the_reader_to_another_site(client):
    response = client.post(
        reverse("accounts:text_size"), {"size": "large", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_the_header_counts_unread_messages_on_every_page(client, applicant, case):
    notify(recipient=applicant, message=("已受理", "您的申请已受理"), case=case, channels=["inbox"])
    notify(recipient=applicant, message=("请补件", "请补交材料"), case=case, channels=["inbox"])
    client.force_login(applicant)

    page = client.get(reverse("cases:mine")).content.decode()
    assert 'unread-badge">2<' in page

    Notification.objects.filter(recipient=applicant).update(read_at="2026-12-01T00:00:00Z")
    assert "unread-badge" not in client.get(reverse("cases:mine")).content.decode()


def test_the_step_bar_marks_the_current_step_for_screen_readers():
    steps = [
        {"label": "提交申请", "status": "done", "date": "2026-12-01"},
        {"label": "受理", "status": "current"},
        {"label": "转出", "status": "upcoming"},
    ]
    html = Template('{% include "ui/stepbar.html" %}').render(Context({"steps": steps}))
    assert html.count('aria-current="step"') == 1
    assert 'stepbar-item stepbar-current" aria-current="step"' in html
