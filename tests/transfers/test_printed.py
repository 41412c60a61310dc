"""What a transfer prints: the 信息表 with its verification code and QR code, the public page
that checks a printed table (the genuine file accepted, an edited one refused), the receipt
(受理回执) and the refusal notice (不予受理告知书)."""

from __future__ import annotations

import io
import random
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from accounts.masking import mask_name
from cases import printing
from cases.calendar import add_working_days
from tests.accounts.factories import InsuredPersonFactory, UserFactory
from tests.transfers.factories import mover, photo, window_transfer
from transfers import infotable, services
from transfers.codes import normalize, verification_code
from transfers.infotable import render_pdf
from transfers.models import InfoTable, InfoTablePrint
from transfers.selectors import refusal_messages

pytestmark = pytest.mark.django_db

REMEDY = "如不服，可依法申请行政复议或提起行政诉讼"


@pytest.fixture
def applicant(places):
    person = mover(places.dongguan, places.changde)
    return UserFactory(username="applicant", person=person, mobile="13700000000")


@pytest.fixture
def transfer(places, applicant):
    return window_transfer(applicant.person, places.dongguan, places.changde)


@pytest.fixture
def issued(transfer, origin_clerk):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    return InfoTable.objects.get(transfer=transfer)


@pytest.fixture
def refused(places, origin_clerk):
    person = mover(places.dongguan, places.changde, in_arrears=True)
    user = UserFactory(username="refused", person=person)
    transfer = window_transfer(person, places.dongguan, places.dongguan)
    services.transfer_refuse(case=transfer.case, by=origin_clerk, note="申请表未签名")
    transfer.refresh_from_db()
    return user, transfer


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _flat(text: str) -> str:
    """Text without its line breaks and spaces: a wrapped cell reads as one string."""
    return re.sub(r"\s+", "", text)


def _fonts_embedded(pdf: bytes) -> list[object]:
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    return [
        f.get_object()["/FontDescriptor"].get("/FontFile2")
        for f in fonts.values()
        if "/FontDescriptor" in f.get_object()
    ]


def _get(client, user, name, transfer):
    client.force_login(user)
    return client.get(reverse(f"transfers:{name}", args=[transfer.case_id]))


def _download(client, user, table: InfoTable) -> bytes:
    response = _get(client, user, "info_table_pdf", table.transfer)
    assert response.status_code == 200
    return response.content


def _check(code: str, pdf: bytes | None = None, **extra):
    """The verification page asked by someone without an account."""
    data: dict[str, object] = {"code": code}
    if pdf is not None:
        data["pdf"] = _file(pdf)
    return Client(**extra).post(reverse("transfers:verify"), data)


# --- the code and the table ------------------------------------------------------------------


def test_the_code_follows_from_the_seal_and_reads_back_however_it_is_typed(issued):
    code = issued.verification_code

    assert code == verification_code(issued.signature)
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", code)
    assert normalize(code.lower().replace("-", " ")) == code
    assert normalize("ABCD-EFGH") is None


def test_the_table_prints_its_code_and_a_qr_code_of_the_checking_page(
    client, applicant, issued, settings, monkeypatch
):
    settings.PORTAL_BASE_URL = "https://yibao.example.cn/"
    encoded = []
    real = printing.qr_code
    monkeypatch.setattr(printing, "qr_code", lambda url, **kw: encoded.append(url) or real(url))

    pdf = _download(client, applicant, issued)

    text = _text(pdf)
    assert issued.verification_code in text
    assert "https://yibao.example.cn/transfers/verify/" in _flat(text)
    assert encoded == [
        f"https://yibao.example.cn/transfers/verify/?code={issued.verification_code}"
    ]
    assert infotable.verification_url(issued.verification_code) == encoded[0]
    assert "经办人" in text
    assert _fonts_embedded(pdf)
    assert all(_fonts_embedded(pdf))


def test_the_same_table_prints_the_same_bytes_and_is_recorded_once(client, applicant, issued):
    first = _download(client, applicant, issued)
    second = _download(client, applicant, issued)

    assert first == second
    assert InfoTablePrint.objects.filter(table=issued).count() == 1


# --- the verification page -------------------------------------------------------------------


def test_the_page_accepts_the_genuine_pdf(client, applicant, issued):
    pdf = _download(client, applicant, issued)

    response = _check(issued.verification_code, pdf)

    body = response.content.decode()
    person = issued.transfer.case.person
    assert response.status_code == 200
    assert 'data-file="genuine"' in body
    assert 'id="verify-result"' in body
    assert "alert-success" in body
    assert issued.content["origin"]["agency_name"] in body
    assert issued.content["issued_on"] in body
    assert mask_name(person.name) in body
    assert person.name not in body
    assert person.id_number not in body


