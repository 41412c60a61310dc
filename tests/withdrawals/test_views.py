from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext

from accounts.choices import WithdrawalGround
from accounts.models import PersonalAccount
from audit.models import AuditEvent
from cases.models import DocumentKind, Notification
from tests.accounts.factories import (
    AgencyFactory,
    InsuredPersonFactory,
    UserFactory,
    staff_user,
    valid_id_number,
)
from tests.withdrawals.factories import (
    GOOD_CARD,
    account_in,
    applicant_of,
    clerk_and_reviewer,
    dongguan_agency,
    submit,
    upload,
)
from withdrawals import rules
from withdrawals.models import EmergencyRefund, Withdrawal
from withdrawals.services import withdrawal_approve, withdrawal_first_review

pytestmark = pytest.mark.django_db

G = WithdrawalGround
S = Withdrawal.State


@pytest.fixture
def agency():
    return dongguan_agency(withdrawal_fee=Decimal("2.00"))


@pytest.fixture
def account(agency):
    return account_in(agency, individual="1000.00", employer="400.00")


@pytest.fixture
def applicant(account):
    return applicant_of(account)


def _as(client, user):
    client.force_login(user)
    return client


def _files(ground, **replace):
    files = {f"doc_{kind}": upload(f"{kind}.png") for kind in rules.required_documents(ground)}
    files.update(replace)
    return files


def _choose(client, ground=G.SERIOUS_ILLNESS, **extra):
    return client.post(reverse("withdrawals:apply"), {"ground": ground, **extra})


def _confirm(client, account, ground=G.SERIOUS_ILLNESS, files=None, **fields):
    data = {
        "payee_name": account.person.name,
        "bank_name": "中国银行",
        "bank_account": GOOD_CARD,
        **fields,
        **(files if files is not None else _files(ground)),
    }
    return client.post(reverse("withdrawals:apply_confirm"), data)


# --- applying ----------------------------------------------------------------------------


def test_the_applicant_home_links_to_withdrawals(client, applicant):
    page = _as(client, applicant).get(reverse("accounts:home"))

    assert reverse("withdrawals:home") in page.content.decode()


def test_the_applicant_sees_the_amount_before_submitting(client, applicant):
    _as(client, applicant)

    chosen = _choose(client)
    preview = client.get(reverse("withdrawals:apply_confirm"))

    assert chosen.status_code == 302
    assert preview.context["computation"].individual_part == Decimal("1000.00")
    assert preview.context["computation"].employer_part == Decimal("400.00")
    html = preview.content.decode()
    assert '<strong id="payout-amount">998.00</strong>' in html
    assert "2.00" in html
    for kind in rules.required_documents(G.SERIOUS_ILLNESS):
        assert f'name="doc_{kind}"' in html


def test_an_applicant_applies_with_the_documents_of_the_ground(client, applicant, account):
    _as(client, applicant)
    _choose(client)

    response = _confirm(client, account)

    withdrawal = Withdrawal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("withdrawals:detail", args=[withdrawal.pk])
    assert withdrawal.case.applicant == applicant
    assert withdrawal.case.documents.count() == 5
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "998.00" in page.content.decode()


def test_a_missing_file_is_reported_next_to_its_field_and_nothing_is_filed(
    client, applicant, account
):
    _as(client, applicant)
    _choose(client)
    files = _files(G.SERIOUS_ILLNESS)
    del files[f"doc_{DocumentKind.DIAGNOSIS}"]

    response = _confirm(client, account, files=files)

    assert response.status_code == 200
    assert response.context["form"].errors[f"doc_{DocumentKind.DIAGNOSIS}"]
    assert not Withdrawal.objects.exists()


def test_a_file_that_is_no_document_is_refused_by_its_content(client, applicant, account):
    _as(client, applicant)
    _choose(client)
    fake = SimpleUploadedFile("diagnosis.png", b"MZ this is a program", "image/png")

    response = _confirm(client, account, files=_files(G.SERIOUS_ILLNESS, doc_diagnosis=fake))

    assert response.context["form"].errors["doc_diagnosis"]
    assert not Withdrawal.objects.exists()


