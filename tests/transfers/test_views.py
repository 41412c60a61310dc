"""The pages: who sees what, the steps offered, applying online and at the window."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import PersonalAccount
from cases.models import Notification
from tests.accounts.factories import (
    AgencyFactory,
    InsuredPersonFactory,
    UserFactory,
    region,
    staff_user,
)
from tests.transfers.factories import mover, photo, window_transfer
from transfers import services
from transfers.models import Transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant(places):
    person = mover(places.dongguan, places.changde)
    return UserFactory(username="applicant", person=person, mobile="13700000000")


@pytest.fixture
def transfer(places, applicant):
    return window_transfer(applicant.person, places.dongguan, places.changde)


def _page(client, user, transfer):
    client.force_login(user)
    return client.get(reverse("transfers:detail", args=[transfer.case_id]))


def _actions(response):
    return [a.name for a in response.context["actions"]]


def test_an_applicant_cannot_see_someone_elses_transfer(client, places, transfer):
    other = UserFactory(username="other", person=InsuredPersonFactory())

    response = _page(client, other, transfer)

    assert response.status_code == 404


def test_staff_of_an_unrelated_agency_get_a_404(client, transfer):
    hangzhou = AgencyFactory(code="330100-01", region=region("330100", "杭州市", "prefecture"))

    response = _page(client, staff_user("clerk", hangzhou), transfer)
    pdf = client.get(reverse("transfers:info_table_pdf", args=[transfer.case_id]))

    assert response.status_code == 404
    assert pdf.status_code == 404


def test_the_refusal_reasons_appear_on_the_applicants_page(client, places, origin_clerk):
    person = mover(places.dongguan, places.changde, in_arrears=True)
    user = UserFactory(username="refused", person=person)
    transfer = window_transfer(person, places.dongguan, places.dongguan)
    services.transfer_refuse(case=transfer.case, by=origin_clerk)

    response = _page(client, user, transfer)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="refusal-reasons"' in body
    assert "欠费" in body
    assert body.count("<li>", body.index("refusal-reasons")) >= 2


def test_both_agencies_see_the_case_with_the_id_number_masked_for_a_clerk(
    client, transfer, origin_clerk, destination_clerk, places
):
    at_origin = _page(client, origin_clerk, transfer)
    at_destination = _page(client, destination_clerk, transfer)
    supervisor = _page(client, staff_user("supervisor", places.dongguan), transfer)
    client.post(reverse("cases:reveal_id", args=[transfer.case_id]), {"what": "id_number"})
    revealed = client.get(reverse("transfers:detail", args=[transfer.case_id]))

    number = transfer.case.person.id_number
    assert at_origin.status_code == at_destination.status_code == 200
    assert number not in at_origin.content.decode()
    assert number[-2:] in at_origin.content.decode()
    # Even a supervisor sees it masked until a reveal that the history records.
    assert number not in supervisor.content.decode()
    assert number in revealed.content.decode()
    assert transfer.case.events.filter(action="id_revealed").count() == 1


def test_the_origin_clerk_is_offered_the_check_and_the_destination_nothing_yet(
    client, transfer, origin_clerk, destination_clerk, places
):
    origin = _page(client, origin_clerk, transfer)
    destination = _page(client, destination_clerk, transfer)
    auditor = _page(client, staff_user("auditor", places.dongguan), transfer)

    assert _actions(origin) == ["accept", "refuse", "request_documents", "cancel"]
    assert _actions(destination) == ["cancel"]
    assert _actions(auditor) == []
    assert 'data-action="accept"' in origin.content.decode()


def test_after_transfer_out_only_the_destination_may_transfer_in(
    client, transfer, origin_clerk, destination_clerk
):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)

    assert _actions(_page(client, origin_clerk, transfer)) == []
    # The destination may also ask for documents (补件) during its five days.
    assert _actions(_page(client, destination_clerk, transfer)) == [
        "request_documents",
        "transfer_in",
    ]


def test_a_failed_check_hides_acceptance_and_lists_the_reasons(client, places, origin_clerk):
    transfer = window_transfer(
        mover(places.dongguan, places.changde, origin_status="active"),
        places.dongguan,
        places.changde,
    )

    response = _page(client, origin_clerk, transfer)

    assert "accept" not in _actions(response)
    assert "停保" in response.content.decode()


def test_accepting_through_the_page_moves_the_case_and_says_so(client, transfer, origin_clerk):
    client.force_login(origin_clerk)

    response = client.post(reverse("transfers:act", args=[transfer.case_id, "accept"]), follow=True)

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.ACCEPTED
    assert response.status_code == 200
    assert response.context["deadlines"].count() == 3  # acceptance (met), origin, total


def test_a_refused_step_becomes_a_message_not_an_error_page(client, places, origin_clerk):
    transfer = window_transfer(
        mover(places.dongguan, places.changde, origin_status="active"),
        places.dongguan,
        places.changde,
    )
    client.force_login(origin_clerk)

    response = client.post(reverse("transfers:act", args=[transfer.case_id, "accept"]), follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert response.status_code == 200
    assert len(messages) == 3  # what happened, then both reasons (no destination enrollment)
    assert "停保" in messages[1]
    assert "参保登记" in messages[2]
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.APPLIED


def test_the_applicant_applies_online_with_two_photos(client, places, applicant):
    client.force_login(applicant)

    response = client.post(
        reverse("transfers:apply"),
        {
            "origin_agency": places.dongguan.pk,
            "destination_agency": places.changde.pk,
            "transfer_type": "employee",
            "contact_phone": "13700000000",
            "id_card_front": photo("front.png"),
            "id_card_back": photo("back.png"),
        },
    )

    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("transfers:detail", args=[transfer.case_id])
    assert transfer.case.documents.count() == 2


def test_a_photo_that_is_not_an_image_is_refused_and_nothing_is_filed(client, places, applicant):
    client.force_login(applicant)
    fake = SimpleUploadedFile("front.png", b"MZ\x90\x00 not a picture", content_type="image/png")

    response = client.post(
        reverse("transfers:apply"),
        {
            "origin_agency": places.dongguan.pk,
            "destination_agency": places.changde.pk,
            "transfer_type": "employee",
            "contact_phone": "13700000000",
            "id_card_front": fake,
            "id_card_back": photo("back.png"),
        },
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Transfer.objects.exists()


def test_a_clerk_takes_in_an_application_by_id_number(client, places, destination_clerk):
    person = mover(places.dongguan, places.changde)
    client.force_login(destination_clerk)

    response = client.post(
        reverse("transfers:intake"),
        {
            "id_number": person.id_number.lower(),
            "origin_agency": places.dongguan.pk,
            "destination_agency": places.changde.pk,
            "transfer_type": "employee",
            "contact_phone": "13700000000",
        },
    )

    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert transfer.case.person == person
    assert transfer.case.channel == "window"
    assert transfer.case.created_by == destination_clerk


def test_the_intake_says_when_no_person_has_the_id_number(client, places, origin_clerk):
    client.force_login(origin_clerk)

    response = client.post(reverse("transfers:intake"), {"id_number": "441900199001011234"})

    assert response.status_code == 200
    assert response.context["form"].errors["id_number"]


def test_an_applicant_cannot_open_the_intake(client, applicant):
    client.force_login(applicant)

    assert client.get(reverse("transfers:intake")).status_code == 404


def test_the_progress_page_shows_done_steps_with_dates_and_expected_ones(
    client, applicant, transfer, origin_clerk
):
    services.transfer_accept(case=transfer.case, by=origin_clerk, on=datetime.date(2026, 12, 24))

    response = _page(client, applicant, transfer)

    steps = response.context["steps"]
    body = response.content.decode()
    assert steps[0].done_on == transfer.applied_on
    assert steps[1].done_on is None
    assert steps[1].expected_on.year == 2027
    assert steps[1].provisional
    assert "provisional-notice" in body  # templates/ui/provisional.html
    assert steps[4].expected_on > steps[1].expected_on


def test_the_applicant_cancels_from_the_progress_page(client, applicant, transfer):
    client.force_login(applicant)

    client.post(reverse("transfers:cancel", args=[transfer.case_id]))

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.CANCELLED


def test_an_upload_answers_a_request_for_documents_and_resumes_the_case(
    client, applicant, transfer, origin_clerk
):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_request_documents(case=transfer.case, by=origin_clerk, note="参保凭证")
    client.force_login(applicant)

    client.post(
        reverse("transfers:upload", args=[transfer.case_id]),
        {"kind": "insurance_certificate", "file": photo("cert.png")},
    )

    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.ACCEPTED
    assert transfer.case.documents.filter(kind="insurance_certificate").exists()


def test_the_information_table_pdf_has_the_chinese_text_and_is_logged(
    client, applicant, transfer, origin_clerk, destination_clerk
):
    import io

    from pypdf import PdfReader

    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    client.force_login(destination_clerk)

    response = client.get(reverse("transfers:info_table_pdf", args=[transfer.case_id]))

    reader = PdfReader(io.BytesIO(response.content))
    text = reader.pages[0].extract_text()
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = [
        f.get_object()["/FontDescriptor"].get("/FontFile2")
        for f in fonts.values()
        if "/FontDescriptor" in f.get_object()
    ]
    assert response["Content-Type"] == "application/pdf"
    assert embedded  # the Chinese font travels with the file (a subset) …
    assert all(embedded)  # … and so does every other font the page uses
    assert "参保人员基本医疗保险信息表" in text
    assert "个人账户" in text or "Account balance" in text
    assert transfer.case.person.name in text
    assert "1000.00" in text
    if folder := os.environ.get("PORTAL_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, "info-table.pdf").write_bytes(response.content)
    assert transfer.case.events.filter(action="info_table_viewed", actor=destination_clerk).exists()


def test_the_reconciliation_queue_lists_mismatches_at_the_destination_only(
    client, transfer, origin_clerk, destination_clerk, destination_supervisor
):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    services.transfer_in(case=transfer.case, by=destination_clerk)
    services.transfer_credit(case=transfer.case, by=destination_clerk, received_amount="1.00")

    client.force_login(destination_supervisor)
    at_destination = client.get(reverse("transfers:reconciliation"))
    page = client.get(reverse("transfers:detail", args=[transfer.case_id]))
    client.force_login(origin_clerk)
    at_origin = client.get(reverse("transfers:reconciliation"))

    assert list(at_destination.context["page"].object_list) == [transfer]
    assert list(at_origin.context["page"].object_list) == []
    assert _actions(page) == ["reconcile_credit", "reconcile_return"]
    assert Notification.objects.filter(recipient=destination_supervisor).exists()


def test_the_applicant_sees_their_transfers_and_the_home_links_them(client, applicant, transfer):
    client.force_login(applicant)

    listing = client.get(reverse("transfers:mine"))
    home = client.get(reverse("accounts:home"))

    assert list(listing.context["transfers"]) == [transfer]
    assert reverse("transfers:apply") in home.content.decode()
    assert PersonalAccount.objects.filter(person=applicant.person).exists()


def test_crediting_with_the_amount_left_empty_is_refused_and_the_case_stays(
    client, transfer, origin_clerk, destination_clerk
):
    services.transfer_accept(case=transfer.case, by=origin_clerk)
    services.transfer_out(case=transfer.case, by=origin_clerk)
    services.transfer_in(case=transfer.case, by=destination_clerk)
    client.force_login(destination_clerk)

    response = client.post(
        reverse("transfers:act", args=[transfer.case_id, "credit"]),
        {"note": "", "amount": "", "confirmed": "1"},
        follow=True,
    )

    transfer.refresh_from_db()
    shown = [str(m) for m in response.context["messages"]]
    assert transfer.state == Transfer.State.TRANSFERRED_IN
    assert "请填写实际到账金额。" in shown
    assert not transfer.case.events.filter(action="credit").exists()