def test_the_page_refuses_a_pdf_with_one_byte_changed(client, applicant, issued):
    pdf = bytearray(_download(client, applicant, issued))
    pdf[len(pdf) // 2] ^= 0x01

    response = _check(issued.verification_code, bytes(pdf))

    body = response.content.decode()
    assert 'data-file="altered"' in body
    assert "alert-danger" in body
    assert "不是真实的" in body or "not genuine" in body


def test_the_page_refuses_a_table_re_rendered_with_another_balance(client, applicant, issued):
    _download(client, applicant, issued)
    forged = InfoTable.objects.get(pk=issued.pk)
    forged.content = {**forged.content, "balance": "99999.00", "individual_part": "99799.00"}

    response = _check(issued.verification_code, render_pdf(forged))

    assert "99999.00" in _text(render_pdf(forged))
    assert 'data-file="altered"' in response.content.decode()


def test_the_page_refuses_an_unknown_code():
    response = _check("ABCD-EFGH-JKLM-NPQR")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="verify-unknown"' in body
    assert 'id="verify-result"' not in body


def test_a_code_that_cannot_be_one_is_a_form_error():
    response = _check("12345")

    assert response.status_code == 200
    assert response.context["form"].errors["code"]


def test_the_qr_codes_address_shows_the_table_without_a_file(issued):
    url = infotable.verification_url(issued.verification_code)

    parts = urlsplit(url)
    response = Client().get(f"{parts.path}?{parts.query}")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-file="none"' in body
    assert issued.content["origin"]["agency_name"] in body


def test_a_table_whose_stored_content_no_longer_matches_its_seal_is_not_genuine(
    client, applicant, issued
):
    pdf = _download(client, applicant, issued)
    InfoTable.objects.filter(pk=issued.pk).update(content={**issued.content, "balance": "1.00"})

    response = _check(issued.verification_code, pdf)

    body = response.content.decode()
    assert 'data-file="genuine"' in body  # the file is the one printed …
    assert "alert-danger" in body  # … but the seal says the record was altered


def test_lookups_are_limited_per_address(issued, settings):
    settings.VERIFICATION_RATE = "2/min"
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    answers = [_check(issued.verification_code, REMOTE_ADDR=address).status_code for _ in range(3)]

    assert answers == [200, 200, 429]


def test_the_page_needs_no_sign_in_and_carries_no_inline_script_or_style():
    response = Client().get(reverse("transfers:verify"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>" not in body
    assert "<style" not in body
    assert " style=" not in body


# --- the receipt and the refusal notice --------------------------------------------------------


def test_the_receipt_names_the_case_what_was_received_and_the_day_to_act_by(
    client, applicant, transfer
):
    services.transfer_documents_upload(
        case=transfer.case, by=applicant, kind="insurance_certificate", upload=photo("cert.png")
    )

    response = _get(client, applicant, "receipt_pdf", transfer)

    text = _flat(_text(response.content))
    person = transfer.case.person
    assert response["Content-Type"] == "application/pdf"
    assert "受理回执" in text
    assert transfer.case.reference in text
    assert mask_name(person.name) in text
    assert person.name not in text
    assert "参保凭证" in text
    assert transfer.applied_on.isoformat() in text
    assert add_working_days(transfer.applied_on, 10).date.isoformat() in text
    assert _flat(transfer.case.agency.name) in text
    assert all(_fonts_embedded(response.content))


def test_the_refusal_notice_lists_every_reason_and_the_remedy(client, refused):
    user, transfer = refused

    response = _get(client, user, "refusal_notice_pdf", transfer)

    text = _flat(_text(response.content))
    reasons = refusal_messages(transfer)
    assert len(reasons) >= 3
    assert "不予受理告知书" in text
    assert transfer.case.reference in text
    for reason in reasons:
        assert _flat(reason) in text
    assert REMEDY in text
    assert _flat(transfer.case.agency.name) in text


def test_there_is_no_refusal_notice_for_an_application_not_refused(client, applicant, transfer):
    response = _get(client, applicant, "refusal_notice_pdf", transfer)

    assert response.status_code == 404


def test_another_applicant_gets_a_404_for_every_letter(client, issued, refused):
    stranger = UserFactory(username="stranger", person=InsuredPersonFactory())
    _, refused_transfer = refused

    answers = [
        _get(client, stranger, "receipt_pdf", issued.transfer).status_code,
        _get(client, stranger, "info_table_pdf", issued.transfer).status_code,
        _get(client, stranger, "refusal_notice_pdf", refused_transfer).status_code,
    ]

    assert answers == [404, 404, 404]


def test_the_case_pages_link_the_letters_there_are(
    client, applicant, transfer, refused, origin_clerk
):
    user, refused_transfer = refused

    progress = _get(client, applicant, "detail", transfer).content.decode()
    refused_page = _get(client, user, "detail", refused_transfer).content.decode()
    staff_page = _get(client, origin_clerk, "detail", refused_transfer).content.decode()

    receipt = reverse("transfers:receipt_pdf", args=[transfer.case_id])
    notice = reverse("transfers:refusal_notice_pdf", args=[refused_transfer.case_id])
    assert receipt in progress
    assert "refusal-notice.pdf" not in progress
    assert notice in refused_page
    assert notice in staff_page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_findings_are_in_one_language(client, applicant, issued, language):
    from tests.test_one_language import wrong_words

    pdf = _download(client, applicant, issued)
    anonymous = Client()
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    with translation.override(language):
        genuine = anonymous.post(
            reverse("transfers:verify"), {"code": issued.verification_code, "pdf": _file(pdf)}
        )
        edited = anonymous.post(
            reverse("transfers:verify"), {"code": issued.verification_code, "pdf": _file(b"%PDF")}
        )
        unknown = anonymous.get(reverse("transfers:verify"), {"code": "ABCD-EFGH-JKLM-NPQR"})

    for response in (genuine, edited, unknown):
        html = response.content.decode()
        assert f'lang="{language}"' in html
        assert wrong_words(html, language) == []


def _file(content: bytes) -> io.BytesIO:
    upload = io.BytesIO(content)
    upload.name = "table.pdf"
    return upload