def test_every_refusal_reason_is_shown_at_once(client, applicant, account):
    _as(client, applicant)
    _choose(client)

    response = _confirm(client, account, payee_name="王中介", bank_account="12-34")

    errors = response.context["form"].non_field_errors()
    assert response.status_code == 200
    assert len(errors) == 2
    assert not Withdrawal.objects.exists()


def test_living_elsewhere_asks_for_the_last_local_treatment(client, applicant, account):
    _as(client, applicant)
    _choose(client, G.LIVING_ELSEWHERE)

    response = _confirm(
        client,
        account,
        G.LIVING_ELSEWHERE,
        last_local_treatment_on=datetime.date(2020, 1, 1).isoformat(),
    )

    assert response.status_code == 302
    assert Withdrawal.objects.get().last_local_treatment_on == datetime.date(2020, 1, 1)


def test_an_heir_applies_for_the_deceased_and_follows_the_case_once_verified(
    client, account, agency
):
    heir = UserFactory(username="heir", person=InsuredPersonFactory())
    clerk, _reviewer = clerk_and_reviewer(agency)
    _as(client, heir)
    dead = account.person

    chosen = _choose(client, G.DEATH, deceased_id_number=dead.id_number, deceased_name=dead.name)
    form = client.get(reverse("withdrawals:apply_confirm"))
    response = _confirm(client, account, G.DEATH, payee_name=heir.person.name)
    withdrawal = Withdrawal.objects.get()
    before = client.get(reverse("withdrawals:detail", args=[withdrawal.pk]))
    home = client.get(reverse("withdrawals:home"))
    staff_page = _as(client, clerk).get(reverse("withdrawals:detail", args=[withdrawal.pk]))
    withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    after = _as(client, heir).get(reverse("withdrawals:detail", args=[withdrawal.pk]))

    assert chosen.url == reverse("withdrawals:apply_confirm")
    assert form.context["computation"] is None
    assert form.context["account"] is None
    assert "998.00" not in form.content.decode()
    assert dead.name not in form.content.decode()
    assert response.url == reverse("withdrawals:home")
    assert withdrawal.heir_id_number == heir.person.id_number
    assert withdrawal.case.person == dead
    assert set(withdrawal.case.documents.values_list("kind", flat=True)) >= {
        "death_certificate",
        "inheritance_proof",
    }
    assert not Notification.objects.filter(case=withdrawal.case).exists()
    assert before.status_code == 404
    assert list(home.context["withdrawals"]) == []
    assert staff_page.context["computation"].payout == Decimal("998.00")
    assert after.status_code == 200
    assert after.context["can_upload"]


@pytest.mark.parametrize(
    "named",
    ["the deceased", "a wrong name", "nobody on record"],
)
def test_an_heir_gets_the_same_answer_whether_or_not_the_person_exists(client, account, named):
    heir = UserFactory(username="heir", person=InsuredPersonFactory())
    _as(client, heir)
    dead = account.person
    id_number, name = {
        "the deceased": (dead.id_number, dead.name),
        "a wrong name": (dead.id_number, "别人"),
        "nobody on record": (valid_id_number("441900"), "无此人"),
    }[named]

    chosen = _choose(client, G.DEATH, deceased_id_number=id_number, deceased_name=name)
    form = client.get(reverse("withdrawals:apply_confirm"))
    response = _confirm(client, account, G.DEATH, payee_name=heir.person.name)
    shown = [str(m) for m in client.get(response.url).context["messages"]]

    assert chosen.status_code == 302
    assert chosen.url == reverse("withdrawals:apply_confirm")
    assert form.context["computation"] is None
    assert response.status_code == 302
    assert response.url == reverse("withdrawals:home")
    assert shown == [
        "Your application for the balance of a deceased insured person was received. The "
        "agency verifies the death certificate and your inheritance first; you will then be "
        "told the result. Nothing about the account is shown before that."
    ]
    assert Withdrawal.objects.exists() == (named == "the deceased")


def test_a_second_heir_gets_the_same_answer_while_a_case_is_live(client, account):
    submit(account, G.DEATH)
    heir = UserFactory(username="heir", person=InsuredPersonFactory())
    _as(client, heir)
    dead = account.person

    _choose(client, G.DEATH, deceased_id_number=dead.id_number, deceased_name=dead.name)
    response = _confirm(client, account, G.DEATH, payee_name=heir.person.name)

    assert response.status_code == 302
    assert response.url == reverse("withdrawals:home")
    assert Withdrawal.objects.count() == 1


