"""Each workflow step is declared once, on its transition. For every workflow, in each state a
case passes through, and for every role of both agencies: the buttons on the case page, the
steps the services accept from that person, and the steps the declarations offer are the same
set, and each button carries its declared label."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from accounts.choices import WithdrawalGround
from accounts.models import Agency, RegionPolicy
from cases import steps
from cases.errors import CaseError
from cases.models import DocumentKind
from family_pool.models import Binding
from tests.accounts.factories import staff_user
from tests.family_pool.factories import bind, holder, insured, regions
from tests.transfers.factories import mover, window_transfer, world
from tests.withdrawals.factories import account_in, clerk_and_reviewer, submit, upload
from transfers import services as transfer_services
from transfers.models import Transfer
from withdrawals import refunds
from withdrawals import services as withdrawal_services
from withdrawals.models import EmergencyRefund, Withdrawal
from withdrawals.payout import withdrawal_pay

pytestmark = pytest.mark.django_db

ROLES = ("clerk", "reviewer", "supervisor", "auditor", "sysadmin")
# Refusals that mean "not this step, not by you, not now"; any other outcome (done, or a
# refusal of what was typed or of what is missing) means the service let the person take it.
REFUSED = {"forbidden", "wrong_state", "four_eyes", "check_failed", "no_consent", "accepted"}
GIVEN = steps.Given(note="审核说明", amount=Decimal("1.00"), kinds=(DocumentKind.OTHER,))


class _Rollback(Exception):
    pass


def _staff(agencies: list[Agency]) -> list[Any]:
    return [
        staff_user(role, agency, f"{agency.code}-{role}") for agency in agencies for role in ROLES
    ]


def _accepted(obj: Any, user: Any) -> set[str]:
    names = set()
    for name, step in steps.declared(type(obj)).items():
        if step.internal:
            continue
        try:
            with transaction.atomic():
                fresh = type(obj).objects.get(pk=obj.pk)
                steps.perform(fresh, name, by=user, given=GIVEN)
                raise _Rollback
        except _Rollback:
            names.add(name)
        except CaseError as exc:
            if exc.code not in REFUSED:
                names.add(name)
    return names


def _buttons(client: Any, user: Any, obj: Any) -> dict[str, str]:
    client.force_login(user)
    response = client.get(obj.case.get_absolute_url())
    if response.status_code != 200:
        return {}
    page = response.content.decode()
    forms = re.findall(r'data-action="(\w+)".*?<button[^>]*>([^<]+)</button>', page, re.S)
    return {name: label.strip() for name, label in forms}


def _assert_one_source(client: Any, obj: Any, users: list[Any]) -> set[str]:
    seen: set[str] = set()
    declared = {n for n, s in steps.declared(type(obj)).items() if not s.internal}
    for user in users:
        obj = type(obj).objects.get(pk=obj.pk)
        offered = {offer.name for offer in steps.offered(user, obj)}
        buttons = _buttons(client, user, obj)
        accepted = _accepted(obj, user)

        assert offered <= declared
        assert set(buttons) == offered, (user.username, obj.state)
        assert accepted == offered, (user.username, obj.state)
        for name, label in buttons.items():
            assert label == str(steps.declared(type(obj))[name].label)
        seen |= offered
    return seen


def _transfer_states(places: Any) -> tuple[list[Callable[[], Transfer]], ...]:
    """The states a transfer passes through: with one person on money, then with two."""
    clerk_o = staff_user("clerk", places.dongguan, "o-clerk")
    supervisor_o = staff_user("supervisor", places.dongguan, "o-supervisor")
    clerk_d = staff_user("clerk", places.changde, "d-clerk")

    def applied() -> Transfer:
        return window_transfer(
            mover(places.dongguan, places.changde), places.dongguan, places.changde
        )

    def refused_by_the_check() -> Transfer:
        person = mover(places.dongguan, places.changde, origin_status="active")
        return window_transfer(person, places.dongguan, places.changde)

    def after(*moves: Callable[[Transfer], object]) -> Callable[[], Transfer]:
        def build() -> Transfer:
            transfer = applied()
            for move in moves:
                move(transfer)
            return Transfer.objects.get(pk=transfer.pk)

        return build

    def accept(t: Transfer) -> object:
        return transfer_services.transfer_accept(case=t.case, by=clerk_o)

    def ask(t: Transfer) -> object:
        return transfer_services.transfer_request_documents(case=t.case, by=clerk_o, note="户口簿")

    def out(t: Transfer) -> object:
        return transfer_services.transfer_out(case=t.case, by=clerk_o)

    def in_(t: Transfer) -> object:
        return transfer_services.transfer_in(case=t.case, by=clerk_d)

    def short(t: Transfer) -> object:
        return transfer_services.transfer_credit(case=t.case, by=clerk_d, received_amount="1.00")

    def ask_at_destination(t: Transfer) -> object:
        return transfer_services.transfer_request_documents(case=t.case, by=clerk_d, note="户口簿")

    def confirm_out(t: Transfer) -> object:
        return transfer_services.transfer_out_confirm(case=t.case, by=supervisor_o)

    def whole(t: Transfer) -> object:
        return transfer_services.transfer_credit(case=t.case, by=clerk_d, received_amount="1000.00")

    one_person = [
        applied,
        refused_by_the_check,
        after(ask),
        after(accept),
        after(accept, out),
        after(accept, out, ask_at_destination),
        after(accept, out, in_),
        after(accept, out, in_, short),
    ]
    two_people = [after(accept, out), after(accept, out, confirm_out, in_, whole)]
    return one_person, two_people


def test_transfer_buttons_services_and_declarations_are_one_set(client):
    places = world()
    users = _staff([places.dongguan, places.changde])
    seen: set[str] = set()

    one_person, two_people = _transfer_states(places)
    for build in one_person:
        seen |= _assert_one_source(client, build(), users)
    for agency in (places.dongguan, places.changde):
        RegionPolicy.objects.update_or_create(
            region=agency.region, defaults={"second_person_from": Decimal("500.00")}
        )
    for build in two_people:
        seen |= _assert_one_source(client, build(), users)

    assert seen == {n for n, s in steps.declared(Transfer).items() if not s.internal}


def test_withdrawal_and_refund_buttons_services_and_declarations_are_one_set(client):
    places = world()
    agency = Agency.objects.get(pk=places.dongguan.pk)
    users = _staff([agency, places.changde])
    clerk, reviewer = clerk_and_reviewer(agency)
    other_clerk = users[0]
    seen: set[str] = set()

    submitted = submit(account_in(agency), WithdrawalGround.SERIOUS_ILLNESS)
    waiting = submit(account_in(agency), WithdrawalGround.SERIOUS_ILLNESS)
    withdrawal_services.withdrawal_request_documents(
        withdrawal=waiting, by=clerk, kinds=[DocumentKind.OTHER]
    )
    reviewed = submit(account_in(agency), WithdrawalGround.SERIOUS_ILLNESS)
    # Reviewed by a clerk outside the role list, so every listed reviewer may approve it …
    withdrawal_services.withdrawal_first_review(withdrawal=reviewed, by=clerk)
    # … and by one of them, who then may not.
    self_reviewed = submit(account_in(agency), WithdrawalGround.SERIOUS_ILLNESS)
    withdrawal_services.withdrawal_first_review(withdrawal=self_reviewed, by=other_clerk)
    prepared = submit(account_in(agency), WithdrawalGround.SERIOUS_ILLNESS)
    withdrawal_services.withdrawal_first_review(withdrawal=prepared, by=clerk)
    withdrawal_services.withdrawal_approve(withdrawal=prepared, by=reviewer)
    RegionPolicy.objects.update_or_create(
        region=agency.region, defaults={"second_person_from": Decimal("1.00")}
    )
    withdrawal_pay(withdrawal=prepared, by=clerk)
    RegionPolicy.objects.filter(region=agency.region).update(second_person_from=None)
    approved = submit(account_in(agency), WithdrawalGround.SERIOUS_ILLNESS)
    withdrawal_services.withdrawal_first_review(withdrawal=approved, by=clerk)
    withdrawal_services.withdrawal_approve(withdrawal=approved, by=reviewer)
    for withdrawal in (submitted, waiting, reviewed, self_reviewed, approved, prepared):
        seen |= _assert_one_source(client, withdrawal, users)

    # Cancelling is the applicant's step, not staff's.
    assert seen == {n for n, s in steps.declared(Withdrawal).items() if not s.internal} - {"cancel"}

    refund = refunds.emergency_refund_submit(
        account=account_in(agency),
        amount=Decimal("300.00"),
        hospital="东莞市人民医院",
        treated_on=submitted.case.created_at.date(),
        receipts=[_receipt()],
        by=clerk,
    )
    refund_seen = _assert_one_source(client, refund, users)
    refunds.emergency_refund_approve(refund=refund, by=clerk)
    refund_seen |= _assert_one_source(client, refund, users)

    assert refund_seen == {n for n, s in steps.declared(EmergencyRefund).items() if not s.internal}


def _receipt() -> Any:
    return upload("receipt.png")


def test_binding_buttons_services_and_declarations_are_one_set(client):
    places = regions()
    dongguan = Agency.objects.get(region=places["dongguan"])
    changde = Agency.objects.get(region=places["changde"])
    users = _staff([dongguan, changde])
    active = bind(holder(), insured())
    RegionPolicy.objects.update_or_create(
        region=places["dongguan"], defaults={"family_pool_online_review": True}
    )
    pending = bind(holder(), insured())
    seen: set[str] = set()

    for binding in (pending, active):
        seen |= _assert_one_source(client, binding, users)

    # The holder's "decline" is answered in its own section, never a staff button.
    assert seen == {"approve", "reject", "end"}
    assert Binding.objects.get(pk=pending.pk).state == Binding.State.PENDING
