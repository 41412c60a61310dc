"""The charging API while an account is frozen by a supervisor, and once the freeze is lifted."""

from __future__ import annotations

import pytest

from accounts.freezes.models import FreezeKind
from accounts.freezes.services import account_freeze, account_unfreeze
from accounts.models import Agency
from tests.accounts.factories import staff_user
from tests.family_pool.factories import (
    account_of,
    bind,
    card,
    holder,
    institution_with_key,
    insured,
    post_charge,
)
from tests.withdrawals.factories import upload


@pytest.fixture
def hospital(places):
    return institution_with_key(code="H-DG-1", region_id="441900")


@pytest.fixture
def supervisor(places):
    return staff_user("supervisor", Agency.objects.get(code="441900-01"))


def _freeze(owner, by):
    return account_freeze(
        account=account_of(owner),
        kind=FreezeKind.SUSPECTED_FRAUD,
        reason="冒名就医 reported by the hospital",
        document=upload(),
        by=by,
    )


def test_a_frozen_account_refuses_its_own_charges_with_a_clear_code(client, hospital, supervisor):
    _institution, key = hospital
    owner = holder()
    _freeze(owner, supervisor)

    refused = post_charge(client, key, owner, card(owner).number, "1.00")

    assert refused.status_code == 422
    assert refused.json()["code"] == "account_frozen"
    assert "frozen" in refused.json()["message"] or "冻结" in refused.json()["message"]


def test_bindings_on_a_frozen_holder_account_do_not_pay(client, hospital, supervisor):
    _institution, key = hospital
    owner, relative = holder(), insured()
    bind(owner, relative)
    _freeze(owner, supervisor)

    refused = post_charge(client, key, relative, card(relative).number, "1.00")

    assert refused.status_code == 422
    assert refused.json()["code"] == "holder_account_frozen"


def test_charges_pass_again_once_the_freeze_is_lifted(client, hospital, supervisor):
    _institution, key = hospital
    owner, relative = holder(), insured()
    bind(owner, relative)
    freeze = _freeze(owner, supervisor)
    account_unfreeze(freeze=freeze, reason="核查无误", document=upload(), by=supervisor)

    own = post_charge(client, key, owner, card(owner).number, "1.00")
    family = post_charge(client, key, relative, card(relative).number, "1.00")

    assert (own.status_code, family.status_code) == (201, 201)
