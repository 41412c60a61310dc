"""A working day of each staff role at both agencies of a transfer, 东莞 (origin) and 常德
(destination), in the browser (issue #15). Each starts on the role's landing page:

- the clerks carry one transfer: 东莞's takes the application in, checks and accepts it and
  sends it; 常德's finds what was sent on their list, takes it in and credits the account;
- the reviewer of each agency finds the withdrawal waiting for a second review and approves it;
- the supervisor of each agency finds the overdue case at the top, gives it to a colleague from
  the case page, and confirms a payout a clerk prepared (双人复核) through its dialog.

One test per role walks both agencies, each in its own browser session: every test of this
kind empties the database when it ends, which costs several seconds.

Screenshots of each landing page, case page and final state (zh-hans), and of the final state
in English, go to $PORTAL_SCREENSHOTS when set."""

from __future__ import annotations

import datetime
import os

import pytest

from accounts.models import Agency, User
from cases.assignment import assignee_at
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
# Staff of each agency by role: family name, given name.
NAMES = {
    "dongguan": {"clerk": ("陈", "静"), "colleague": ("王", "芳"), "reviewer": ("周", "敏")},
    "changde": {"clerk": ("李", "娜"), "colleague": ("刘", "洋"), "reviewer": ("黄", "丽")},
}
SUPERVISORS = {"dongguan": ("张", "伟"), "changde": ("杨", "帆")}


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


def _staff(role: str, agency: Agency, name: tuple[str, str], suffix: str = "") -> User:
    user = staff_user(role, agency, username=f"{agency.code}-{role}{suffix}")
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


def _row(page, list_key: str, case: Case):
    return page.locator(f"#worklist-{list_key} tr[data-case='{case.pk}']")


# --- the clerks: one transfer from 东莞's intake to 常德's credit ------------------------


def test_the_clerks_take_in_check_send_and_credit_a_transfer(new_page, places):
    origin_clerk = _staff("clerk", places.dongguan, NAMES["dongguan"]["clerk"])
    destination_clerk = _staff("clerk", places.changde, NAMES["changde"]["clerk"])
    case = _online_application(places).case

    # 东莞: the application waits on the clerk's list; they claim it, check it and accept it.
    page = new_page()
    _land(page, origin_clerk)
    assert _row(page, "intake", case).count() == 1
    _shot(page, "day-clerk-dongguan-home-zh")
    with page.expect_navigation():
        _row(page, "intake", case).locator("a").first.click()
    with page.expect_navigation():
        page.click("button.claim")
    press_step(page, page.locator("form[data-action=accept]"))
    page.wait_for_selector(".alert-success")
    _shot(page, "day-clerk-dongguan-case-zh")
    page.goto("/")
    assert _row(page, "intake", case).count() == 0
    assert "已受理" in _row(page, "mine", case).inner_text()
    _shot(page, "day-clerk-dongguan-accepted-zh")
    # ...and sends it (the 信息表 sealed, the balance on its way): the turn is 常德's now.
    with page.expect_navigation():
        _row(page, "mine", case).locator("a").first.click()
    press_step(page, page.locator("form[data-action=transfer_out]"))
    page.wait_for_selector(".alert-success")
    page.goto("/queue/?list=elsewhere")
    assert page.locator(f"tr[data-case='{case.pk}']").count() == 1
    _shot(page, "day-clerk-dongguan-done-zh")
    _english(page)
    assert "Transferred out" in page.locator(f"tr[data-case='{case.pk}']").inner_text()
    _shot(page, "day-clerk-dongguan-done-en")

    # 常德: what 东莞 sent waits on the clerk's list; they take it in and credit the account.
    page = new_page()
    _land(page, destination_clerk)
    assert "已转出" in _row(page, "intake", case).inner_text()
    _shot(page, "day-clerk-changde-home-zh")
    with page.expect_navigation():
        _row(page, "intake", case).locator("a").first.click()
    with page.expect_navigation():
        page.click("button.claim")
    press_step(page, page.locator("form[data-action=transfer_in]"))
    page.wait_for_selector(".alert-success")
    press_step(page, page.locator("form[data-action=credit]"))
    page.wait_for_selector(".alert-success")
    _shot(page, "day-clerk-changde-case-zh")
    page.goto("/")

    assert Transfer.objects.get(pk=case.pk).state == Transfer.State.COMPLETED
    assert _row(page, "intake", case).count() == 0
    assert _row(page, "mine", case).count() == 0
    _shot(page, "day-clerk-changde-done-zh")
    _english(page)
    _shot(page, "day-clerk-changde-done-en")


# --- the reviewers ----------------------------------------------------------------------


