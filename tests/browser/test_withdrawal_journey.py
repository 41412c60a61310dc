"""An applicant with a serious illness applies online with documents; a clerk and then a
reviewer of the same agency approve; the payout is made; the applicant sees the payout and
the account closed."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from PIL import Image

from accounts.models import LedgerTransaction, PersonalAccount
from cases.models import DocumentKind
from tests.accounts.factories import UserFactory
from tests.browser.conftest import login, press_step
from tests.withdrawals.factories import account_in, clerk_and_reviewer, dongguan_agency
from withdrawals import rules
from withdrawals.models import Withdrawal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Str0ng-pass"


def _scans(tmp_path):
    """A small PNG for the cards and a small PDF for the hospital's papers."""
    png = tmp_path / "scan.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (240, 240, 230)).save(buffer, format="PNG")
    png.write_bytes(buffer.getvalue())
    pdf = tmp_path / "hospital.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    papers = {DocumentKind.DIAGNOSIS, DocumentKind.EXPENSE_LIST}
    return {
        kind: str(pdf if kind in papers else png)
        for kind in rules.required_documents("serious_illness")
    }


def _submit(page, selector):
    form = page.locator(selector).locator("xpath=ancestor::form")
    if form.get_attribute("data-action"):
        press_step(page, form)
        return
    with page.expect_navigation():
        page.click(selector)


def _zh(label):
    with translation.override("zh-hans"):
        return str(label)


def test_an_ill_applicant_is_paid_after_two_reviews_and_sees_the_account_closed(new_page, tmp_path):
    agency = dongguan_agency()
    account = account_in(agency, individual="1200.00", employer="300.00")
    person = account.person
    UserFactory(username=f"applicant-{person.pk}", person=person, mobile=person.phone)
    clerk, reviewer = clerk_and_reviewer(agency)

    # The applicant chooses the ground, sees the amount, and applies with the documents.
    applicant = new_page()
    login(applicant, person.id_number, PASSWORD)
    applicant.click("#withdrawals-link a")
    applicant.click(f"a[href='{reverse('withdrawals:apply')}']")
    applicant.check("input[name=ground][value=serious_illness]")
    _submit(applicant, "#next-step")
    assert applicant.inner_text("#preview #payout-amount") == "1200.00"
    applicant.fill("input[name=bank_name]", "中国工商银行东莞分行")
    applicant.fill("input[name=bank_account]", "6222020200112233446")
    for kind, path in _scans(tmp_path).items():
        applicant.set_input_files(f"input[name=doc_{kind}]", path)
    _submit(applicant, "#submit-application")
    withdrawal = Withdrawal.objects.get(case__person=person)
    case_url = reverse("withdrawals:detail", args=[withdrawal.pk])
    assert applicant.url.endswith(case_url)
    assert withdrawal.case.documents.count() == 5

    # A clerk does the first review, a reviewer of the same agency the second.
    clerk_page = new_page()
    login(clerk_page, clerk.username, PASSWORD)
    clerk_page.goto(case_url)
    assert clerk_page.locator("#form-approve").count() == 0
    _submit(clerk_page, "#form-first-review button[type=submit]")
    assert clerk_page.locator("#form-first-review").count() == 0

    reviewer_page = new_page()
    login(reviewer_page, reviewer.username, PASSWORD)
    reviewer_page.goto(case_url)
    _submit(reviewer_page, "#form-approve button[type=submit]")
    assert Withdrawal.objects.get(pk=withdrawal.pk).state == Withdrawal.State.APPROVED

    # The clerk makes the payout.
    clerk_page.goto(case_url)
    _submit(clerk_page, "#form-pay button[type=submit]")
    assert Withdrawal.objects.get(pk=withdrawal.pk).state == Withdrawal.State.CLOSED
    payout = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.WITHDRAWAL)
    # The person's side of the payout (its counterpart is the bank-payout clearing account).
    assert payout.entries.get(account__isnull=False).amount == Decimal("1200.00")

    # The applicant sees the payout and the account shown as closed.
    applicant.goto(case_url)
    assert applicant.locator("#payout-done").is_visible()
    assert applicant.inner_text("#payout-amount") == "1200.00"
    closed = _zh(PersonalAccount.Status.CLOSED.label)
    assert closed in applicant.inner_text("#account-status")
    applicant.goto(reverse("accounts:home"))
    home = applicant.content()
    assert closed in home
    assert re.search(r"-1200\.00", home)
    applicant.screenshot(path=str(tmp_path / "applicant-home.png"), full_page=True)
