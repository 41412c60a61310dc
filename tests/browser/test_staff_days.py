"""A working day of each staff role at both agencies of a transfer, 东莞 (origin) and 常德
(destination), in the browser (issue #15). Each starts on the role's landing page:

- the clerk takes in and checks an application (东莞), or takes in and credits a transfer the
  origin sent (常德);
- the reviewer finds the withdrawal waiting for a second review and approves it;
- the supervisor finds the overdue case at the top, gives it to a colleague, and confirms a
  payout a clerk prepared (双人复核) through its confirmation dialog.

Screenshots of each landing page and final state (zh-hans), and one in English per role, go
to $PORTAL_SCREENSHOTS when set."""

from __future__ import annotations

import datetime
import os

import pytest

from accounts.models import Agency, User
from cases.models import Case
from cases.workflow import today
from tests.accounts.factories import UserFactory, staff_user
from tests.browser.conftest import login, press_step
from tests.transfers.factories import World, mover, photo, world
from tests.withdrawals.factories import account_in, submit
from transfers import services as transfers
from transfers.choices import TransferType
from transfers.models import Transfer
from withdrawals import services as withdrawals
from withdrawals.models import Withdrawal
from withdrawals.payout import withdrawal_pay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Str0ng-pass"
AGENCIES = ["dongguan", "changde"]


@pytest.fixture
def places(transactional_db) -> World:
    return world()


def _shot(page, name: str, *, full_page: bool = True) -> None:
    if folder := os.environ.get("PORTAL_SCREENSHOTS"):
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=full_page)


def _land(page, user: User) -> None:
    """Sign in; staff land on their work lists."""
    login(page, user.username, PASSWORD)
    page.wait_for_selector("h1:has-text('工作台')")


def _english(page) -> None:
    with page.expect_navigation():
        page.click("header button[name=language][value=en]")


def _staff(role: str, agency: Agency, name: tuple[str, str]) -> User:
    user = staff_user(role, agency, username=f"{agency.code}-{role}")
    user.last_name, user.first_name = name
    user.save(update_fields=["last_name", "first_name"])
    return user


def _online_application(places: World) -> Transfer:
    person = mover(places.dongguan, places.changde)
    applicant = UserFactory(username=f"mover-{person.pk}", person=person)
    return transfers.transfer_apply(
        person=person,
        origin_agency=places.dongguan,
        destination_agency=places.changde,
        transfer_type=TransferType.EMPLOYEE,
        contact_phone="13712345678",
        by=applicant,
        id_card_front=photo("front.png"),
        id_card_back=photo("back.png"),
    )


def _sent_to_changde(places: World) -> Transfer:
    """An application 东莞 accepted and transferred out: the balance is on its way."""
    transfer = _online_application(places)
    origin = _staff("clerk", places.dongguan, ("陈", "静"))
    transfers.transfer_accept(case=transfer.case, by=origin)
    transfers.transfer_out(case=transfer.case, by=origin)
    return Transfer.objects.get(pk=transfer.pk)


def _row(page, list_key: str, case: Case):
    return page.locator(f"#worklist-{list_key} tr[data-case='{case.pk}']")


# --- the clerk --------------------------------------------------------------------------


def test_the_origin_clerk_takes_in_and_checks_an_application(page, places):
    clerk = _staff("clerk", places.dongguan, ("陈", "静"))
    case = _online_application(places).case

    _land(page, clerk)
    assert _row(page, "intake", case).count() == 1
    _shot(page, "day-clerk-dongguan-home-zh")
    with page.expect_navigation():
        _row(page, "intake", case).locator("a").first.click()
    with page.expect_navigation():
        page.click("button.claim")
    press_step(page, page.locator("form[data-action=accept]"))
    page.wait_for_selector(".alert-success")
    page.goto("/")

    assert Transfer.objects.get(pk=case.pk).state == Transfer.State.ACCEPTED
    assert _row(page, "intake", case).count() == 0
    assert "已受理" in _row(page, "mine", case).inner_text()
    _shot(page, "day-clerk-dongguan-done-zh")
    _english(page)
    assert "Accepted" in _row(page, "mine", case).inner_text()
    _shot(page, "day-clerk-dongguan-done-en")


def test_the_destination_clerk_takes_in_and_credits_what_the_origin_sent(page, places):
    clerk = _staff("clerk", places.changde, ("李", "娜"))
    transfer = _sent_to_changde(places)
    case = transfer.case

    _land(page, clerk)
    assert _row(page, "intake", case).count() == 1
    _shot(page, "day-clerk-changde-home-zh")
    with page.expect_navigation():
        _row(page, "intake", case).locator("a").first.click()
    with page.expect_navigation():
        page.click("button.claim")
    press_step(page, page.locator("form[data-action=transfer_in]"))
    page.wait_for_selector(".alert-success")
    press_step(page, page.locator("form[data-action=credit]"))
    page.wait_for_selector(".alert-success")
    page.goto("/")

    assert Transfer.objects.get(pk=case.pk).state == Transfer.State.COMPLETED
    assert _row(page, "intake", case).count() == 0
    assert _row(page, "mine", case).count() == 0
    _shot(page, "day-clerk-changde-done-zh")
    _english(page)
    _shot(page, "day-clerk-changde-done-en")


