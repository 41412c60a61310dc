"""Every step a workflow declares as moving money or cannot be undone asks first, in a dialog
that shows what will happen (the amount, the account it leaves, the payee): going back
changes nothing, confirming takes the step. Without a script the server asks on a page of its
own. The steps are read from the declarations when the tests are collected, so a step flagged
later without a way here to reach it fails `test_every_flagged_step_has_a_scene`.

Every dialog is shot in Chinese, one of each kind in English too, and the server's page: to
PORTAL_SCREENSHOTS when it is set (they are for looking at, not committed)."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.models import Agency, RegionPolicy
from cases import steps
from cases.workflow import today
from family_pool import services as pool_services
from family_pool.models import Binding
from tests.accounts.factories import AgencyFactory, guangdong_regions, staff_user
from tests.family_pool.factories import applicant, bind, holder, insured, regions
from tests.transfers.factories import mover, window_transfer, world
from tests.withdrawals.factories import (
    GOOD_CARD,
    account_in,
    applicant_of,
    clerk_and_reviewer,
    submit,
    upload,
)
from transfers import services as transfer_services
from transfers.models import Transfer
from withdrawals import payout, refunds
from withdrawals import services as withdrawal_services
from withdrawals.models import EmergencyRefund, Withdrawal

WORKFLOWS: tuple[type[models.Model], ...] = (Binding, Transfer, Withdrawal, EmergencyRefund)


def flagged() -> set[tuple[type[models.Model], str]]:
    """Every (workflow, step) whose declaration says it moves money or cannot be undone."""
    return {
        (model, name)
        for model in WORKFLOWS
        for name, step in steps.declared(model).items()
        if step.moves_money or step.destructive
    }


@dataclass
class Scene:
    """A case where the step is offered to `user`, what the summary must show (the amount,
    the account, the payee), what the person types and the state confirming leads to."""

    obj: Any
    user: Any
    target: str
    note: str = ""
    shows: tuple[str, ...] = field(default_factory=tuple)


# --- transfers: 东莞 (origin) to 常德 (destination), 800 + 200 yuan -----------------------
# Every scene of a workflow is built in the same database, one after the other: each sets the
# policies it needs (双人复核, the family-pool review) and resets the others.


def _second_person(agency: Agency, needed: bool) -> None:
    """From 500 yuan a second person confirms; else the national threshold."""
    RegionPolicy.objects.update_or_create(
        region=agency.region,
        defaults={"second_person_from": Decimal("500.00") if needed else None},
    )


def _transfer(*moves: str, second_at: str = "") -> tuple[Transfer, Any]:
    places = world()
    _second_person(places.dongguan, second_at == "origin")
    _second_person(places.changde, second_at == "destination")
    transfer = window_transfer(
        mover(places.dongguan, places.changde), places.dongguan, places.changde
    )
    origin = staff_user("clerk", places.dongguan)
    destination = staff_user("clerk", places.changde)
    case = transfer.case
    for move in moves:
        if move == "accept":
            transfer_services.transfer_accept(case=case, by=origin)
        elif move == "out":
            transfer_services.transfer_out(case=case, by=origin)
        elif move == "in":
            transfer_services.transfer_in(case=case, by=destination)
        elif move == "credit":
            transfer_services.transfer_credit(case=case, by=destination, received_amount="1000.00")
        elif move == "credit short":
            transfer_services.transfer_credit(case=case, by=destination, received_amount="900.00")
    return Transfer.objects.get(pk=transfer.pk), places


def _staff(transfer: Transfer, role: str, agency: Agency, target: str, note: str = "") -> Scene:
    user = staff_user(role, agency, f"{agency.code}-{role}")
    return Scene(transfer, user, target, note)


def _transfer_refuse() -> Scene:
    transfer, places = _transfer()
    return _staff(transfer, "clerk", places.dongguan, Transfer.State.REFUSED, "重复申请")


def _transfer_cancel() -> Scene:
    transfer, places = _transfer()
    return _staff(transfer, "clerk", places.dongguan, Transfer.State.CANCELLED)


def _leaving(transfer: Transfer) -> tuple[str, ...]:
    return ("1000.00", str(transfer.origin_account_id), "常德市")


def _arriving(transfer: Transfer, amount: str = "1000.00") -> tuple[str, ...]:
    return (amount, str(transfer.destination_account_id), transfer.case.person.name)


def _transfer_out() -> Scene:
    transfer, places = _transfer("accept")
    scene = _staff(transfer, "clerk", places.dongguan, Transfer.State.TRANSFERRED_OUT)
    scene.shows = _leaving(transfer)
    return scene


def _confirm_transfer_out() -> Scene:
    transfer, places = _transfer("accept", "out", second_at="origin")
    scene = _staff(transfer, "supervisor", places.dongguan, Transfer.State.TRANSFERRED_OUT)
    scene.shows = _leaving(transfer)
    return scene


def _send_back_transfer_out() -> Scene:
    transfer, places = _transfer("accept", "out", second_at="origin")
    return _staff(transfer, "supervisor", places.dongguan, Transfer.State.ACCEPTED, "账号需核对")


def _credit() -> Scene:
    transfer, places = _transfer("accept", "out", "in")
    scene = _staff(transfer, "clerk", places.changde, Transfer.State.COMPLETED)
    scene.shows = _arriving(transfer)
    return scene


def _confirm_credit() -> Scene:
    transfer, places = _transfer("accept", "out", "in", "credit", second_at="destination")
    scene = _staff(transfer, "supervisor", places.changde, Transfer.State.COMPLETED)
    scene.shows = _arriving(transfer)
    return scene


def _send_back_credit() -> Scene:
    transfer, places = _transfer("accept", "out", "in", "credit", second_at="destination")
    return _staff(transfer, "supervisor", places.changde, Transfer.State.TRANSFERRED_IN, "金额有误")


def _reconcile_credit() -> Scene:
    transfer, places = _transfer("accept", "out", "in", "credit short")
    scene = _staff(transfer, "supervisor", places.changde, Transfer.State.COMPLETED, "按实收记账")
    scene.shows = (*_arriving(transfer, "900.00"), "100.00")
    return scene


def _reconcile_return() -> Scene:
    transfer, places = _transfer("accept", "out", "in", "credit short")
    scene = _staff(transfer, "supervisor", places.changde, Transfer.State.RETURNED, "退回转出地")
    scene.shows = ("1000.00", str(transfer.origin_account_id), "东莞市")
    return scene


# --- withdrawals and emergency refunds: 东莞, 1000 + 400 yuan -----------------------------


def _agency(second_person: bool = False) -> Agency:
    dongguan = guangdong_regions()["dongguan"]
    agency = AgencyFactory(code="441900-01", name="东莞医保", region=dongguan)
    _second_person(agency, second_person)
    return agency


def _withdrawal(*moves: str, second_person: bool = False) -> tuple[Withdrawal, Any, Any]:
    agency = _agency(second_person)
    clerk, reviewer = clerk_and_reviewer(agency)
    withdrawal = submit(account_in(agency))
    for move in moves:
        if move == "first review":
            withdrawal_services.withdrawal_first_review(withdrawal=withdrawal, by=clerk)
        elif move == "approve":
            withdrawal_services.withdrawal_approve(withdrawal=withdrawal, by=reviewer)
        elif move == "pay":
            payout.withdrawal_pay(withdrawal=withdrawal, by=clerk)
    withdrawal = Withdrawal.objects.get(pk=withdrawal.pk)
    return withdrawal, clerk, reviewer


def _payee(withdrawal: Withdrawal) -> tuple[str, ...]:
    return ("1000.00", str(withdrawal.account_id), withdrawal.payee_name, GOOD_CARD[-4:])


def _withdrawal_refuse() -> Scene:
    withdrawal, clerk, _ = _withdrawal()
    return Scene(withdrawal, clerk, Withdrawal.State.REFUSED, note="材料不符")


def _withdrawal_refuse_on_review() -> Scene:
    withdrawal, _, reviewer = _withdrawal("first review")
    return Scene(withdrawal, reviewer, Withdrawal.State.REFUSED, "材料不符")


def _withdrawal_cancel() -> Scene:
    withdrawal, _, _ = _withdrawal()
    user = applicant_of(withdrawal.account)
    return Scene(withdrawal, user, Withdrawal.State.CANCELLED)


def _pay() -> Scene:
    withdrawal, clerk, _ = _withdrawal("first review", "approve")
    # Paid, then the account closed in the same step.
    scene = Scene(withdrawal, clerk, Withdrawal.State.CLOSED)
    scene.shows = _payee(withdrawal)
    return scene


def _confirm_payout() -> Scene:
    withdrawal, _, _ = _withdrawal("first review", "approve", "pay", second_person=True)
    colleague = staff_user("clerk", withdrawal.case.agency, "second-clerk")
    scene = Scene(withdrawal, colleague, Withdrawal.State.CLOSED)
    scene.shows = _payee(withdrawal)
    return scene


def _send_back_payout() -> Scene:
    withdrawal, _, _ = _withdrawal("first review", "approve", "pay", second_person=True)
    colleague = staff_user("clerk", withdrawal.case.agency, "second-clerk")
    return Scene(withdrawal, colleague, Withdrawal.State.APPROVED, "卡号有误")


def _refund(*, approved: bool) -> tuple[EmergencyRefund, Any]:
    agency = _agency()
    clerk, _ = clerk_and_reviewer(agency)
    account = account_in(agency)
    user = applicant_of(account)
    refund = refunds.emergency_refund_submit(
        account=account,
        amount=Decimal("860.50"),
        hospital="东莞市人民医院",
        treated_on=today() - datetime.timedelta(days=3),
        receipts=[upload("receipt.pdf")],
        by=user,
        applicant=user,
    )
    if approved:
        refunds.emergency_refund_approve(refund=refund, by=clerk)
    return EmergencyRefund.objects.get(pk=refund.pk), clerk


def _refund_refuse() -> Scene:
    refund, clerk = _refund(approved=False)
    return Scene(refund, clerk, EmergencyRefund.State.REFUSED, "收据不全")


def _refund_credit() -> Scene:
    refund, clerk = _refund(approved=True)
    scene = Scene(refund, clerk, EmergencyRefund.State.CREDITED)
    scene.shows = ("860.50", str(refund.account_id), refund.account.person.name)
    return scene


# --- family-pool bindings: a 东莞 holder, a 常德 parent -----------------------------------


def _online_review(needed: bool) -> None:
    RegionPolicy.objects.update_or_create(
        region=regions()["dongguan"], defaults={"family_pool_online_review": needed or None}
    )


def _sharing(binding: Binding) -> tuple[str, ...]:
    return (binding.relative.name, str(binding.holder_account_id), binding.holder.name)


def _reject() -> Scene:
    _online_review(True)
    binding = bind(holder(), insured())
    clerk = staff_user("clerk", Agency.objects.get(code="441900-01"))
    scene = Scene(binding, clerk, Binding.State.REJECTED, "亲属关系证明不清")
    scene.shows = _sharing(binding)
    return scene


def _decline() -> Scene:
    _online_review(False)
    owner, relative = holder(), insured()
    binding = pool_services.binding_request(
        by=applicant(relative),
        other_id_number=owner.id_number,
        other_name=owner.name,
        relation="child",
        as_holder=False,
    )
    scene = Scene(binding, applicant(owner), Binding.State.REJECTED)
    scene.shows = _sharing(binding)
    return scene


def _end() -> Scene:
    _online_review(False)
    owner = holder()
    binding = bind(owner, insured())
    scene = Scene(binding, applicant(owner), Binding.State.ENDED)
    scene.shows = _sharing(binding)
    return scene


SCENES: dict[tuple[type[models.Model], str], Callable[[], Scene]] = {
    (Binding, "reject"): _reject,
    (Binding, "decline"): _decline,
    (Binding, "end"): _end,
    (Transfer, "refuse"): _transfer_refuse,
    (Transfer, "cancel"): _transfer_cancel,
    (Transfer, "transfer_out"): _transfer_out,
    (Transfer, "confirm_transfer_out"): _confirm_transfer_out,
    (Transfer, "send_back_transfer_out"): _send_back_transfer_out,
    (Transfer, "credit"): _credit,
    (Transfer, "confirm_credit"): _confirm_credit,
    (Transfer, "send_back_credit"): _send_back_credit,
    (Transfer, "reconcile_credit"): _reconcile_credit,
    (Transfer, "reconcile_return"): _reconcile_return,
    (Withdrawal, "refuse"): _withdrawal_refuse,
    (Withdrawal, "refuse_on_review"): _withdrawal_refuse_on_review,
    (Withdrawal, "cancel"): _withdrawal_cancel,
    (Withdrawal, "pay"): _pay,
    (Withdrawal, "confirm_payout"): _confirm_payout,
    (Withdrawal, "send_back_payout"): _send_back_payout,
    (EmergencyRefund, "refuse"): _refund_refuse,
    (EmergencyRefund, "credit"): _refund_credit,
}


def _id(key: tuple[type[models.Model], str]) -> str:
    return f"{key[0].__name__}.{key[1]}"


# Collected from the declarations: a step flagged later is a case here with no scene (fails).
FLAGGED = sorted(flagged(), key=_id)


def test_every_flagged_step_has_a_scene() -> None:
    assert {_id(k) for k in SCENES} == {_id(k) for k in FLAGGED}


def test_every_step_that_moves_money_says_how_much_and_where() -> None:
    money = [key for key in FLAGGED if steps.declared(key[0])[key[1]].moves_money]

    assert [_id(key) for key in money if not steps.summarised(*key)] == []


# --- in the browser ----------------------------------------------------------------------


def _state(obj: Any) -> str:
    return str(type(obj).objects.values_list("state", flat=True).get(pk=obj.pk))


def _words(scene: Scene, name: str, language: str) -> tuple[str, str]:
    """The step's label and summary as a page in this language shows them."""
    with translation.override(language):
        step = steps.declared(type(scene.obj))[name]
        return str(step.label), steps.summary_of(scene.obj, name)


