"""The charging interface: who pays in which order, quotas, categories per region, 冒名就医,
retries, refunds and closed accounts — through HTTP, as an institution sees it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache

from accounts.clearing import clearing_of
from accounts.models import (
    ClearingAccount,
    LedgerEntry,
    LedgerTransaction,
    PersonalAccount,
    RegionPolicy,
)
from accounts.selectors import ledger_differences
from accounts.services import account_close, ledger_debit
from cases.errors import CaseError
from family_pool.charging.charges import charge_create
from family_pool.models import Binding, Charge, FlaggedCharge, Institution, Relation
from family_pool.services import binding_set_quota, bindings_set_order
from tests.family_pool.factories import (
    CHARGES_URL,
    account_of,
    applicant,
    bind,
    card,
    holder,
    institution_with_key,
    insured,
    post_charge,
    post_refund,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital(places):
    return institution_with_key(code="H-DG-1", region_id="441900")


def _balance(person) -> Decimal:
    return account_of(person).balance


def _paid(response) -> list[tuple[str, str]]:
    return [(p["payer"], p["amount"]) for p in response.json()["payments"]]


# --- who pays ------------------------------------------------------------------------------


def test_the_own_account_pays_first_then_the_bindings_in_the_patients_order(client, hospital):
    institution, key = hospital
    patient = holder(balance="50.00", birth=datetime.date(2000, 1, 1))
    father = holder(balance="1000.00", birth=datetime.date(1970, 1, 1))
    mother = holder(balance="1000.00", birth=datetime.date(1972, 1, 1))
    by_father = bind(father, patient, Relation.CHILD)
    by_mother = bind(mother, patient, Relation.CHILD, quota="100.00")
    bindings_set_order(by=applicant(patient), order=[by_mother.pk, by_father.pk])
    number = card(patient).number

    first = post_charge(client, key, patient, number, "120.00")
    second = post_charge(client, key, patient, number, "100.00")

    assert first.status_code == 201, first.json()
    assert _paid(first) == [("own", "50.00"), ("family", "70.00")]
    assert first.json()["payments"][1]["holder_is_patients"] == Relation.PARENT
    assert _paid(second) == [("family", "30.00"), ("family", "70.00")]
    assert (_balance(patient), _balance(mother), _balance(father)) == (
        Decimal("0.00"),
        Decimal("900.00"),
        Decimal("930.00"),
    )
    assert Binding.objects.get(pk=by_mother.pk).spent == Decimal("100.00")
    assert ledger_differences() == []


def test_the_answer_masks_the_names(client, hospital):
    _institution, key = hospital
    patient = insured()
    owner = holder()
    bind(owner, patient)

    response = post_charge(client, key, patient, card(patient).number, "10.00")

    body = response.json()
    assert body["patient"] == patient.name[0] + "*" * (len(patient.name) - 1)
    assert body["payments"][0]["account_holder"].startswith(owner.name[0])
    assert owner.name not in response.content.decode()


# --- quota arithmetic ----------------------------------------------------------------------


def test_the_holder_cannot_spend_the_reserved_quota(client, hospital):
    _institution, key = hospital
    owner = holder(balance="1000.00")
    bind(owner, insured(), quota="300.00")
    number = card(owner).number

    refused = post_charge(client, key, owner, number, "700.01")
    accepted = post_charge(client, key, owner, number, "700.00")

    assert refused.status_code == 422
    assert refused.json()["code"] == "insufficient_balance"
    assert accepted.status_code == 201
    assert _balance(owner) == Decimal("300.00")


def test_a_relative_spends_up_to_the_quota_and_no_more(client, hospital):
    _institution, key = hospital
    owner, relative = holder(balance="1000.00"), insured()
    binding = bind(owner, relative, quota="300.00")
    number = card(relative).number

    assert post_charge(client, key, relative, number, "250.00").status_code == 201
    over = post_charge(client, key, relative, number, "50.01")
    rest = post_charge(client, key, relative, number, "50.00")

    assert over.json()["code"] == "insufficient_balance"
    assert rest.status_code == 201
    assert Binding.objects.get(pk=binding.pk).remaining_quota == Decimal("0.00")


def test_without_a_quota_a_relative_shares_what_other_quotas_leave(client, hospital):
    _institution, key = hospital
    owner = holder(balance="1000.00")
    bind(owner, insured(), quota="300.00")
    sharer = insured(birth=datetime.date(1956, 1, 1))
    bind(owner, sharer)
    number = card(sharer).number

    refused = post_charge(client, key, sharer, number, "700.01")
    accepted = post_charge(client, key, sharer, number, "700.00")

    assert refused.status_code == 422
    assert accepted.status_code == 201


def test_the_quota_must_fit_the_available_balance_when_set(places):
    owner = holder(balance="100.00")
    binding = bind(owner, insured())

    with pytest.raises(CaseError):
        binding_set_quota(binding=binding, quota="100.01", by=applicant(owner))


def test_the_quota_cannot_go_below_what_was_spent(client, hospital):
    _institution, key = hospital
    owner, relative = holder(), insured()
    binding = bind(owner, relative, quota="100.00")
    post_charge(client, key, relative, card(relative).number, "60.00")

    with pytest.raises(CaseError) as caught:
        binding_set_quota(binding=binding, quota="59.99", by=applicant(owner))
    binding_set_quota(binding=binding, quota="60.00", by=applicant(owner))

    assert caught.value.code == "quota_below_spent"


# --- categories ------------------------------------------------------------------------------


def test_long_term_care_is_refused_unless_the_institutions_region_allows_it(client, hospital):
    institution, key = hospital
    owner = holder()
    number = card(owner).number

    refused = post_charge(client, key, owner, number, "10.00", category="ltc_contribution")
    RegionPolicy.objects.create(
        region_id="441900",
        family_pool_categories=["hospital_self_pay", "pharmacy", "ltc_contribution"],
    )
    accepted = post_charge(client, key, owner, number, "10.00", category="ltc_contribution")

    assert refused.status_code == 422
    assert refused.json()["code"] == "category_not_allowed"
    assert accepted.status_code == 201


def test_the_region_of_the_institution_decides_not_the_patients(client, places):
    RegionPolicy.objects.create(region_id="430700", family_pool_categories=["commercial_insurance"])
    _dongguan, dongguan_key = institution_with_key(code="H-DG", region_id="441900")
    _changde, changde_key = institution_with_key(code="H-CD", region_id="430700")
    owner = holder()  # insured in Dongguan
    number = card(owner).number

    at_home = post_charge(
        client, dongguan_key, owner, number, "5.00", category="commercial_insurance"
    )
    away = post_charge(client, changde_key, owner, number, "5.00", category="commercial_insurance")

    assert at_home.status_code == 422
    assert away.status_code == 201


def test_a_hospital_cannot_charge_pharmacy_purchases(client, hospital):
    _institution, key = hospital
    owner = holder()

    response = post_charge(client, key, owner, card(owner).number, "5.00", category="pharmacy")

    assert response.status_code == 422
    assert response.json()["code"] == "category_not_allowed"


def test_an_unknown_category_is_an_invalid_request(client, hospital):
    _institution, key = hospital
    owner = holder()

    response = post_charge(client, key, owner, card(owner).number, "5.00", category="gym")

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


# --- 冒名就医 --------------------------------------------------------------------------------


def test_someone_elses_card_is_refused_and_flagged_once(client, hospital):
    institution, key = hospital
    owner, impostor = holder(), insured()
    owners_card = card(owner)

    first = post_charge(client, key, impostor, owners_card.number, "80.00", settlement_number="X1")
    retry = post_charge(client, key, impostor, owners_card.number, "80.00", settlement_number="X1")

    assert first.status_code == retry.status_code == 422
    assert first.json()["code"] == "card_not_patients"
    assert first.json()["flagged"] is True
    flag = FlaggedCharge.objects.get()
    assert (flag.institution, flag.card, flag.patient) == (institution, owners_card, impostor)
    assert flag.amount == Decimal("80.00")
    assert not Charge.objects.exists()
    assert _balance(owner) == Decimal("1000.00")


# --- retries ---------------------------------------------------------------------------------


def test_a_retry_with_the_same_settlement_number_charges_once(client, hospital):
    _institution, key = hospital
    owner = holder()
    number = card(owner).number

    first = post_charge(client, key, owner, number, "12.34", settlement_number="R-1")
    again = post_charge(client, key, owner, number, "12.34", settlement_number="R-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True
    assert again.json()["payments"] == first.json()["payments"]
    assert Charge.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="charge").count() == 1
    assert _balance(owner) == Decimal("987.66")


def test_a_settlement_number_reused_for_another_charge_is_a_conflict(client, hospital):
    _institution, key = hospital
    owner = holder()
    number = card(owner).number
    post_charge(client, key, owner, number, "12.34", settlement_number="R-2")

    response = post_charge(client, key, owner, number, "99.00", settlement_number="R-2")

    assert response.status_code == 409
    assert _balance(owner) == Decimal("987.66")


def test_the_same_settlement_number_at_another_institution_is_another_charge(client, hospital):
    _institution, key = hospital
    _other, other_key = institution_with_key(code="H-DG-2", region_id="441900")
    owner = holder()
    number = card(owner).number

    post_charge(client, key, owner, number, "10.00", settlement_number="SAME")
    post_charge(client, other_key, owner, number, "10.00", settlement_number="SAME")

    assert Charge.objects.count() == 2


def test_a_refused_charge_may_be_retried_once_money_is_there(client, hospital):
    _institution, key = hospital
    owner = holder(balance="10.00")
    number = card(owner).number
    refused = post_charge(client, key, owner, number, "20.00", settlement_number="LATER")
    from accounts.services import ledger_credit

    ledger_credit(
        account=account_of(owner),
        counter=clearing_of(account_of(owner), ClearingAccount.Kind.CONTRIBUTIONS),
        amount=Decimal("10"),
        fund_source="individual",
        kind="contribution",
    )
    accepted = post_charge(client, key, owner, number, "20.00", settlement_number="LATER")

    assert (refused.status_code, accepted.status_code) == (422, 201)


# --- refunds ---------------------------------------------------------------------------------


def test_a_refund_credits_back_every_account_and_the_quota(client, hospital):
    _institution, key = hospital
    patient = holder(balance="30.00", birth=datetime.date(2000, 1, 1))
    parent = holder(balance="500.00", birth=datetime.date(1970, 1, 1))
    binding = bind(parent, patient, Relation.CHILD, quota="100.00")
    post_charge(client, key, patient, card(patient).number, "80.00", settlement_number="F-1")

    response = post_refund(client, key, "F-1", "RF-1")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "refunded"
    assert (_balance(patient), _balance(parent)) == (Decimal("30.00"), Decimal("500.00"))
    assert Binding.objects.get(pk=binding.pk).spent == Decimal("0.00")
    credits = LedgerEntry.objects.filter(transaction__kind="refund", account__isnull=False)
    assert sorted(credits.values_list("amount", "fund_source")) == [
        (Decimal("30.00"), "refund"),
        (Decimal("50.00"), "refund"),
    ]
    # Each comes back out of what the fund owed the institution: nothing is owed any more.
    owed = LedgerEntry.objects.filter(clearing__kind="settlement")
    assert sorted(owed.values_list("direction", "amount")) == [
        ("credit", Decimal("30.00")),
        ("credit", Decimal("50.00")),
        ("debit", Decimal("30.00")),
        ("debit", Decimal("50.00")),
    ]
    assert ledger_differences() == []


def test_a_refund_is_idempotent_by_its_number(client, hospital):
    _institution, key = hospital
    owner = holder()
    post_charge(client, key, owner, card(owner).number, "80.00", settlement_number="F-2")
    post_refund(client, key, "F-2", "RF-2")

    again = post_refund(client, key, "F-2", "RF-2")
    other = post_refund(client, key, "F-2", "RF-3")
    unknown = post_refund(client, key, "NOPE", "RF-4")

    assert again.status_code == 200
    assert (other.status_code, unknown.status_code) == (409, 404)
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert _balance(owner) == Decimal("1000.00")


def test_a_charge_is_looked_up_by_its_settlement_number(client, hospital):
    _institution, key = hospital
    owner = holder()
    post_charge(client, key, owner, card(owner).number, "8.00", settlement_number="Q-1")

    found = client.get(f"{CHARGES_URL}/Q-1", headers={"X-Api-Key": key})
    missing = client.get(f"{CHARGES_URL}/Q-2", headers={"X-Api-Key": key})

    assert (found.status_code, missing.status_code) == (200, 404)
    assert found.json()["amount"] == "8.00"


# --- closed and frozen accounts ------------------------------------------------------------


def test_a_closed_account_refuses_any_further_charge_or_binding(client, hospital):
    _institution, key = hospital
    owner, relative = holder(balance="100.00"), insured()
    bind(owner, relative)
    account = account_of(owner)
    ledger_debit(
        account=account,
        counter=clearing_of(account, ClearingAccount.Kind.SETTLEMENT),
        amount=Decimal("100.00"),
        kind=LedgerTransaction.Kind.CHARGE,
    )
    account_close(account=account, by=None)

    own = post_charge(client, key, owner, card(owner).number, "1.00")
    family = post_charge(client, key, relative, card(relative).number, "1.00")
    with pytest.raises(CaseError):
        bind(owner, insured(birth=datetime.date(1957, 1, 1)))

    assert own.status_code == family.status_code == 422
    assert own.json()["code"] == "account_closed"
    assert family.json()["code"] == "no_account"


def test_a_frozen_account_refuses_charges(client, hospital):
    _institution, key = hospital
    owner, relative = holder(), insured()
    bind(owner, relative)
    PersonalAccount.objects.filter(person=owner).update(status=PersonalAccount.Status.FROZEN)

    own = post_charge(client, key, owner, card(owner).number, "1.00")
    family = post_charge(client, key, relative, card(relative).number, "1.00")

    assert own.json()["code"] == "account_frozen"
    # Said apart from a plain shortfall since freezes exist (issue #13).
    assert family.json()["code"] == "holder_account_frozen"


# --- the request itself ----------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["12.345", "-1", "abc", "1e3", 12.5])
def test_amounts_are_strings_in_yuan_with_at_most_two_decimals(client, hospital, amount):
    _institution, key = hospital
    owner = holder()

    response = post_charge(client, key, owner, card(owner).number, amount)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_a_zero_amount_is_refused(client, hospital):
    _institution, key = hospital
    owner = holder()

    response = post_charge(client, key, owner, card(owner).number, "0.00")

    assert response.json()["code"] == "amount_invalid"


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_both_key_headers_are_accepted(client, hospital, header):
    _institution, key = hospital
    owner = holder()

    response = post_charge(client, key, owner, card(owner).number, "1.00", header=header)

    assert response.status_code == 201


def test_a_wrong_missing_replaced_or_deactivated_key_is_401(client, hospital):
    from family_pool.charging.institutions import institution_issue_key

    institution, key = hospital
    owner = holder()
    number = card(owner).number

    assert post_charge(client, "wrong", owner, number, "1.00").status_code == 401
    assert client.post(CHARGES_URL, data={}, content_type="application/json").status_code == 401
    new_key = institution_issue_key(institution=institution)
    assert post_charge(client, key, owner, number, "1.00").status_code == 401
    Institution.objects.filter(pk=institution.pk).update(active=False)
    assert post_charge(client, new_key, owner, number, "1.00").status_code == 401
    assert not Charge.objects.exists()


def test_a_wrong_key_is_401_before_the_body_is_judged(client, hospital):
    owner = holder()
    number = card(owner).number

    bad_body = post_charge(client, "wrong", owner, number, "not money")
    unreadable = client.post(
        CHARGES_URL,
        data=b"{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer wrong",
    )

    assert (bad_body.status_code, unreadable.status_code) == (401, 401)


def test_a_lookup_read_for_another_card_or_settlement_is_not_used(hospital):
    from family_pool.charging.facts import charge_lookup

    institution, key = hospital
    first, second = holder(balance="100.00"), holder(balance="100.00")
    first_card, second_card = card(first).number, card(second).number
    lookup = charge_lookup(key, first_card, "S-1")
    assert lookup is not None
    assert lookup.facts is not None
    assert lookup.facts.person_id == first.pk

    other_card = charge_create(
        institution=institution,
        id_number=second.id_number,
        card_number=second_card,
        amount="10.00",
        category="hospital_self_pay",
        settlement_number="S-1",
        lookup=lookup,
    )
    another_settlement = charge_create(
        institution=institution,
        id_number=first.id_number,
        card_number=first_card,
        amount="10.00",
        category="hospital_self_pay",
        settlement_number="S-2",
        lookup=lookup,
    )

    assert other_card.charge.patient.pk == second.pk
    assert another_settlement.charge.settlement_number == "S-2"
    assert (_balance(first), _balance(second)) == (Decimal("90.00"), Decimal("90.00"))


def test_a_lookup_with_a_wrong_key_finds_nothing(hospital):
    from family_pool.charging.facts import charge_lookup

    owner = holder()

    assert charge_lookup("wrong", card(owner).number, "S-1") is None
    assert charge_lookup("", card(owner).number, "S-1") is None


def test_the_key_is_stored_only_as_a_hash(hospital):
    institution, key = hospital

    institution.refresh_from_db()

    assert key not in (institution.api_key_hash, institution.api_key_prefix)
    assert len(institution.api_key_hash) == 64


def test_the_openapi_schema_describes_the_interface(client, places):
    response = client.get("/api/institutions/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/institutions/charges" in paths
    assert "/api/institutions/charges/{settlement_number}/refund" in paths


def test_machine_clients_need_no_csrf_token(places):
    from django.test import Client

    _institution, key = institution_with_key(code="H-CSRF", region_id="441900")
    owner = holder()

    response = post_charge(Client(enforce_csrf_checks=True), key, owner, card(owner).number, "1.00")

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [(None, "不能结算"), ("en-US,en;q=0.9", "cannot charge"), ("fr", "不能结算")],
)
def test_refusals_answer_in_the_language_asked_chinese_by_default(
    client, hospital, accept_language, expected
):
    _institution, key = hospital
    owner = holder()
    headers = {"Authorization": f"Bearer {key}"}
    if accept_language:
        headers["Accept-Language"] = accept_language
    body = {
        "id_number": owner.id_number,
        "card_number": card(owner).number,
        "amount": "5.00",
        "category": "pharmacy",
        "settlement_number": "LANG-1",
    }

    response = client.post(CHARGES_URL, data=body, content_type="application/json", headers=headers)

    assert response.status_code == 422
    assert expected in response.json()["message"]
    assert response["Content-Language"] == (
        "en" if accept_language == "en-US,en;q=0.9" else "zh-hans"
    )


# --- throttle ------------------------------------------------------------------------------


@pytest.fixture
def two_a_minute(settings):
    settings.CHARGING_API_RATE = "2/min"
    cache.clear()  # counts from an earlier run of the suite, for an institution of the same id
    yield
    cache.clear()


def test_over_the_rate_a_key_gets_429_with_retry_after_and_nothing_is_charged(
    client, hospital, two_a_minute
):
    _institution, key = hospital
    patient = holder(balance="500.00")
    number = card(patient).number
    allowed = [post_charge(client, key, patient, number, "10.00") for _ in range(2)]
    charges, entries = Charge.objects.count(), LedgerEntry.objects.count()

    refused = post_charge(client, key, patient, number, "10.00")

    assert [r.status_code for r in allowed] == [201, 201]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled"
    assert (Charge.objects.count(), LedgerEntry.objects.count()) == (charges, entries)
    assert _balance(patient) == Decimal("480.00")


def test_the_rate_is_counted_per_institution(client, hospital, places, two_a_minute):
    _institution, key = hospital
    _other, other_key = institution_with_key(code="H-DG-2", region_id="441900")
    patient = holder(balance="500.00")
    number = card(patient).number
    for _ in range(2):
        post_charge(client, key, patient, number, "10.00")

    other = post_charge(client, other_key, patient, number, "10.00")

    assert other.status_code == 201