# --- the reviewer -----------------------------------------------------------------------


@pytest.mark.parametrize("where", AGENCIES)
def test_the_reviewer_finds_and_approves_a_second_review(page, places, where):
    agency = getattr(places, where)
    clerk = _staff("clerk", agency, ("陈", "静"))
    reviewer = _staff("reviewer", agency, ("周", "敏"))
    withdrawal = submit(account_in(agency), by=clerk)
    withdrawals.withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    case = withdrawal.case

    _land(page, reviewer)
    assert _row(page, "second_review", case).count() == 1
    _shot(page, f"day-reviewer-{where}-home-zh")
    with page.expect_navigation():
        _row(page, "second_review", case).locator("a").first.click()
    press_step(page, page.locator("#form-approve"))
    page.wait_for_selector(".alert-success")
    page.goto("/")

    assert Withdrawal.objects.get(pk=case.pk).state == Withdrawal.State.APPROVED
    assert _row(page, "second_review", case).count() == 0
    _shot(page, f"day-reviewer-{where}-done-zh")
    _english(page)
    _shot(page, f"day-reviewer-{where}-done-en")


# --- the supervisor ---------------------------------------------------------------------


def _prepared_payout(agency: Agency, clerk: User, reviewer: User) -> Withdrawal:
    """A withdrawal above the region's amount for a second person, prepared by a clerk."""
    withdrawal = submit(account_in(agency, individual="25000.00", employer="0.00"), by=clerk)
    withdrawals.withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    withdrawals.withdrawal_approve(withdrawal=withdrawal, by=reviewer)
    withdrawal_pay(withdrawal=withdrawal, by=clerk)
    withdrawal.refresh_from_db()
    assert withdrawal.state == Withdrawal.State.PAYOUT_PREPARED
    return withdrawal


def _late(agency: Agency, clerk: User) -> Case:
    """A withdrawal whose review limit passed a week ago."""
    case = submit(account_in(agency), by=clerk).case
    Case.objects.filter(pk=case.pk).update(due_on=today() - datetime.timedelta(days=7))
    return case


@pytest.mark.parametrize("where", AGENCIES)
def test_the_supervisor_reassigns_the_overdue_case_and_confirms_a_payout(page, places, where):
    agency = getattr(places, where)
    supervisor = _staff("supervisor", agency, ("张", "伟"))
    clerk = _staff("clerk", agency, ("陈", "静"))
    colleague = staff_user("clerk", agency, username=f"{agency.code}-clerk-2")
    colleague.last_name, colleague.first_name = "王", "芳"
    colleague.save(update_fields=["last_name", "first_name"])
    reviewer = _staff("reviewer", agency, ("周", "敏"))
    payout = _prepared_payout(agency, clerk, reviewer)
    late = _late(agency, clerk)

    _land(page, supervisor)
    assert page.locator("main section.worklist").first.get_attribute("id") == "worklist-overdue"
    first = page.locator("#worklist-overdue tbody tr").first
    assert first.get_attribute("data-case") == str(late.pk)
    assert "已超期" in first.inner_text()
    assert _row(page, "payouts", payout.case).count() == 1
    _shot(page, f"day-supervisor-{where}-home-zh")

    with page.expect_navigation():
        first.locator("a").first.click()
    page.select_option("#assign-form select[name=assignee]", str(colleague.pk))
    with page.expect_navigation():
        page.click("#assign-form button[type=submit]")
    assert Case.objects.get(pk=late.pk).assignee_id == colleague.pk
    page.goto("/")
    with page.expect_navigation():
        _row(page, "payouts", payout.case).locator("a").first.click()
    form = page.locator("#form-confirm-payout")
    dialog = page.locator(f"#{form.get_attribute('data-confirm-dialog')}")
    form.locator("button[name=action]").click()
    dialog.wait_for(state="visible")
    # Bootstrap fades the dialog in: the screenshot waits for the end of the fade.
    faded_in = "el => getComputedStyle(el).opacity === '1'"
    page.wait_for_function(faded_in, arg=dialog.element_handle())
    assert "25000.00" in dialog.inner_text()
    _shot(page, f"day-supervisor-{where}-dialog-zh", full_page=False)
    with page.expect_navigation():
        dialog.locator("button[name=confirmed]").click()
    page.wait_for_selector(".alert-success")
    page.goto("/")

    assert Withdrawal.objects.get(pk=payout.pk).state == Withdrawal.State.CLOSED
    assert _row(page, "payouts", payout.case).count() == 0
    assert "王芳" in _row(page, "overdue", late).inner_text()
    _shot(page, f"day-supervisor-{where}-done-zh")
    _english(page)
    _shot(page, f"day-supervisor-{where}-done-en")