def test_an_heirs_typing_errors_are_shown_before_anything_is_looked_up(client, account):
    heir = UserFactory(username="heir", person=InsuredPersonFactory())
    _as(client, heir)

    _choose(client, G.DEATH, deceased_id_number=valid_id_number("441900"), deceased_name="无此人")
    response = _confirm(client, account, G.DEATH, payee_name="王中介")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Withdrawal.objects.exists()


# --- the case page -----------------------------------------------------------------------


@pytest.fixture
def withdrawal(account):
    return submit(account)


def test_staff_see_the_id_number_masked_and_the_computation(client, withdrawal, agency):
    clerk, _reviewer = clerk_and_reviewer(agency)
    number = withdrawal.case.person.id_number

    page = _as(client, clerk).get(reverse("withdrawals:detail", args=[withdrawal.pk]))

    html = page.content.decode()
    assert number not in html
    assert number[:3] + "*" * 13 + number[-2:] in html
    assert page.context["computation"].payout == Decimal("998.00")


def test_an_auditor_sees_the_id_number_masked_until_a_recorded_reveal(client, withdrawal, agency):
    auditor = staff_user("auditor", agency)
    url = reverse("withdrawals:detail", args=[withdrawal.pk])
    number = withdrawal.case.person.id_number

    before = _as(client, auditor).get(url)
    client.post(reverse("cases:reveal_id", args=[withdrawal.pk]), {"what": "id_number"})
    shown = client.get(url)
    again = client.get(url)

    assert number not in before.content.decode()
    assert before.context["actions"] == []
    assert number in shown.content.decode()
    assert number not in again.content.decode()
    assert withdrawal.case.events.filter(action="id_revealed", actor=auditor).exists()
    assert AuditEvent.objects.filter(action="reveal_id_number", user=auditor).exists()


def test_a_reviewer_never_sees_the_whole_card_number_by_default(client, withdrawal, agency):
    _clerk, reviewer = clerk_and_reviewer(agency)

    page = _as(client, reviewer).get(reverse("withdrawals:detail", args=[withdrawal.pk]))

    html = page.content.decode()
    assert withdrawal.bank_account not in html
    assert f"**** {withdrawal.bank_account[-4:]}" in html


def test_a_card_number_reveal_is_recorded_and_shows_it_once(client, withdrawal, agency):
    supervisor = staff_user("supervisor", agency)
    url = reverse("withdrawals:detail", args=[withdrawal.pk])
    _as(client, supervisor)

    client.post(reverse("cases:reveal_id", args=[withdrawal.pk]), {"what": "card_number"})
    shown = client.get(url).content.decode()
    again = client.get(url).content.decode()

    assert withdrawal.bank_account in shown
    assert withdrawal.bank_account not in again
    assert withdrawal.case.events.filter(action="card_revealed", actor=supervisor).exists()
    audit = AuditEvent.objects.get(action="reveal_card_number", user=supervisor)
    assert withdrawal.bank_account not in f"{audit.object_repr} {audit.detail}"


def test_a_clerk_cannot_reveal_the_card_number(client, withdrawal, agency):
    clerk, _reviewer = clerk_and_reviewer(agency)
    _as(client, clerk)

    response = client.post(
        reverse("cases:reveal_id", args=[withdrawal.pk]), {"what": "card_number"}
    )

    assert response.status_code == 403
    assert not withdrawal.case.events.filter(action="card_revealed").exists()


def test_staff_of_another_agency_and_other_applicants_get_nothing(client, withdrawal):
    outsider = staff_user("clerk", AgencyFactory(code="OTHER"), username="outsider")
    stranger = UserFactory(username="stranger", person=InsuredPersonFactory())
    url = reverse("withdrawals:detail", args=[withdrawal.pk])

    assert _as(client, outsider).get(url).status_code == 404
    assert _as(client, stranger).get(url).status_code == 404
    assert (
        client.post(reverse("withdrawals:act", args=[withdrawal.pk, "first_review"])).status_code
        == 404
    )


