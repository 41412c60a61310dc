"""One small world for the access matrix: a case of every kind in one agency (Dongguan), each
with its applicant, and every staff role in that agency and in an unrelated one (Guangzhou).

Built once per module through the real services, so that every page has something to show
and every step endpoint has something it could really do."""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.choices import WithdrawalGround
from accounts.freezes.models import AccountFreeze, FreezeKind
from accounts.freezes.services import account_freeze
from accounts.models import (
    Agency,
    Enrollment,
    InsuredPerson,
    LedgerEntry,
    LedgerTransaction,
    RegionPolicy,
    Scheme,
    User,
)
from cases.models import Document, Notification
from cases.notifications import notify
from family_pool import services as pool
from family_pool.charging.charges import charge_create
from family_pool.charging.results import ChargeRefused
from family_pool.models import Binding, Charge, FlaggedCharge, Relation
from tests.accounts.factories import UserFactory, staff_user
from tests.cases.factories import CalendarOverrideFactory, CalendarYearFactory
from tests.family_pool.factories import card, holder, institution_with_key, insured
from tests.transfers.factories import mover, photo, world
from tests.withdrawals.factories import (
    GOOD_CARD,
    account_in,
    application_for,
    documents_for,
    upload,
)
from transfers import services as transfers
from transfers.choices import TransferType
from transfers.models import Transfer
from withdrawals.models import EmergencyRefund, Withdrawal
from withdrawals.refunds import emergency_refund_submit
from withdrawals.services import withdrawal_submit

ROLES = ("clerk", "reviewer", "supervisor", "auditor", "sysadmin")
SIDES = ("same", "other")
PERSONAS = (
    "anon",
    "own",
    "other",
    *(f"{role}_{side}" for side in SIDES for role in ROLES),
)


@dataclass
class World:
    dongguan: Agency
    changde: Agency
    guangzhou: Agency
    transfer: Transfer  # in reconciliation: its information table and mismatch exist
    transfer_new: Transfer  # just applied: the origin clerk can accept it
    payout_transfer: Transfer  # paid out to the bank
    transfer_refused: Transfer  # refused at intake: its refusal notice exists
    withdrawal: Withdrawal
    refund: EmergencyRefund
    binding: Binding  # active
    binding_pending: Binding  # waits for the agency's review
    document: Document
    notification: Notification
    flag: FlaggedCharge
    charge: Charge
    freeze: AccountFreeze  # active, on an account of Dongguan
    api_key: str
    users: dict[str, User] = field(default_factory=dict)
    owners: dict[str, User] = field(default_factory=dict)  # target name -> its applicant
    stranger: User | None = None
    _clients: dict[str, Client] = field(default_factory=dict)

    def client_for(self, user: User | None) -> Client:
        key = "anon" if user is None else str(user.pk)
        if key not in self._clients:
            client = Client()
            if user is not None:
                client.force_login(user)
            self._clients[key] = client
        return self._clients[key]


def _applicant(person: InsuredPerson, name: str) -> User:
    return UserFactory(
        username=name, person=person, mobile=person.phone, email=f"{name}@example.com"
    )


def _transfer_in_reconciliation(dg: Agency, cd: Agency, clerk: User, cd_clerk: User) -> Transfer:
    person = mover(dg, cd)
    user = _applicant(person, "t-owner")
    transfer = transfers.transfer_apply(
        person=person,
        origin_agency=dg,
        destination_agency=cd,
        transfer_type=TransferType.EMPLOYEE,
        contact_phone="13900000001",
        by=user,
        id_card_front=photo(),
        id_card_back=photo(),
    )
    case = transfer.case
    transfers.transfer_accept(case=case, by=clerk)
    transfers.transfer_out(case=case, by=clerk)
    transfers.transfer_in(case=case, by=cd_clerk)
    transfers.transfer_credit(case=case, by=cd_clerk, received_amount="1.00")
    return Transfer.objects.get(pk=case.pk)


