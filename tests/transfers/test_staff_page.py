"""The staff case page as issue #15 asks: people by name and role in the history, a neutral
voice, the payout account only where money goes to a bank, the document kinds of this case
first, who overtook a step taken at the same time, an overdue clock that says so, and each
end of the transfer with its own assignee and its own deadlines."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cases.models import Case, Deadline
from cases.workflow import today
from tests.accounts.factories import staff_user
from tests.transfers.factories import mover, window_transfer
from transfers import services
from transfers.choices import PayoutReason

pytestmark = pytest.mark.django_db


@pytest.fixture
def transfer(places):
    return window_transfer(mover(places.dongguan, places.changde), places.dongguan, places.changde)


def _named(user, family: str, given: str):
    user.last_name, user.first_name = family, given
    user.save(update_fields=["last_name", "first_name"])
    return user


def _page(client, user, transfer):
    client.force_login(user)
    response = client.get(reverse("transfers:detail", args=[transfer.case_id]))
    assert response.status_code == 200
    return response


def test_the_history_names_staff_with_their_role(client, transfer, origin_clerk):
    _named(origin_clerk, "王", "芳")
    services.transfer_accept(case=transfer.case, by=origin_clerk)

    html = _page(client, origin_clerk, transfer).content.decode()

    assert "王芳（受理员）" in html
    assert origin_clerk.username not in html.split("History", 1)[-1].split("历史", 1)[-1]


def test_the_check_speaks_about_the_applicant_not_to_them(client, places, origin_clerk):
    person = mover(places.dongguan, places.changde, origin_status="active")
    transfer = window_transfer(person, places.dongguan, places.changde)

    reasons = _page(client, origin_clerk, transfer).context["check_reasons"]

    assert reasons
    assert not any(r.startswith(("Your", "您")) for r in reasons)


def _bank(person):
    return {"bank_name": "中国工商银行", "number": "6222021234567890", "holder": person.name}


def test_the_payout_account_shows_only_where_money_goes_to_a_bank(client, places, origin_clerk):
    person = mover(places.dongguan, places.changde)
    # A bank account typed in although the balance moves to the destination account.
    transfer = window_transfer(person, places.dongguan, places.changde, bank=_bank(person))
    person = mover(places.dongguan, places.changde)
    paid_out = window_transfer(
        person,
        places.dongguan,
        places.changde,
        payout_reason=PayoutReason.DESTINATION_CANNOT_TAKE,
        bank=_bank(person),
    )
    moved = _page(client, origin_clerk, transfer).content.decode()
    to_bank = _page(client, origin_clerk, paid_out).content.decode()

    assert 'id="payout-account"' not in moved
    assert 'id="payout-account"' in to_bank


def test_the_document_list_offers_this_kinds_documents_missing_ones_first(
    client, transfer, origin_clerk
):
    choices = _page(client, origin_clerk, transfer).context["document_form"].fields["kind"].choices
    kinds = [value for value, _label in choices]

    assert kinds[0] == "id_card_front"
    assert "diagnosis" not in kinds  # a withdrawal's document
    assert kinds[-1] == "other"


def test_who_overtook_a_step_taken_at_the_same_time_is_named(client, places, transfer):
    first = _named(staff_user("clerk", places.dongguan, "dg-clerk-a"), "王", "芳")
    second = staff_user("clerk", places.dongguan, "dg-clerk-b")
    services.transfer_accept(case=transfer.case, by=first)
    client.force_login(second)

    response = client.post(reverse("transfers:act", args=[transfer.case_id, "accept"]), follow=True)

    messages = " ".join(str(m) for m in response.context["messages"])
    assert "王芳（受理员）" in messages


def test_an_overdue_clock_never_reads_running(client, transfer, origin_clerk):
    Deadline.objects.filter(case=transfer.case).update(due_on=today() - datetime.timedelta(days=5))

    html = _page(client, origin_clerk, transfer).content.decode()

    deadlines = html.split('id="deadlines"', 1)[-1] if 'id="deadlines"' in html else html
    assert "已超期" in deadlines or "Overdue" in deadlines
    assert "计时中" not in deadlines


def test_a_transfer_reaching_the_destination_is_not_held_by_the_origin_clerk_there(
    client, transfer, origin_clerk, destination_clerk
):
    from cases.assignment import assignee_at, case_assign

    case_assign(case=transfer.case, assignee=origin_clerk, by=origin_clerk)
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)

    case = Case.objects.get(pk=transfer.case_id)
    queue = _page(client, destination_clerk, transfer)

    assert case.acting_agency_id == case.other_agency_id
    assert assignee_at(case, case.other_agency_id) is None
    assert queue.context["assign"].holder is None
    client.force_login(destination_clerk)
    refs = [r.case.reference for r in client.get(reverse("cases:queue")).context["rows"]]
    assert refs == [case.reference]


def test_an_application_has_an_acceptance_deadline_by_region_policy(transfer):
    intake = Deadline.objects.get(case=transfer.case, step="intake")

    assert intake.working_days == 3
    assert intake.status == Deadline.Status.OPEN


def test_a_supervisor_gives_the_case_to_a_colleague_from_the_case_page(
    client, places, transfer, destination_supervisor, destination_clerk
):
    services.transfer_accept(case=transfer.case, by=staff_user("clerk", places.dongguan))
    services.transfer_out(case=transfer.case, by=staff_user("clerk", places.dongguan))
    panel = _page(client, destination_supervisor, transfer).context["assign"]
    assert destination_clerk.pk in [pk for pk, _name in panel.colleagues]

    url = reverse("cases:assign", args=[transfer.case_id])
    client.post(url, {"assignee": destination_clerk.pk})

    case = Case.objects.get(pk=transfer.case_id)
    assert case.other_assignee_id == destination_clerk.pk
    assert case.assignee_id is None


def test_a_clerk_may_claim_the_case_but_not_give_it_to_a_colleague(client, transfer, origin_clerk):
    panel = _page(client, origin_clerk, transfer).context["assign"]

    assert panel.can_claim
    assert panel.colleagues == []