def test_each_user_sees_only_the_buttons_for_their_steps(client, withdrawal, agency):
    clerk, reviewer = clerk_and_reviewer(agency)
    url = reverse("withdrawals:detail", args=[withdrawal.pk])

    clerk_page = _as(client, clerk).get(url).content.decode()
    reviewer_page = _as(client, reviewer).get(url).content.decode()
    owner_page = _as(client, applicant_of(withdrawal.account)).get(url).content.decode()

    assert 'id="form-first-review"' in clerk_page
    assert 'id="form-approve"' not in clerk_page
    assert 'id="form-assess"' in clerk_page
    assert 'id="form-first-review"' not in reviewer_page
    assert 'id="form-approve"' not in reviewer_page
    assert 'id="form-cancel"' in owner_page
    assert 'id="form-first-review"' not in owner_page


def test_clerk_reviewer_and_payout_through_the_pages(client, withdrawal, agency):
    clerk, reviewer = clerk_and_reviewer(agency)
    act = lambda name: reverse("withdrawals:act", args=[withdrawal.pk, name])  # noqa: E731

    _as(client, clerk).post(act("first_review"), {"note": "材料齐全"})
    approve_page = _as(client, reviewer).get(reverse("withdrawals:detail", args=[withdrawal.pk]))
    _as(client, reviewer).post(act("approve"))
    _as(client, clerk).post(act("pay"), {"confirmed": "1"})

    withdrawal = Withdrawal.objects.get(pk=withdrawal.pk)
    assert 'id="form-approve"' in approve_page.content.decode()
    assert withdrawal.state == S.CLOSED
    assert withdrawal.account.status == PersonalAccount.Status.CLOSED
    page = _as(client, applicant_of(withdrawal.account)).get(
        reverse("withdrawals:detail", args=[withdrawal.pk])
    )
    html = page.content.decode()
    assert 'id="payout-done"' in html
    assert "998.00" in html


def test_a_refused_step_becomes_a_message_not_an_error_page(client, withdrawal, agency):
    _clerk, reviewer = clerk_and_reviewer(agency)

    response = _as(client, reviewer).post(
        reverse("withdrawals:act", args=[withdrawal.pk, "first_review"]), follow=True
    )

    assert response.status_code == 200
    refusal = gettext("You may not take this step on this case.")
    assert any(refusal in str(m) for m in response.context["messages"])
    assert Withdrawal.objects.get(pk=withdrawal.pk).state == S.SUBMITTED


def test_the_clerk_refuses_with_one_reason_per_line(client, withdrawal, agency):
    clerk, _reviewer = clerk_and_reviewer(agency)

    _as(client, clerk).post(
        reverse("withdrawals:act", args=[withdrawal.pk, "refuse"]),
        {"note": "诊断不符\n\n清单缺页", "confirmed": "1"},
    )

    assert Withdrawal.objects.get(pk=withdrawal.pk).refusal_reasons == ["诊断不符", "清单缺页"]


def test_the_clerk_asks_for_documents_and_the_applicant_supplies_them(client, withdrawal, agency):
    clerk, _reviewer = clerk_and_reviewer(agency)
    owner = applicant_of(withdrawal.account)

    _as(client, clerk).post(
        reverse("withdrawals:act", args=[withdrawal.pk, "request_documents"]),
        {"kinds": [DocumentKind.BANK_CARD], "note": "卡号模糊"},
    )
    _as(client, owner).post(
        reverse("cases:document_upload", args=[withdrawal.pk]),
        {"kind": DocumentKind.BANK_CARD, "file": upload("card.png")},
    )
    _as(client, owner).post(reverse("withdrawals:act", args=[withdrawal.pk, "documents_supplied"]))

    assert Withdrawal.objects.get(pk=withdrawal.pk).state == S.SUBMITTED


def test_the_clerk_enters_outstanding_costs_and_the_amount_follows(client, withdrawal, agency):
    clerk, _reviewer = clerk_and_reviewer(agency)

    _as(client, clerk).post(
        reverse("withdrawals:act", args=[withdrawal.pk, "assess"]),
        {"outstanding_costs": "100.00", "last_local_treatment_on": "", "fee_exempt_group": ""},
    )
    page = client.get(reverse("withdrawals:detail", args=[withdrawal.pk]))

    assert page.context["computation"].payout == Decimal("898.00")


