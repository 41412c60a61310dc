"""The inbox: each message shows which case it is about and opens it; messages are marked
read one by one or all at once; the header's count of unread messages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Notification
from cases.notifications import notify
from tests.accounts.factories import UserFactory
from tests.cases.factories import CaseFactory

pytestmark = pytest.mark.django_db

MESSAGE = ("Application received", "We received it.")


@pytest.fixture
def reader():
    return UserFactory(username="reader", mobile="13711112222")


def _inbox(user, case=None):
    return notify(
        recipient=user, message=MESSAGE, case=case, channels=(Notification.Channel.INBOX,)
    )[0]


def test_each_message_names_its_case_and_opening_it_marks_it_read(client, reader):
    case = CaseFactory()
    message = _inbox(reader, case)
    client.force_login(reader)

    page = client.get(reverse("cases:inbox"))
    opened = client.post(reverse("cases:inbox_read", args=[message.pk]))

    assert case.reference in page.content.decode()
    assert opened.status_code == 302
    assert opened.url == case.get_absolute_url()
    message.refresh_from_db()
    assert message.read_at is not None


def test_marking_one_read_stays_in_the_inbox(client, reader):
    message = _inbox(reader, CaseFactory())
    other = _inbox(reader)
    client.force_login(reader)

    response = client.post(reverse("cases:inbox_read", args=[message.pk]), {"then": "inbox"})

    assert response.url == reverse("cases:inbox")
    assert Notification.objects.get(pk=message.pk).read_at is not None
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_all_are_marked_read_at_once_and_only_ones_own(client, reader):
    for _i in range(3):
        _inbox(reader)
    stranger = UserFactory(username="stranger")
    theirs = _inbox(stranger)
    client.force_login(reader)

    client.post(reverse("cases:inbox_read_all"))

    assert not Notification.objects.filter(recipient=reader, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_inbox_says_how_many_are_unread(client, reader):
    _inbox(reader)
    _inbox(reader)
    read = _inbox(reader)
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    client.force_login(reader)

    page = client.get(reverse("cases:inbox"))

    assert page.context["unread_count"] == 2
    assert len(page.context["page"].object_list) == 3