def _irreversible() -> str:
    with translation.override("zh-hans"):
        return gettext("This step cannot be undone.")


def _language(page: Any, language: str) -> None:
    """The language switch's cookie, then the same page again."""
    cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": page.url}
    page.context.add_cookies([cookie])
    page.reload()


def _context(browser: Any, live_server: Any, **options: Any) -> Any:
    # Reduced motion: Bootstrap then shows and hides the dialog without its fade.
    return browser.new_context(
        base_url=live_server.url, locale="zh-CN", reduced_motion="reduce", **options
    )


def _sign_in(page: Any, user: Any, base: str) -> None:
    """A session for `user`, as the login page would open (the login itself is tested in
    test_login.py; here it would only double each step's time)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}]
    )


def _open(page: Any, scene: Scene, name: str, base: str) -> Any:
    """Sign in as the scene's user, open the case, fill what the step needs: its form."""
    _sign_in(page, scene.user, base)
    page.goto(scene.obj.case.get_absolute_url())
    form = page.locator(f"form[data-action={name}]")
    if scene.note:
        form.locator("textarea[name=note]").fill(scene.note)
    return form


def _dialog(page: Any, form: Any) -> Any:
    dialog = page.locator(f"#{form.get_attribute('data-confirm-dialog')}")
    form.locator("button[name=action]").click()
    expect(dialog).to_be_visible()
    return dialog