def test_the_applicant_cancels_from_the_page(client, withdrawal):
    owner = applicant_of(withdrawal.account)

    _as(client, owner).post(
        reverse("withdrawals:act", args=[withdrawal.pk, "cancel"]), {"confirmed": "1"}
    )

    assert Withdrawal.objects.get(pk=withdrawal.pk).state == S.CANCELLED


def test_the_staff_queue_links_to_the_withdrawal_page(client, withdrawal, agency):
    clerk, _reviewer = clerk_and_reviewer(agency)

    page = _as(client, clerk).get(reverse("cases:queue"))

    assert reverse("withdrawals:detail", args=[withdrawal.pk]) in page.content.decode()


def test_the_applicants_list_shows_the_paid_amount(client, withdrawal, agency):
    clerk, reviewer = clerk_and_reviewer(agency)
    withdrawal_first_review(withdrawal=withdrawal, by=clerk)
    withdrawal_approve(withdrawal=withdrawal, by=reviewer)

    page = _as(client, applicant_of(withdrawal.account)).get(reverse("withdrawals:home"))

    assert withdrawal.case.reference in page.content.decode()


# --- emergency refunds -------------------------------------------------------------------


def test_a_refund_is_claimed_approved_and_credited_through_the_pages(
    client, applicant, account, agency
):
    clerk, _reviewer = clerk_and_reviewer(agency)

    response = _as(client, applicant).post(
        reverse("withdrawals:refund_apply"),
        {
            "hospital": "东莞市人民医院",
            "treated_on": "2026-01-05",
            "amount": "320.40",
            "receipts": upload("receipt.pdf"),
        },
    )
    refund = EmergencyRefund.objects.get()
    page = client.get(response["Location"])
    _as(client, clerk).post(reverse("withdrawals:refund_act", args=[refund.pk, "approve"]))
    _as(client, clerk).post(
        reverse("withdrawals:refund_act", args=[refund.pk, "credit"]), {"confirmed": "1"}
    )

    assert page.status_code == 200
    assert EmergencyRefund.objects.get().state == EmergencyRefund.State.CREDITED
    account.refresh_from_db()
    assert account.balance == Decimal("1720.40")


# --- the service hall --------------------------------------------------------------------


def _window_post(client, person, ground=G.SERIOUS_ILLNESS, files=None, **fields):
    data = {
        "id_number": person.id_number,
        "ground": ground,
        "payee_name": person.name,
        "bank_name": "中国银行",
        "bank_account": GOOD_CARD,
        "fee_exempt_group": "",
        **fields,
        **(files if files is not None else _files(ground)),
    }
    return client.post(reverse("withdrawals:window"), data)


def test_a_clerk_files_an_application_at_the_window(client, account, agency, applicant):
    clerk, _reviewer = clerk_and_reviewer(agency)

    response = _window_post(_as(client, clerk), account.person)

    withdrawal = Withdrawal.objects.get()
    assert response.status_code == 302
    assert withdrawal.case.channel == "window"
    assert withdrawal.case.created_by == clerk
    assert withdrawal.case.applicant == applicant


def test_the_window_lists_every_missing_document_at_once(client, account, agency):
    clerk, _reviewer = clerk_and_reviewer(agency)
    files = _files(G.SERIOUS_ILLNESS)
    del files["doc_diagnosis"], files["doc_bank_card"]

    response = _window_post(_as(client, clerk), account.person, files=files)

    assert len(response.context["form"].non_field_errors()) == 2
    assert not Withdrawal.objects.exists()


def test_a_clerk_cannot_file_for_another_agencys_account(client, account):
    other = staff_user("clerk", AgencyFactory(code="OTHER"), username="outsider")

    response = _window_post(_as(client, other), account.person)

    assert response.context["form"].non_field_errors() == [
        "This personal account belongs to another agency's coordination area."
    ]
    assert not Withdrawal.objects.exists()


def test_only_clerks_reach_the_window(client, agency, applicant):
    _clerk, reviewer = clerk_and_reviewer(agency)

    assert _as(client, reviewer).get(reverse("withdrawals:window")).status_code == 404
    assert _as(client, applicant).get(reverse("withdrawals:window")).status_code == 404
