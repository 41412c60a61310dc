"""The charging API under hostile input: hypothesis-made bodies and paths, and a schemathesis
run against the API's own OpenAPI schema. Never a 5xx; every refusal in the one error shape
{code, message, reasons, flagged}; no charge, ledger entry or flag half-written."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import example, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from family_pool.api import api
from tests.family_pool.factories import card, holder, institution_with_key
from tests.hostile.conftest import HOSTILE
from tests.hostile.helpers import assert_whole, counts
from tests.hostile.strategies import amounts, id_numbers, odd_text

CHARGES = "/api/institutions/charges"


@pytest.fixture
def till(db):
    """A hospital with its key and a patient with money and a card."""
    from tests.family_pool.factories import regions

    regions()
    patient = holder("500.00")
    institution, key = institution_with_key(region_id="441900")
    return {"key": key, "patient": patient, "card": card(patient).number}


def _post(client, path: str, body: Any, key: str, *, raw_body: bytes | None = None):
    # ASCII JSON: a lone surrogate travels as a \ud800 escape, as a sloppy client sends it.
    data = raw_body if raw_body is not None else json.dumps(body)
    return client.generic(
        "POST",
        path,
        data,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def _error_shape(response) -> None:
    body = response.json()
    assert set(body) >= {"code", "message", "reasons"}, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["reasons"], list)


def _check(response, before: dict[str, int]) -> None:
    assert response.status_code < 500, response.content[:300]
    after = counts()
    if response.status_code in (200, 201):
        assert_whole()
        return
    _error_shape(response)
    moved = {k for k in ("charge", "ledger") if before[k] != after[k]}
    assert not moved, f"a refused charge wrote {moved}"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | odd_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)

FIELDS = {
    "id_number": st.one_of(id_numbers, JSON_VALUES),
    "card_number": st.one_of(odd_text, JSON_VALUES),
    "amount": st.one_of(amounts, JSON_VALUES, st.floats().map(lambda f: f)),
    "category": st.one_of(odd_text, st.just("gym_membership")),
    "settlement_number": st.one_of(odd_text, JSON_VALUES),
}


@HOSTILE
@given(
    spoil=st.lists(
        st.sampled_from(sorted(FIELDS)).flatmap(lambda f: st.tuples(st.just(f), FIELDS[f])),
        min_size=1,
        max_size=3,
    ).map(dict),
    drop=st.sets(st.sampled_from(sorted(FIELDS)), max_size=2),
)
@example(spoil={"settlement_number": "S\x00"}, drop=set())
@example(spoil={"settlement_number": "S\ud800"}, drop=set())
@example(spoil={"card_number": "\udfff", "id_number": "\ud800" * 18}, drop=set())
@example(spoil={"card_number": "C\x00"}, drop=set())
@example(spoil={"id_number": "44190019800101001\x00"}, drop=set())
@example(spoil={"amount": "NaN"}, drop=set())
@example(spoil={"amount": 1e308}, drop=set())
@example(spoil={"amount": "1" + "0" * 40}, drop=set())
@example(spoil={"amount": "0.001"}, drop=set())
@example(spoil={"amount": "-5"}, drop=set())
@example(spoil={"settlement_number": "x" * 100_000}, drop=set())
def test_a_hostile_charge_is_refused_in_the_error_shape(client, till, spoil, drop):
    body = {
        "id_number": till["patient"].id_number,
        "card_number": till["card"],
        "amount": "12.50",
        "category": "hospital_self_pay",
        "settlement_number": "S-HOSTILE",
        **spoil,
    }
    for name in drop:
        body.pop(name, None)
    before = counts()

    response = _post(client, CHARGES, body, till["key"])

    _check(response, before)


RAW_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"charge"',
    b'{"amount": NaN}',
    b'{"amount": Infinity}',
    b'{"amount": 1e309}',
    b"\xff\xfe\x00",
    b'{"id_number": "\xed\xa0\x80"}',  # an encoded lone surrogate: not UTF-8
    b'{"a":' * 5000 + b"1" + b"}" * 5000,  # deep nesting
]


@pytest.mark.parametrize("raw_body", RAW_BODIES, ids=range(len(RAW_BODIES)))
def test_a_body_that_is_not_a_charge_is_refused_in_the_error_shape(client, till, raw_body):
    before = counts()

    response = _post(client, CHARGES, None, till["key"], raw_body=raw_body)

    assert response.status_code in (400, 422), response.status_code
    _error_shape(response)
    assert counts() == before


@HOSTILE
@given(number=odd_text, refund=st.one_of(odd_text, JSON_VALUES))
@example(number="S\x00", refund="R-1")
@example(number="S-1", refund="R\x00")
@example(number="\ud800", refund="R-1")
def test_looking_up_or_refunding_a_hostile_settlement_number_never_fails(
    client, till, number, refund
):
    path = f"{CHARGES}/{quote(number.encode('utf-8', 'surrogatepass'), safe='')}"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {till['key']}"}
    before = counts()

    looked_up = client.get(path, **headers)
    refunded = client.generic(
        "POST",
        f"{path}/refund",
        json.dumps({"refund_number": refund}),
        content_type="application/json",
        **headers,
    )

    for response in (looked_up, refunded):
        assert response.status_code < 500
        if response.status_code != 404 or response.get("Content-Type", "").startswith("applic"):
            _error_shape(response)
    assert counts() == before


# --- schemathesis: the API against its own schema --------------------------------------------

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/institutions"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.django_db
@schema.parametrize()
@settings(parent=HOSTILE)
def test_the_api_keeps_to_its_schema(case, till, wsgi_shares_the_test_transaction):
    """Generated from the OpenAPI schema, with a real key: no 5xx, every answer as declared."""
    response = case.call(
        app=WSGIHandler(),
        base_url="http://localhost",
        headers={"Authorization": f"Bearer {till['key']}"},
    )

    case.validate_response(response, checks=CHECKS)
    assert_whole()
