"""Applying online as the demo's applicants would, in a real browser: what stops an
application is said before it is filed, a card number failing its check digit is corrected on
the form, a form error keeps the documents, a just-filed transfer shows its expected days and
next step, and the "received" message leads to the case. Each page is photographed in Chinese
and English into the test's temporary directory (`screenshots/`), to be looked at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from accounts.demo import DEMO_PASSWORD
from accounts.demo import load_demo as load_people
from accounts.models import Agency, Region
from cases.calendar import add_working_days
from cases.models import Notification
from cases.workflow import today
from tests.accounts.factories import guangdong_regions, region
from transfers.demo import load_demo as load_transfers
from transfers.demo_applicants import NOT_ENROLLED_THERE, READY_TO_MOVE, load_demo_applicants
from transfers.models import Transfer
from withdrawals.models import Withdrawal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BAD_CARD = "6222020200112233445"
GOOD_CARD = "6222020200112233446"


@pytest.fixture
def demo(db):
    """The demo as `manage.py load_demo` makes it, in the four demo cities only."""
    guangdong_regions()
    region("330100", "杭州市", Region.Level.PREFECTURE, region("330000", "浙江省", "province"))
    load_people(persons_per_agency=6)
    load_transfers()
    load_demo_applicants()


@pytest.fixture
def shots(tmp_path):
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


@pytest.fixture(params=["zh-hans", "en"])
def lang(request):
    """Each journey in Chinese (no prefix) and in English (/en/)."""
    return request.param


def _at(lang: str, path: str) -> str:
    return path if lang == "zh-hans" else "/en" + path


def _sign_in(page, lang: str, id_number: str) -> None:
    page.goto(_at(lang, "/login/"))
    page.fill("input[name=username]", id_number)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")


def _photo(page, shots: Path, name: str, lang: str) -> None:
    page.screenshot(path=str(shots / f"{name}-{lang}.png"), full_page=True)


# Words that must be on the page, in each language.
WORDS = {
    "zh-hans": {"transfer": "转移", "check digit": "校验", "enroll": "参保登记", "stop": "停保"},
    "en": {
        "transfer": "transfer",
        "check digit": "check digit",
        "enroll": "enroll",
        "stop": "stop",
    },
}


def _png(path: Path, colour: str) -> str:
    Image.new("RGB", (120, 76), colour).save(path, format="PNG")
    return str(path)


def _agency(region_code: str) -> str:
    return str(Agency.objects.get(region_id=region_code).pk)


def _person_of_the_online_transfer():
    return Transfer.objects.get(case__channel="online", case__closed_at__isnull=True).case.person


def test_a_transfer_to_where_the_person_is_not_enrolled_is_stopped_before_filing(
    demo, lang, page, tmp_path, shots
):
    _sign_in(page, lang, NOT_ENROLLED_THERE.id_number)
    page.wait_for_selector("#transfers-link")
    page.goto(_at(lang, "/transfers/apply/"))
    page.select_option("select[name=origin_agency]", _agency("441900"))
    page.select_option("select[name=destination_agency]", _agency("430700"))
    page.select_option("select[name=transfer_type]", "employee")
    page.set_input_files("input[name=id_card_front]", _png(tmp_path / "f.png", "red"))
    page.set_input_files("input[name=id_card_back]", _png(tmp_path / "b.png", "blue"))
    page.click("#apply-form button[type=submit]")

    reasons = page.locator("#cannot-file li").all_text_contents()
    _photo(page, shots, "transfer-stopped", lang)
    words = WORDS[lang]
    assert any(
        "常德" in r and words["enroll"] in r and "常德市医疗保障事务中心" in r for r in reasons
    )
    assert any(words["stop"] in r for r in reasons)
    assert page.locator("#kept-files").is_visible()
    assert not Transfer.objects.filter(case__person__id_number=NOT_ENROLLED_THERE.id_number)


def test_a_withdrawal_with_an_open_transfer_is_stopped_before_the_form(demo, lang, page, shots):
    person = _person_of_the_online_transfer()
    _sign_in(page, lang, person.id_number)
    page.wait_for_selector("#withdrawals-link")
    page.goto(_at(lang, "/withdrawals/apply/"))

    blockers = page.locator("#blockers li").all_text_contents()
    page.check("input[name=ground][value=serious_illness]")
    page.click("#next-step")
    refused = page.locator("#cannot-file li").all_text_contents()
    _photo(page, shots, "withdrawal-stopped", lang)
    assert len(blockers) == 1
    assert WORDS[lang]["transfer"] in blockers[0].lower()
    assert refused == blockers
    assert not Withdrawal.objects.exists()


def test_a_bad_card_number_is_corrected_on_the_form_which_keeps_the_documents(
    demo, lang, page, tmp_path, shots
):
    _sign_in(page, lang, NOT_ENROLLED_THERE.id_number)
    page.wait_for_selector("#withdrawals-link")
    page.goto(_at(lang, "/withdrawals/apply/"))
    page.check("input[name=ground][value=serious_illness]")
    page.click("#next-step")
    page.wait_for_url(re.compile(r"/withdrawals/apply/confirm/$"))
    page.fill("input[name=bank_name]", "中国工商银行")
    page.fill("input[name=bank_account]", BAD_CARD)
    for index, field in enumerate(page.locator("input[type=file]").all()):
        field.set_input_files(_png(tmp_path / f"doc{index}.png", "green"))
    page.click("#submit-application")

    warning = page.locator("#id_bank_account ~ .invalid-feedback, .invalid-feedback").first
    warned = warning.text_content() or ""
    kept = page.locator("#kept-files").text_content() or ""
    _photo(page, shots, "card-warning", lang)
    page.fill("input[name=bank_account]", GOOD_CARD)
    page.click("#submit-application")
    page.wait_for_url(re.compile(r"/withdrawals/\d+/$"))
    _photo(page, shots, "withdrawal-filed", lang)

    withdrawal = Withdrawal.objects.get()
    assert WORDS[lang]["check digit"] in warned
    assert "doc0.png" in kept
    assert withdrawal.bank_account == GOOD_CARD
    assert withdrawal.case.documents.count() == 5


def test_a_just_filed_transfer_shows_its_days_and_the_received_message_opens_it(
    demo, lang, page, tmp_path, shots
):
    _sign_in(page, lang, READY_TO_MOVE.id_number)
    page.wait_for_selector("#transfers-link")
    page.goto(_at(lang, "/transfers/apply/"))
    page.select_option("select[name=origin_agency]", _agency("441900"))
    page.select_option("select[name=destination_agency]", _agency("430700"))
    page.select_option("select[name=transfer_type]", "employee")
    page.set_input_files("input[name=id_card_front]", _png(tmp_path / "f.png", "red"))
    page.set_input_files("input[name=id_card_back]", _png(tmp_path / "b.png", "blue"))
    page.click("#apply-form button[type=submit]")
    page.wait_for_url(re.compile(r"/transfers/\d+/$"))

    transfer = Transfer.objects.get(case__person__id_number=READY_TO_MOVE.id_number)
    statuses = page.locator("#progress .stepbar-status").all_text_contents()
    next_step = page.locator("#next-step").text_content() or ""
    _photo(page, shots, "progress", lang)
    page.goto(_at(lang, "/inbox/"))
    message = page.locator(f"li.message:has-text('{transfer.case.reference}')").first
    received = message.text_content() or ""
    _photo(page, shots, "inbox", lang)
    message.locator("button.open-case").click()
    page.wait_for_url(re.compile(rf"/transfers/{transfer.case_id}/$"))

    out_by = add_working_days(today(), 10).date.isoformat()
    done_by = add_working_days(today(), 15).date.isoformat()
    assert today().isoformat() in statuses[0]
    assert out_by in statuses[1]
    assert all(done_by in s for s in statuses[2:])
    assert "东莞" in next_step
    assert out_by in next_step
    assert transfer.case.reference in received
    assert out_by in received
    sms = Notification.objects.get(case=transfer.case, channel=Notification.Channel.SMS)
    assert sms.body.endswith(f"/c/{transfer.case_id}")
    assert Notification.objects.get(case=transfer.case, channel="inbox").read_at is not None
