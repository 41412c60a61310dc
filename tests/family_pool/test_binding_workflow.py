"""A binding's life: review where the region asks for it, the holder's consent to a request
the relative made, the window, ending by either side or automatically, and the quota."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.clearing import clearing_of
from accounts.models import (
    ClearingAccount,
    Enrollment,
    LedgerTransaction,
    PersonalAccount,
    RegionPolicy,
)
from accounts.services import account_close, enrollment_end, ledger_debit
from accounts.signals import CoverageEnd, coverage_ended
from cases.errors import CaseError
from cases.models import CaseEvent, DocumentKind, Notification
from family_pool.models import Binding, Relation
from family_pool.services import (
    binding_approve,
    binding_consent,
    binding_end,
    binding_open_at_window,
    binding_reject,
    binding_request,
    binding_set_quota,
    bindings_set_order,
    reservations,
)
from tests.accounts.factories import staff_user
from tests.family_pool.factories import account_of, applicant, holder, insured

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    # A real image: the document check opens it, it does not trust the name.
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def _bind(owner, relative, relation=Relation.PARENT, *, as_holder=True):
    by, other = (owner, relative) if as_holder else (relative, owner)
    return binding_request(
        by=applicant(by),
        other_id_number=other.id_number,
        other_name=other.name,
        relation=relation,
        as_holder=as_holder,
    )


def _fresh(binding) -> Binding:
    return Binding.objects.get(pk=binding.pk)


def _review_online_bindings_in_dongguan(places):
    RegionPolicy.objects.create(region=places["dongguan"], family_pool_online_review=True)


# --- review and consent ------------------------------------------------------------------


def test_online_bindings_wait_for_review_where_the_region_asks_and_a_clerk_approves(places):
    _review_online_bindings_in_dongguan(places)
    owner, relative = holder(), insured()
    clerk = staff_user("clerk", _agency())

    binding = _bind(owner, relative)
    assert binding.state == Binding.State.PENDING

    binding_approve(binding=binding, by=clerk)

    assert _fresh(binding).state == Binding.State.ACTIVE
    assert _fresh(binding).case.state == "active"


def _agency():
    from accounts.models import Agency

    return Agency.objects.get(region_id="441900")


def test_a_clerk_rejects_with_a_reason_and_the_case_closes(places):
    _review_online_bindings_in_dongguan(places)
    binding = _bind(holder(), insured())
    clerk = staff_user("clerk", _agency())

    with pytest.raises(CaseError):
        binding_reject(binding=binding, by=clerk, reason=" ")
    binding_reject(binding=binding, by=clerk, reason="亲属关系不符")

    stored = _fresh(binding)
    assert stored.state == Binding.State.REJECTED
    assert stored.case.closed_at is not None
    assert stored.case.events.filter(action="reject", reason="亲属关系不符").exists()


def test_a_clerk_of_another_agency_or_a_reviewer_cannot_approve(places):
    _review_online_bindings_in_dongguan(places)
    binding = _bind(holder(), insured())
    from accounts.models import Agency

    outsider = staff_user("clerk", Agency.objects.get(region_id="430700"))
    reviewer = staff_user("reviewer", _agency())

    for user in (outsider, reviewer):
        with pytest.raises(CaseError) as caught:
            binding_approve(binding=binding, by=user)
        assert caught.value.code == "forbidden"


def test_a_request_by_the_relative_waits_for_the_holder_and_is_active_once_agreed(places):
    owner, relative = holder(), insured()

    binding = _bind(owner, relative, Relation.CHILD, as_holder=False)

    assert binding.state == Binding.State.PENDING
    assert binding.relation == Relation.PARENT  # the relative is the holder's parent
    assert Notification.objects.filter(address=owner.phone, channel="sms").exists()
    with pytest.raises(CaseError) as caught:
        binding_approve(binding=binding, by=staff_user("clerk", _agency()))
    assert caught.value.code == "no_consent"
    with pytest.raises(CaseError):
        binding_consent(binding=binding, by=applicant(relative), agree=True)

    binding_consent(binding=binding, by=applicant(owner), agree=True)

    assert _fresh(binding).state == Binding.State.ACTIVE


def test_the_holder_may_decline_a_request(places):
    owner, relative = holder(), insured()
    binding = _bind(owner, relative, Relation.CHILD, as_holder=False)

    binding_consent(binding=binding, by=applicant(owner), agree=False)

    assert _fresh(binding).state == Binding.State.REJECTED


def test_approval_checks_the_rules_again(places):
    _review_online_bindings_in_dongguan(places)
    owner, relative = holder(), insured()
    binding = _bind(owner, relative)
    Enrollment.objects.filter(person=relative).update(status=Enrollment.Status.STOPPED)

    with pytest.raises(CaseError):
        binding_approve(binding=binding, by=staff_user("clerk", _agency()))

    assert _fresh(binding).state == Binding.State.PENDING


# --- the window ------------------------------------------------------------------------------


def test_a_clerk_binds_at_the_window_with_the_kinship_proof(places):
    owner, relative = holder(), insured()
    clerk = staff_user("clerk", _agency())

    binding = binding_open_at_window(
        by=clerk,
        holder=owner,
        relative=relative,
        relation=Relation.PARENT,
        kinship_proof=SimpleUploadedFile("hukou.png", PNG, content_type="image/png"),
    )

    assert binding.state == Binding.State.ACTIVE
    assert binding.case.channel == "window"
    assert binding.case.documents.get().kind == DocumentKind.KINSHIP_PROOF


def test_the_window_needs_the_proof_and_a_clerk_of_the_holders_agency(places):
    from accounts.models import Agency

    owner, relative = holder(), insured()
    proof = SimpleUploadedFile("hukou.png", PNG, content_type="image/png")

    with pytest.raises(CaseError):
        binding_open_at_window(
            by=staff_user("clerk", _agency()),
            holder=owner,
            relative=relative,
            relation=Relation.PARENT,
            kinship_proof=None,
        )
    with pytest.raises(CaseError):
        binding_open_at_window(
            by=staff_user("clerk", Agency.objects.get(region_id="430700")),
            holder=owner,
            relative=relative,
            relation=Relation.PARENT,
            kinship_proof=proof,
        )
    with pytest.raises(CaseError):
        binding_open_at_window(
            by=staff_user("reviewer", _agency()),
            holder=owner,
            relative=relative,
            relation=Relation.PARENT,
            kinship_proof=proof,
        )

    assert not Binding.objects.exists()


# --- ending ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["holder", "relative"])
def test_either_side_may_end_the_binding(places, who):
    owner, relative = holder(), insured()
    binding = _bind(owner, relative)
    person = owner if who == "holder" else relative

    binding_end(binding=binding, by=applicant(person))

    stored = _fresh(binding)
    assert stored.state == Binding.State.ENDED
    assert stored.case.closed_at is not None
    assert stored.case.events.filter(action="end", actor__person=person).exists()


def test_a_stranger_cannot_end_a_binding(places):
    binding = _bind(holder(), insured())

    with pytest.raises(CaseError):
        binding_end(binding=binding, by=applicant(insured()))


def test_a_completed_transfer_ends_the_bindings_in_both_directions_once(places):
    owner, parent = holder(), insured()
    spouse = holder(birth=datetime.date(1981, 1, 1))
    as_holder = _bind(owner, parent)
    as_relative = _bind(spouse, owner, Relation.SPOUSE)
    unrelated = _bind(spouse, parent)

    coverage_ended.send(sender=None, person=owner, reason=CoverageEnd.TRANSFERRED, by=None)
    coverage_ended.send(sender=None, person=owner, reason=CoverageEnd.TRANSFERRED, by=None)

    for binding in (as_holder, as_relative):
        assert _fresh(binding).state == Binding.State.ENDED
        ends = CaseEvent.objects.filter(case_id=binding.pk, action="end")
        assert list(ends.values_list("actor_label", flat=True)) == ["system: transfer completed"]
    assert _fresh(unrelated).state == Binding.State.ACTIVE


def test_closing_the_holders_account_ends_the_binding_and_releases_the_quota(places):
    owner, relative = holder(balance="100.00"), insured()
    binding = _bind(owner, relative)
    binding_set_quota(binding=binding, quota=Decimal("60.00"), by=owner.user)
    account = account_of(owner)
    ledger_debit(
        account=account,
        counter=clearing_of(account, ClearingAccount.Kind.SETTLEMENT),
        amount=Decimal("100.00"),
        kind=LedgerTransaction.Kind.CHARGE,
    )

    account_close(account=account, by=None, reason="withdrawal paid out")

    assert _fresh(binding).state == Binding.State.ENDED
    assert reservations(account.pk) == 0
    assert CaseEvent.objects.get(case_id=binding.pk, action="end").actor_label == (
        "system: account closed"
    )


def test_stopping_the_relatives_enrollment_ends_the_binding(places):
    owner, relative = holder(), insured()
    binding = _bind(owner, relative)

    enrollment_end(enrollment=relative.enrollments.get(), status=Enrollment.Status.STOPPED, by=None)

    assert _fresh(binding).state == Binding.State.ENDED


def test_a_pending_request_ends_too_when_coverage_ends(places):
    owner, relative = holder(), insured()
    binding = _bind(owner, relative, Relation.CHILD, as_holder=False)

    coverage_ended.send(sender=None, person=relative, reason=CoverageEnd.TRANSFERRED, by=None)

    assert _fresh(binding).state == Binding.State.ENDED


# --- quota -----------------------------------------------------------------------------------


def test_the_quota_cannot_exceed_what_other_quotas_leave_of_the_balance(places):
    owner = holder(balance="1000.00")
    first = _bind(owner, insured())
    second = _bind(owner, insured(birth=datetime.date(1956, 1, 1)))
    binding_set_quota(binding=first, quota="700.00", by=owner.user)

    with pytest.raises(CaseError) as caught:
        binding_set_quota(binding=second, quota="300.01", by=owner.user)
    binding_set_quota(binding=second, quota="300.00", by=owner.user)

    assert caught.value.code == "quota_too_high"
    assert reservations(account_of(owner).pk) == Decimal("1000.00")


def test_only_the_holder_sets_a_quota_on_an_active_binding_in_yuan_and_fen(places):
    owner, relative = holder(), insured()
    binding = _bind(owner, relative)

    for quota, by in (("10.001", owner.user), ("-1", owner.user), ("10", applicant(relative))):
        with pytest.raises(CaseError):
            binding_set_quota(binding=binding, quota=quota, by=by)
    binding_end(binding=binding, by=owner.user)
    with pytest.raises(CaseError):
        binding_set_quota(binding=binding, quota="10", by=owner.user)


def test_removing_the_quota_shares_the_available_balance_again(places):
    owner = holder(balance="500.00")
    binding = _bind(owner, insured())
    binding_set_quota(binding=binding, quota="200.00", by=owner.user)

    binding_set_quota(binding=binding, quota=None, by=owner.user)

    assert _fresh(binding).quota is None
    assert reservations(account_of(owner).pk) == 0
    assert binding.case.events.filter(action="quota_set").count() == 2


def test_the_relative_sets_the_payment_order(places):
    relative = insured()
    first = _bind(holder(), relative)
    second = _bind(holder(birth=datetime.date(1981, 1, 1)), relative)

    bindings_set_order(by=applicant(relative), order=[second.pk, first.pk])

    assert _fresh(second).priority < _fresh(first).priority
    with pytest.raises(CaseError):
        bindings_set_order(by=applicant(insured()), order=[first.pk])


def test_a_frozen_holder_account_refuses_a_quota(places):
    owner = holder()
    binding = _bind(owner, insured())
    PersonalAccount.objects.filter(person=owner).update(status=PersonalAccount.Status.FROZEN)

    with pytest.raises(CaseError):
        binding_set_quota(binding=binding, quota="1", by=owner.user)