def _transfer_paid_to_bank(dg: Agency, cd: Agency, clerk: User) -> Transfer:
    person = mover(dg, cd, destination_scheme=Scheme.RESIDENT)
    transfer = transfers.transfer_apply(
        person=person,
        origin_agency=dg,
        destination_agency=cd,
        transfer_type=TransferType.EMPLOYEE_TO_RESIDENT,
        contact_phone="13900000002",
        by=clerk,
        bank={"bank_name": "中国工商银行", "number": GOOD_CARD, "holder": person.name},
    )
    transfers.transfer_accept(case=transfer.case, by=clerk)
    transfers.transfer_out(case=transfer.case, by=clerk)
    return Transfer.objects.get(pk=transfer.pk)


def _new_transfer(dg: Agency, cd: Agency) -> Transfer:
    person = mover(dg, cd)
    user = _applicant(person, "t2-owner")
    return transfers.transfer_apply(
        person=person,
        origin_agency=dg,
        destination_agency=cd,
        transfer_type=TransferType.EMPLOYEE,
        contact_phone="13900000003",
        by=user,
        id_card_front=photo(),
        id_card_back=photo(),
    )


def _refused_transfer(dg: Agency, cd: Agency, clerk: User) -> Transfer:
    person = mover(dg, cd, in_arrears=True)
    _applicant(person, "tr-owner")
    transfer = transfers.transfer_apply(
        person=person,
        origin_agency=dg,
        destination_agency=cd,
        transfer_type=TransferType.EMPLOYEE,
        contact_phone="13900000004",
        by=clerk,
    )
    transfers.transfer_refuse(case=transfer.case, by=clerk)
    return Transfer.objects.select_related("case__applicant").get(pk=transfer.pk)


def _withdrawal(dg: Agency) -> Withdrawal:
    account = account_in(dg)
    user = _applicant(account.person, "w-owner")
    ground = WithdrawalGround.SERIOUS_ILLNESS
    return withdrawal_submit(
        account=account,
        application=application_for(account, ground),
        documents=documents_for(ground),
        by=user,
        applicant=user,
    )


def _refund(dg: Agency) -> EmergencyRefund:
    account = account_in(dg)
    user = _applicant(account.person, "r-owner")
    return emergency_refund_submit(
        account=account,
        amount="300.00",
        hospital="东莞市人民医院",
        treated_on=timezone.localdate() - datetime.timedelta(days=3),
        receipts=[upload("receipts.png")],
        by=user,
        applicant=user,
    )


def _bindings(clerk: User) -> tuple[Binding, Binding, User]:
    owner = holder("5000.00")
    user = _applicant(owner, "b-owner")
    parent = insured(birth=datetime.date(1955, 3, 1))
    active = pool.binding_open_at_window(
        by=clerk,
        holder=owner,
        relative=parent,
        relation=Relation.PARENT,
        kinship_proof=upload("hukou.png"),
    )
    RegionPolicy.objects.update_or_create(
        region_id="441900", defaults={"family_pool_online_review": True}
    )
    child = insured(birth=datetime.date(2010, 5, 1), region_code="441900")
    pending = pool.binding_request(
        by=user,
        other_id_number=child.id_number,
        other_name=child.name,
        relation=Relation.CHILD,
        as_holder=True,
    )
    assert pending.state == Binding.State.PENDING, pending.state
    return active, pending, user


def _charges(binding: Binding) -> tuple[Charge, FlaggedCharge, str]:
    institution, key = institution_with_key(region_id="441900")
    patient_card = card(binding.relative)
    holder_card = card(binding.holder)
    result = charge_create(
        institution=institution,
        id_number=binding.relative.id_number,
        card_number=patient_card.number,
        amount="12.50",
        category="hospital_self_pay",
        settlement_number="ACCESS-1",
    )
    # The holder's card shown for the relative: refused and flagged (冒名就医).
    with contextlib.suppress(ChargeRefused):
        charge_create(
            institution=institution,
            id_number=binding.relative.id_number,
            card_number=holder_card.number,
            amount="20.00",
            category="hospital_self_pay",
            settlement_number="ACCESS-2",
        )
    return result.charge, FlaggedCharge.objects.get(settlement_number="ACCESS-2"), key


