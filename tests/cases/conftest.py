"""Personas for the shared case machinery: the applicant, colleagues of one agency (clerk,
second clerk, reviewer, supervisor, auditor), and an outsider from another agency."""

from __future__ import annotations

import pytest
from django.core import mail

from cases import registry
from cases.sms import MemorySmsSender
from tests.accounts.factories import (
    AgencyFactory,
    InsuredPersonFactory,
    guangdong_regions,
    staff_user,
)
from tests.cases.factories import SAMPLE_KIND, CaseFactory, applicant_for

TEST_PAGE = "test_case_page"


@pytest.fixture(autouse=True)
def _own_kind_registry(monkeypatch):
    # Workflow apps register their kinds when they load; these tests must not depend on
    # their pages, so each test starts with no kind registered.
    monkeypatch.setattr(registry, "_KINDS", {})


@pytest.fixture(autouse=True)
def _no_worker_needed():
    """Notifications handed to Celery after commit are delivered in the test's own process."""
    from config.celery_app import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _empty_outboxes():
    MemorySmsSender.clear()
    mail.outbox = []


@pytest.fixture
def case_page(settings):
    """A stand-in workflow page (tests/cases/urls.py) for the sample kind, showing every
    shared include, so that redirects to "the case page" have somewhere to land."""
    settings.ROOT_URLCONF = "tests.cases.urls"
    registry.register_kind(SAMPLE_KIND, detail_url_name=TEST_PAGE, model_label="cases.Case")


@pytest.fixture
def regions(db):
    return guangdong_regions()


@pytest.fixture
def agency(regions):
    return AgencyFactory(code="DG", name="东莞市医保局", region=regions["dongguan"])


@pytest.fixture
def far_agency(regions):
    return AgencyFactory(code="CD", name="常德市医保局", region=regions["changde"])


def staff(role: str, agency, username: str | None = None):
    user = staff_user(role, agency, username=username)
    user.email = f"{user.username}@agency.example"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def clerk(agency):
    return staff("clerk", agency)


@pytest.fixture
def colleague(agency):
    return staff("clerk", agency, username="DG-clerk-2")


@pytest.fixture
def reviewer(agency):
    return staff("reviewer", agency)


@pytest.fixture
def supervisor(agency):
    return staff("supervisor", agency)


@pytest.fixture
def auditor(agency):
    return staff("auditor", agency)


@pytest.fixture
def outsider(far_agency):
    return staff("supervisor", far_agency)


@pytest.fixture
def person(db):
    return InsuredPersonFactory(name="张三", phone="13912345678")


@pytest.fixture
def applicant(person):
    return applicant_for(person)


@pytest.fixture
def stranger(db):
    return applicant_for(InsuredPersonFactory(name="李四"))


@pytest.fixture
def case(person, agency, applicant):
    return CaseFactory(person=person, agency=agency, applicant=applicant, by=applicant)