def _go_back(dialog: Any) -> None:
    dialog.locator(".modal-footer button[data-bs-dismiss=modal]").click()
    expect(dialog).to_be_hidden()


def _shot(page: Any, name: str) -> None:
    if folder := os.environ.get("PORTAL_SCREENSHOTS"):
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png")


# Every dialog is shot in Chinese; one of each kind in English too (its words checked).
SHOTS = {(Withdrawal, "pay"), (Transfer, "refuse")}


def _in_english(page: Any, scene: Scene, key: tuple[type[models.Model], str], form: Any) -> None:
    name = key[1]
    _go_back(page.locator(f"#{form.get_attribute('data-confirm-dialog')}"))
    _language(page, "en")
    form = page.locator(f"form[data-action={name}]")
    if scene.note:
        form.locator("textarea[name=note]").fill(scene.note)
    dialog = _dialog(page, form)
    _shot(page, f"confirm-{_id(key)}-en")
    label, summary = _words(scene, name, "en")
    assert label in dialog.inner_text()
    assert summary in dialog.inner_text()
    _go_back(dialog)
    _language(page, "zh-hans")


def _asks_then_acts(page: Any, key: tuple[type[models.Model], str], base: str) -> None:
    model, name = key
    scene = SCENES[key]()
    before = _state(scene.obj)
    label, summary = _words(scene, name, "zh-hans")
    form = _open(page, scene, name, base)
    url = page.url

    dialog = _dialog(page, form)
    _shot(page, f"confirm-{_id(key)}-zh")
    step = steps.declared(model)[name]
    text = dialog.inner_text()
    assert label in text
    assert scene.obj.case.reference in text
    if step.moves_money:
        assert scene.shows
    if summary:
        assert summary in dialog.locator(".consequence").inner_text()
    assert all(figure in summary for figure in scene.shows), (summary, scene.shows)
    if step.destructive:
        assert _irreversible() in text
    if key in SHOTS:
        _in_english(page, scene, key, form)
    else:
        _go_back(dialog)

    assert page.url == url
    assert _state(scene.obj) == before

    form = page.locator(f"form[data-action={name}]")
    if scene.note and not form.locator("textarea[name=note]").input_value():
        form.locator("textarea[name=note]").fill(scene.note)
    dialog = _dialog(page, form)
    with page.expect_navigation():
        dialog.locator("button[name=confirmed]").click()

    expect(page.locator(".alert-success")).to_be_visible()
    assert _state(scene.obj) == scene.target