def _admin_rows(users: dict[str, User]) -> None:
    """One row of each admin-registered model the cases above did not make."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from audit.services import audit_record

    CalendarOverrideFactory()
    CalendarYearFactory()
    audit_record(action="login", user=users["clerk_same"])
    attempt = {"user_agent": "test", "ip_address": "127.0.0.1", "username": "someone"}
    AccessAttempt.objects.create(**attempt, failures_since_start=1, get_data="", post_data="")
    AccessLog.objects.create(**attempt)
    AccessFailureLog.objects.create(**attempt)
    TOTPDevice.objects.create(user=UserFactory(username="device-owner"), name="phone")


def build_world() -> World:
    Group.objects.get(name="sysadmin")  # the roles exist (synced after migrate)
    places = world()
    dg, cd, gz = places.dongguan, places.changde, places.guangzhou
    users: dict[str, User] = {}
    for side, agency in (("same", dg), ("other", gz)):
        for role in ROLES:
            users[f"{role}_{side}"] = staff_user(role, agency)
    clerk, cd_clerk = users["clerk_same"], staff_user("clerk", cd)

    transfer = _transfer_in_reconciliation(dg, cd, clerk, cd_clerk)
    payout_transfer = _transfer_paid_to_bank(dg, cd, clerk)
    transfer_new = _new_transfer(dg, cd)
    transfer_refused = _refused_transfer(dg, cd, clerk)
    withdrawal = _withdrawal(dg)
    refund = _refund(dg)
    binding, binding_pending, binding_user = _bindings(clerk)
    charge, flag, key = _charges(binding)

    w_user = withdrawal.case.applicant
    assert w_user is not None
    notification = notify(
        recipient=w_user,
        case=withdrawal.case,
        channels=(Notification.Channel.INBOX,),
        message=("access matrix", "a notification to read"),
    )[0]
    stranger_account = account_in(dg)
    stranger = _applicant(stranger_account.person, "stranger")
    frozen_account = account_in(dg)
    freeze = account_freeze(
        account=frozen_account,
        kind=FreezeKind.JUDICIAL,
        reason="court order",
        document=upload("order.pdf"),
        by=users["supervisor_same"],
    )
    frozen_owner = _applicant(frozen_account.person, "f-owner")
    _admin_rows(users)

    owners: dict[str | None, User | None] = {
        "transfer": transfer.case.applicant,
        "transfer_new": transfer_new.case.applicant,
        "transfer_refused": transfer_refused.case.applicant,
        "withdrawal": w_user,
        "refund": refund.case.applicant,
        "binding": binding_user,
        "binding_pending": binding_user,
        "document": w_user,
        "notification": w_user,
        "flag": binding_user,
        "person": binding_user,
        "account": frozen_owner,
        "freeze": frozen_owner,
        None: w_user,
    }
    built = World(
        dongguan=dg,
        changde=cd,
        guangzhou=gz,
        transfer=transfer,
        transfer_new=transfer_new,
        payout_transfer=payout_transfer,
        transfer_refused=transfer_refused,
        withdrawal=withdrawal,
        refund=refund,
        binding=binding,
        binding_pending=binding_pending,
        document=Document.objects.filter(case=withdrawal.case).order_by("pk").first(),
        notification=notification,
        flag=flag,
        charge=charge,
        freeze=freeze,
        api_key=key,
        users=users,
        owners=owners,  # type: ignore[arg-type]
        stranger=stranger,
    )
    # Signed in now, inside the module's transaction: a session made inside one test would
    # be rolled back with it.
    for user in [None, stranger, *users.values(), *owners.values()]:
        built.client_for(user)
    return built


def state_fingerprint() -> tuple[Any, ...]:
    """Everything a step could change; equal before and after means nothing was done."""
    from cases.models import Case, CaseEvent

    return (
        CaseEvent.objects.count(),
        Document.objects.count(),
        Notification.objects.count(),
        Notification.objects.filter(read_at__isnull=False).count(),
        sorted(Case.objects.values_list("pk", "state", "assignee_id", "closed_at", "due_on")),
        sorted(Binding.objects.values_list("pk", "state", "quota", "priority")),
        sorted(EmergencyRefund.objects.values_list("pk", "state")),
        sorted(Withdrawal.objects.values_list("pk", "state")),
        sorted(Transfer.objects.values_list("pk", "state")),
        LedgerEntry.objects.count(),
        LedgerTransaction.objects.count(),
        FlaggedCharge.objects.filter(reviewed_at__isnull=False).count(),
        Enrollment.objects.filter(status=Enrollment.Status.ACTIVE).count(),
        sorted(AccountFreeze.objects.values_list("pk", "lifted_at")),
    )
