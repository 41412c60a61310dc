"""Every form of the portal fed hostile values, a few fields at a time, over HTTP: never a 5xx,
always a clear message (form errors or messages), and either the whole application saved or
nothing at all (row counts of cases, history, documents, ledger, bindings… before and after,
and every case whole)."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone
from hypothesis import example, given
from hypothesis import strategies as st

from accounts.choices import WithdrawalGround
from tests.hostile.conftest import HOSTILE
from tests.hostile.helpers import (
    Upload,
    check_answer,
    counts,
    photo,
    png,
    post_multipart,
    post_urlencoded,
    rolled_back,
)
from tests.hostile.strategies import amounts, dates, id_numbers, odd_text
from withdrawals import rules


def spoiled(fields: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[dict[str, str]]:
    """One to three of the fields, each given a hostile value."""
    pairs = st.sampled_from(sorted(fields)).flatmap(lambda f: st.tuples(st.just(f), fields[f]))
    return st.lists(pairs, min_size=1, max_size=3).map(dict)


def send(client, url: str, valid: dict, hostile: dict, *, multipart: bool = False):
    data = {**valid, **hostile}
    if multipart:
        return post_multipart(client, url, data)
    return post_urlencoded(client, url, data)


# --- sign-up and sign-in -----------------------------------------------------------------------


SIGNUP = {"id_number": id_numbers, "name": odd_text, "mobile": odd_text}


@HOSTILE
@given(hostile=spoiled(SIGNUP))
@example(hostile={"id_number": "44190019800101001\x00"})
@example(hostile={"name": "\ud800", "mobile": "１３８００００１１１１"})
@example(hostile={"name": "x" * 200_000})
def test_signup_refuses_hostile_details_with_a_message(client, on_record, hostile):
    valid = {"id_number": on_record.id_number, "name": on_record.name, "mobile": on_record.phone}

    with rolled_back():
        before = counts()
        response = send(client, reverse("accounts:signup"), valid, hostile)
        check_answer(response, before)


@HOSTILE
@given(username=odd_text, password=odd_text)
@example(username="\x00", password="x")
@example(username="\ud800", password="\udfff")
@example(username="x" * 200_000, password="p")
def test_login_refuses_hostile_credentials_with_a_message(client, settings, db, username, password):
    settings.AXES_ENABLED = True  # the lockout records what was typed: it must cope too

    with rolled_back():
        before = counts()
        response = post_urlencoded(
            client, reverse("accounts:login"), {"username": username, "password": password}
        )
        check_answer(response, before)


# --- transfers ---------------------------------------------------------------------------------


TRANSFER = {
    "origin_agency": st.one_of(odd_text, st.integers().map(str)),
    "destination_agency": st.one_of(odd_text, st.integers().map(str)),
    "transfer_type": odd_text,
    "contact_phone": odd_text,
    "payout_reason": odd_text,
    "bank_name": odd_text,
    "bank_account_number": odd_text,
    "bank_account_name": odd_text,
}


def transfer_form(places) -> dict:
    return {
        "origin_agency": str(places.dongguan.pk),
        "destination_agency": str(places.changde.pk),
        "transfer_type": "employee",
        "contact_phone": "13900000000",
    }


@HOSTILE
@given(hostile=spoiled(TRANSFER))
@example(hostile={"origin_agency": "\x00", "contact_phone": "١٢٣٤٥٦٧٨"})
@example(hostile={"destination_agency": "9" * 30, "transfer_type": "\ud800"})
@example(hostile={"payout_reason": "relocated_retiree", "bank_account_name": "\u202e"})
def test_online_transfer_application_refuses_hostile_input(mover_client, places, hostile):
    valid = {**transfer_form(places), "id_card_front": photo(), "id_card_back": photo()}

    with rolled_back():
        before = counts()
        response = send(mover_client, reverse("transfers:apply"), valid, hostile, multipart=True)
        check_answer(response, before)


@HOSTILE
@given(hostile=spoiled({**TRANSFER, "id_number": id_numbers}))
@example(hostile={"id_number": "44190019800101001\x00"})
@example(hostile={"id_number": "1" * 200, "origin_agency": "-1"})
def test_window_transfer_intake_refuses_hostile_input(client, clerk, places, hostile):
    from tests.transfers.factories import mover

    person = mover(places.dongguan, places.changde)
    client.force_login(clerk)
    valid = {**transfer_form(places), "id_number": person.id_number}

    with rolled_back():
        before = counts()
        response = send(client, reverse("transfers:intake"), valid, hostile)
        check_answer(response, before)


# --- withdrawals and emergency refunds ---------------------------------------------------------


WITHDRAWAL = {"payee_name": odd_text, "bank_name": odd_text, "bank_account": odd_text}


@HOSTILE
@given(hostile=spoiled(WITHDRAWAL), ground_hostile=st.one_of(st.none(), odd_text))
@example(hostile={"bank_account": "\x00"}, ground_hostile=None)
@example(hostile={"payee_name": "\u202e张三"}, ground_hostile="death")
def test_withdrawal_application_refuses_hostile_input(account_client, hostile, ground_hostile):
    ground = WithdrawalGround.SERIOUS_ILLNESS
    documents = {f"doc_{kind}": photo(f"{kind}.png") for kind in rules.required_documents(ground)}
    valid = {
        "payee_name": account_client.account.person.name,
        "bank_name": "中国工商银行",
        "bank_account": "6222020200112233446",
        **documents,
    }

    with rolled_back():
        before = counts()
        first = post_urlencoded(
            account_client,
            reverse("withdrawals:apply"),
            {"ground": ground if ground_hostile is None else ground_hostile},
        )
        assert first.status_code < 500
        response = send(
            account_client, reverse("withdrawals:apply_confirm"), valid, hostile, multipart=True
        )
        check_answer(response, before)


REFUND = {"hospital": odd_text, "treated_on": dates, "amount": amounts}


@HOSTILE
@given(hostile=spoiled(REFUND))
@example(hostile={"amount": "NaN"})
@example(hostile={"amount": "1e309", "treated_on": "99999-01-01"})
@example(hostile={"amount": "Infinity", "hospital": "\x00"})
@example(hostile={"amount": "0.001"})
@example(hostile={"amount": "-5", "treated_on": "2999-01-01"})
def test_emergency_refund_refuses_hostile_input(account_client, hostile):
    valid = {
        "hospital": "东莞市人民医院",
        "treated_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "amount": "128.50",
        "receipts": photo("receipts.png"),
    }

    with rolled_back():
        before = counts()
        response = send(
            account_client, reverse("withdrawals:refund_apply"), valid, hostile, multipart=True
        )
        check_answer(response, before)


# --- family pool -------------------------------------------------------------------------------


BIND = {
    "other_id_number": id_numbers,
    "other_name": odd_text,
    "relation": odd_text,
    "role": odd_text,
}


@HOSTILE
@given(hostile=spoiled(BIND))
@example(hostile={"other_id_number": "44190019800101001\x00"})
@example(hostile={"relation": "cousin"})
@example(hostile={"other_name": "e" + "\u0301" * 50, "role": "\ud800"})
def test_binding_request_refuses_hostile_input(holder_client, hostile):
    child = holder_client.child
    valid = {
        "other_id_number": child.id_number,
        "other_name": child.name,
        "relation": "child",
        "role": "holder",
    }

    with rolled_back():
        before = counts()
        response = send(holder_client, reverse("family_pool:bind"), valid, hostile)
        check_answer(response, before)


@HOSTILE
@given(quota=amounts)
@example(quota="NaN")
@example(quota="1e309")
@example(quota="-1")
@example(quota="0.001")
@example(quota="1" + "0" * 40)
def test_quota_refuses_hostile_amounts_with_a_message(holder_client, quota):
    binding = holder_client.binding
    url = reverse("family_pool:quota", args=[binding.pk])

    with rolled_back():
        before = counts()
        response = post_urlencoded(holder_client, url, {"quota": quota})

        assert response.status_code == 302
        binding.refresh_from_db()
        if binding.quota is not None:
            # Whatever was accepted is an amount in yuan: two places, not negative, not huge.
            assert binding.quota == binding.quota.quantize(binding.quota.__class__("0.01"))
            assert 0 <= binding.quota <= 3000
        else:
            check_answer(response, before)


# --- shared case parts: notes and documents ----------------------------------------------------


@HOSTILE
@given(text=odd_text)
@example(text="\x00")
@example(text="x" * 200_000)
@example(text="\u200f\u200e")
def test_a_note_is_saved_whole_or_refused_with_a_message(client, withdrawal, clerk, text):
    client.force_login(clerk)
    url = reverse("cases:note_add", args=[withdrawal.case.pk])

    with rolled_back():
        before = counts()
        response = post_urlencoded(client, url, {"text": text})

        assert response.status_code == 302
        saved = check_answer(response, before)
        if saved:
            note = withdrawal.case.events.filter(action="note").latest("id")
            assert "\x00" not in note.reason
            assert note.reason.strip()


FILES = st.one_of(
    st.builds(Upload, name=odd_text, content=st.just(png()), content_type=odd_text),
    st.builds(Upload, name=odd_text, content=st.binary(max_size=2048), content_type=odd_text),
)


@HOSTILE
@given(kind=st.one_of(st.just("other"), odd_text), upload=FILES)
@example(kind="other", upload=Upload("../../../../etc/passwd.png", png(), "image/png"))
@example(kind="other", upload=Upload("scan\x00.exe.png", b"MZ\x90\x00" + b"\x00" * 64, "image/png"))
def test_document_upload_stores_a_checked_file_or_refuses_it(client, withdrawal, kind, upload):
    client.force_login(withdrawal.case.applicant)
    url = reverse("cases:document_upload", args=[withdrawal.case.pk])

    with rolled_back():
        before = counts()
        response = post_multipart(client, url, {"kind": kind, "file": upload})

        saved = check_answer(response, before)
        if saved:
            document = withdrawal.case.documents.latest("id")
            assert document.content_type in {"image/png", "image/jpeg", "application/pdf"}
            assert "/" not in document.original_name
            assert "\x00" not in document.original_name
