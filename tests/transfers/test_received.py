"""Every application is told it was received: its number and the day by which the agency
must act, in the inbox and by text message; a text message carries the case number and a short
link that opens the case after sign-in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import RegionPolicy
from cases.calendar import add_working_days
from cases.models import Notification
from tests.accounts.factories import UserFactory
from tests.transfers.factories import mover, window_transfer
from tests.withdrawals.factories import account_in, applicant_of, dongguan_agency, submit
from transfers.progress import next_step, progress_steps

pytestmark = pytest.mark.django_db


def test_a_window_application_is_told_received_with_the_number_and_the_day_to_act_by(places):
    person = mover(places.dongguan, places.changde)
    UserFactory(username="mover", person=person, mobile="13712345678")

    transfer = window_transfer(person, places.dongguan, places.changde)

    due = add_working_days(transfer.applied_on, 10).date.isoformat()
    inbox = Notification.objects.get(channel=Notification.Channel.INBOX)
    sms = Notification.objects.get(channel=Notification.Channel.SMS)
    assert transfer.case.reference in inbox.subject
    assert due in inbox.body
    assert inbox.case_id == transfer.case_id
    assert transfer.case.reference in sms.subject + sms.body
    assert sms.body.endswith(f"/c/{transfer.case_id}")


def test_a_region_with_a_shorter_limit_promises_its_own_day(places):
    RegionPolicy.objects.create(region=places.dongguan.region, transfer_origin_days=5)
    person = mover(places.dongguan, places.changde)
    UserFactory(username="mover", person=person, mobile="13712345678")

    transfer = window_transfer(person, places.dongguan, places.changde)

    inbox = Notification.objects.get(channel=Notification.Channel.INBOX)
    assert add_working_days(transfer.applied_on, 5).date.isoformat() in inbox.body


def test_the_short_link_opens_the_case_after_sign_in(client, places):
    person = mover(places.dongguan, places.changde)
    user = UserFactory(username="mover", person=person, mobile="13712345678")
    transfer = window_transfer(person, places.dongguan, places.changde)
    link = f"/c/{transfer.case_id}"

    anonymous = client.get(link)
    client.force_login(user)
    signed_in = client.get(link, follow=True)

    assert anonymous.status_code == 302
    assert "login" in anonymous.url
    assert signed_in.status_code == 200
    assert signed_in.redirect_chain[-1][0] == reverse("transfers:detail", args=[transfer.case_id])


def test_the_progress_of_a_just_filed_transfer_has_expected_days_and_the_next_step(places):
    person = mover(places.dongguan, places.changde)

    transfer = window_transfer(person, places.dongguan, places.changde)

    steps = progress_steps(transfer)
    start = transfer.applied_on
    assert steps[0].done_on == start
    assert steps[1].expected_on == add_working_days(start, 10).date
    assert [s.expected_on for s in steps[2:]] == [add_working_days(start, 15).date] * 3
    assert places.dongguan.name in next_step(transfer)
    assert add_working_days(start, 10).date.isoformat() in next_step(transfer)


def test_my_applications_show_when_an_open_transfer_is_expected_to_be_done(client, places):
    person = mover(places.dongguan, places.changde)
    user = UserFactory(username="mover", person=person, mobile="13712345678")
    transfer = window_transfer(person, places.dongguan, places.changde)
    client.force_login(user)

    page = client.get(reverse("cases:mine"))

    (case,) = page.context["page"].object_list
    assert case.expected.on == add_working_days(transfer.applied_on, 15).date
    assert add_working_days(transfer.applied_on, 15).date.isoformat() in page.content.decode()


def test_my_applications_show_a_withdrawals_review_limit(client):
    account = account_in(dongguan_agency())
    withdrawal = submit(account)
    client.force_login(applicant_of(account))

    page = client.get(reverse("cases:mine"))

    (case,) = page.context["page"].object_list
    assert case.expected.on == withdrawal.case.deadlines.get().due_on