def _without_a_script(browser: Any, base: str) -> None:
    """The server's own page asks: going back changes nothing, confirming pays."""
    scene = _pay()
    _, summary = _words(scene, "pay", "zh-hans")
    context = browser.new_context(base_url=base, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    form = _open(page, scene, "pay", base)
    case_url = page.url

    with page.expect_navigation():
        form.locator("button[name=action]").click()
    asking = page.locator(".confirm-page")
    _shot(page, "confirm-without-script-zh")
    assert summary in asking.inner_text()
    assert _state(scene.obj) == Withdrawal.State.APPROVED
    with page.expect_navigation():
        asking.locator(f"a[href='{scene.obj.case.get_absolute_url()}']").click()

    assert page.url == case_url
    assert _state(scene.obj) == Withdrawal.State.APPROVED

    with page.expect_navigation():
        page.locator("form[data-action=pay] button[name=action]").click()
    with page.expect_navigation():
        page.locator(".confirm-page button[name=confirmed]").click()

    assert page.url == case_url
    assert _state(scene.obj) == Withdrawal.State.CLOSED
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_each_step_asks_first_and_only_confirming_acts(browser, live_server, subtests):
    # One database and one browser context for every step: a flush between steps would cost
    # more than the step; each scene builds its own case, one after the other.
    context = _context(browser, live_server)
    page = context.new_page()
    page.set_default_timeout(15_000)

    for key in FLAGGED:
        with subtests.test(step=_id(key)):
            _asks_then_acts(page, key, live_server.url)
    context.close()

    with subtests.test(step="Withdrawal.pay without a script"):
        _without_a_script(browser, live_server.url)
