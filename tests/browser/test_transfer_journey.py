"""The whole transfer in a real browser: the applicant applies online with photos of both
sides of the ID card, a clerk at the origin accepts and transfers out, a clerk at the
destination transfers in and credits, and the applicant follows each step with its date."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from cases.workflow import today
from tests.accounts.factories import UserFactory, staff_user
from tests.browser.conftest import login, press_step
from tests.transfers.factories import mover, world
from transfers.models import Transfer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Str0ng-pass"


def _png(path, colour):
    Image.new("RGB", (120, 76), colour).save(path, format="PNG")
    return str(path)


def _days(page, items):
    """The day in each of these steps of the step bar: done on, or expected by."""
    texts = page.locator(f"{items} .stepbar-status").all_text_contents()
    return [m.group(0) for t in texts if (m := re.search(r"\d{4}-\d{2}-\d{2}", t))]


def _step(page, case_id, action):
    page.goto(f"/transfers/{case_id}/")
    press_step(page, page.locator(f"form[data-action={action}]"))
    page.wait_for_selector(".alert-success")


def test_an_online_transfer_from_application_to_credit(new_page, tmp_path):
    places = world()
    person = mover(places.dongguan, places.changde)
    UserFactory(username="mover", person=person, mobile="13712345678")
    origin_clerk = staff_user("clerk", places.dongguan)
    destination_clerk = staff_user("clerk", places.changde)

    applicant = new_page()
    login(applicant, person.id_number, PASSWORD)
    applicant.wait_for_selector("#transfers-link")
    applicant.goto("/transfers/apply/")
    applicant.select_option("select[name=origin_agency]", str(places.dongguan.pk))
    applicant.select_option("select[name=destination_agency]", str(places.changde.pk))
    applicant.select_option("select[name=transfer_type]", "employee")
    applicant.fill("input[name=contact_phone]", "13712345678")
    applicant.set_input_files("input[name=id_card_front]", _png(tmp_path / "f.png", "red"))
    applicant.set_input_files("input[name=id_card_back]", _png(tmp_path / "b.png", "blue"))
    applicant.click("#apply-form button[type=submit]")
    applicant.wait_for_url(re.compile(r"/transfers/\d+/$"))
    case_id = Transfer.objects.get().case_id

    clerk = new_page()
    login(clerk, origin_clerk.username, PASSWORD)
    _step(clerk, case_id, "accept")
    _step(clerk, case_id, "transfer_out")
    applicant.goto(f"/transfers/{case_id}/")
    halfway = _days(applicant, ".stepbar-done")
    expected = _days(applicant, ".stepbar-item:not(.stepbar-done)")
    other = new_page()
    login(other, destination_clerk.username, PASSWORD)
    _step(other, case_id, "transfer_in")
    _step(other, case_id, "credit")

    applicant.goto(f"/transfers/{case_id}/")
    done = _days(applicant, ".stepbar-done")
    assert halfway == [today().isoformat()] * 2
    assert len(expected) == 3
    assert all(day >= today().isoformat() for day in expected)
    assert done == [today().isoformat()] * 5
    assert applicant.locator("[data-state]").get_attribute("data-state") == "completed"
    assert Transfer.objects.get().state == Transfer.State.COMPLETED