def test_the_reviewers_find_and_approve_a_second_review(new_page, places):
    for where in AGENCIES:
        agency = getattr(places, where)
        clerk = _staff("clerk", agency, NAMES[where]["clerk"])
        reviewer = _staff("reviewer", agency, NAMES[where]["reviewer"])
        withdrawal = submit(account_in(agency), by=clerk)
        withdrawals.withdrawal_first_review(withdrawal=withdrawal, by=clerk)
        case = withdrawal.case

        page = new_page()
        _land(page, reviewer)
        assert _row(page, "second_review", case).count() == 1
        _shot(page, f"day-reviewer-{where}-home-zh")
        page.goto("/queue/?state=withdrawal:first_reviewed")
        assert page.locator(f"tr[data-case='{case.pk}']").count() == 1
        page.goto("/")
        with page.expect_navigation():
            _row(page, "second_review", case).locator("a").first.click()
        press_step(page, page.locator("#form-approve"))
        page.wait_for_selector(".alert-success")
        _shot(page, f"day-reviewer-{where}-case-zh")
        page.goto("/")

        assert Withdrawal.objects.get(pk=case.pk).state == Withdrawal.State.APPROVED
        assert _row(page, "second_review", case).count() == 0
        _shot(page, f"day-reviewer-{where}-done-zh")
        _english(page)
        _shot(page, f"day-reviewer-{where}-done-en")


# --- the supervisors --------------------------------------------------------------------


def _prepared_payout(agency: Agency, clerk: User, reviewer: User) -> Withdrawal:
    """A withdrawal above the region's amount for a second person, prepared by a clerk."""
    withdrawal = submit(account_in(agency, individual="25000.00", employer="0.00"), by=clerk)
    withdrawals.withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    withdrawals.withdrawal_approve(withdrawal=withdrawal, by=reviewer)
    withdrawal_pay(withdrawal=withdrawal, by=clerk)
    withdrawal.refresh_from_db()
    assert withdrawal.state == Withdrawal.State.PAYOUT_PREPARED
    return withdrawal


def _late(places: World, where: str, clerk: User) -> Case:
    """At 东莞 a withdrawal whose review limit passed a week ago; at 常德 a transfer 东莞 sent
    whose transfer-in limit passed."""
    if where == "dongguan":
        case = submit(account_in(places.dongguan), by=clerk).case
    else:
        case = _online_application(places).case
        origin = _staff("clerk", places.dongguan, NAMES["dongguan"]["clerk"])
        transfers.transfer_accept(case=case, by=origin)
        transfers.transfer_out(case=case, by=origin)
    Case.objects.filter(pk=case.pk).update(due_on=today() - datetime.timedelta(days=7))
    return case


def test_the_supervisors_reassign_the_overdue_case_and_confirm_a_payout(new_page, places):
    for where in AGENCIES:
        agency = getattr(places, where)
        supervisor = _staff("supervisor", agency, SUPERVISORS[where])
        clerk = _staff("clerk", agency, NAMES[where]["clerk"])
        colleague = _staff("clerk", agency, NAMES[where]["colleague"], suffix="-2")
        reviewer = _staff("reviewer", agency, NAMES[where]["reviewer"])
        payout = _prepared_payout(agency, clerk, reviewer)
        late = _late(places, where, clerk)

        page = new_page()
        _land(page, supervisor)
        lists = page.locator("main section.worklist")
        assert lists.first.get_attribute("id") == "worklist-overdue"
        first = page.locator("#worklist-overdue tbody tr").first
        assert first.get_attribute("data-case") == str(late.pk)
        assert "已超期" in first.inner_text()
        assert _row(page, "payouts", payout.case).count() == 1
        _shot(page, f"day-supervisor-{where}-home-zh")

        # The overdue case goes to a colleague, from its own page.
        with page.expect_navigation():
            first.locator("a").first.click()
        page.select_option("#assign-form select[name=assignee]", str(colleague.pk))
        with page.expect_navigation():
            page.click("#assign-form button[type=submit]")
        assert assignee_at(Case.objects.get(pk=late.pk), agency.pk) == colleague
        assert "".join(NAMES[where]["colleague"]) in page.inner_text("#assignee")

        # The payout a clerk prepared, confirmed through its dialog (双人复核).
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
        _shot(page, f"day-supervisor-{where}-case-zh")
        page.goto("/")

        assert Withdrawal.objects.get(pk=payout.pk).state == Withdrawal.State.CLOSED
        assert _row(page, "payouts", payout.case).count() == 0
        assert "".join(NAMES[where]["colleague"]) in _row(page, "overdue", late).inner_text()
        _shot(page, f"day-supervisor-{where}-done-zh")
        _english(page)
        _shot(page, f"day-supervisor-{where}-done-en")
