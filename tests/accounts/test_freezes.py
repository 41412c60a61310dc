"""account_freeze and account_unfreeze: who may, what the account becomes, what is recorded."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.errors import AccountsError
from accounts.freezes.models import AccountFreeze, FreezeKind
from accounts.freezes.selectors import frozen_because
from accounts.freezes.services import account_freeze, account_unfreeze
from accounts.models import PersonalAccount
from audit.models import AuditAction, AuditEvent
from cases.models import Notification
from tests.accounts.factories import AgencyFactory, guangdong_regions, staff_user
from tests.withdrawals.factories import account_in, applicant_of, dongguan_agency, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def agency():
    return dongguan_agency()


@pytest.fixture
def supervisor(agency):
    return staff_user("supervisor", agency)


def _freeze(account, by, kind=FreezeKind.JUDICIAL, reason="(2026)粤1971执保123号"):
    return account_freeze(account=account, kind=kind, reason=reason, document=upload(), by=by)


def _unfreeze(freeze, by, reason="法院解除冻结裁定"):
    return account_unfreeze(freeze=freeze, reason=reason, document=upload("lift.pdf"), by=by)


def _status(account) -> str:
    account.refresh_from_db()
    return account.status


def test_a_supervisor_of_the_agency_freezes_and_unfreezes_an_account(agency, supervisor):
    account = account_in(agency)

    freeze = _freeze(account, supervisor)
    frozen = _status(account)
    _unfreeze(freeze, supervisor)

    freeze.refresh_from_db()
    assert frozen == PersonalAccount.Status.FROZEN
    assert _status(account) == PersonalAccount.Status.NORMAL
    assert (freeze.set_by, freeze.lifted_by) == (supervisor, supervisor)
    assert freeze.document.content_type == "image/png"
    assert freeze.lift_document.content_type == "application/pdf"
    assert freeze.lift_reason == "法院解除冻结裁定"
    assert list(
        AuditEvent.objects.filter(user=supervisor).order_by("pk").values_list("action", flat=True)
    ) == [AuditAction.ACCOUNT_FREEZE, AuditAction.ACCOUNT_UNFREEZE]


def test_the_holder_is_told_of_the_freeze_and_of_its_lifting(agency, supervisor):
    account = account_in(agency)
    holder = applicant_of(account)

    freeze = _freeze(account, supervisor)
    _unfreeze(freeze, supervisor)

    inbox = Notification.objects.filter(recipient=holder, channel=Notification.Channel.INBOX)
    subjects = list(inbox.order_by("pk").values_list("subject", flat=True))
    assert len(subjects) == 2
    assert "冻结" in subjects[0]
    assert "(2026)粤1971执保123号" not in inbox.first().body  # the internal note stays inside


def test_a_clerk_cannot_freeze(agency):
    account = account_in(agency)
    clerk = staff_user("clerk", agency)

    with pytest.raises(AccountsError) as refused:
        _freeze(account, clerk)

    assert refused.value.code == "forbidden"
    assert _status(account) == PersonalAccount.Status.NORMAL
    assert not AccountFreeze.objects.exists()


def test_a_supervisor_of_another_agency_can_neither_freeze_nor_unfreeze(agency, supervisor):
    account = account_in(agency)
    elsewhere = AgencyFactory(code="430700-01", region=guangdong_regions()["changde"])
    outsider = staff_user("supervisor", elsewhere)
    freeze = _freeze(account, supervisor)

    with pytest.raises(AccountsError) as on_freeze:
        _freeze(account, outsider)
    with pytest.raises(AccountsError) as on_unfreeze:
        _unfreeze(freeze, outsider)

    assert on_freeze.value.code == on_unfreeze.value.code == "forbidden"
    assert AccountFreeze.objects.filter(lifted_at__isnull=True).count() == 1
    assert _status(account) == PersonalAccount.Status.FROZEN


def test_overlapping_freezes_keep_the_account_frozen_until_the_last_is_lifted(agency, supervisor):
    account = account_in(agency)
    court = _freeze(account, supervisor)
    fraud = _freeze(account, supervisor, kind=FreezeKind.SUSPECTED_FRAUD, reason="冒名就医")

    _unfreeze(court, supervisor)
    after_first = _status(account)
    _unfreeze(fraud, supervisor)

    assert after_first == PersonalAccount.Status.FROZEN
    assert _status(account) == PersonalAccount.Status.NORMAL


def test_the_refusal_names_the_kinds_of_the_active_freezes(agency, supervisor):
    account = account_in(agency)
    _freeze(account, supervisor)
    _freeze(account, supervisor, kind=FreezeKind.DEATH_REPORTED, reason="家属报告死亡")

    words = frozen_because(account.pk)

    assert "Judicial freeze" in words
    assert "Death reported" in words
    assert "家属报告死亡" not in words


def test_a_freeze_is_lifted_once(agency, supervisor):
    account = account_in(agency)
    freeze = _freeze(account, supervisor)
    _unfreeze(freeze, supervisor)

    with pytest.raises(AccountsError) as refused:
        _unfreeze(freeze, supervisor)

    assert refused.value.code == "already_lifted"


@pytest.mark.parametrize(
    ("kind", "reason", "document", "code"),
    [
        ("holiday", "x", upload(), "bad_kind"),
        (FreezeKind.JUDICIAL, "  ", upload(), "reason_missing"),
        (
            FreezeKind.JUDICIAL,
            "x",
            SimpleUploadedFile(
                "order.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
            ),
            "bad_type",
        ),
    ],
)
def test_a_freeze_needs_a_kind_a_reason_and_a_real_document(
    agency, supervisor, kind, reason, document, code
):
    account = account_in(agency)

    with pytest.raises(AccountsError) as refused:
        account_freeze(account=account, kind=kind, reason=reason, document=document, by=supervisor)

    assert refused.value.code == code
    assert _status(account) == PersonalAccount.Status.NORMAL
