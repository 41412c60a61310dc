"""People and cases the hostile-input properties aim at, each form with a valid baseline that a
property then spoils field by field."""

from __future__ import annotations

import datetime

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from accounts.choices import WithdrawalGround
from family_pool import services as pool
from family_pool.models import Relation
from tests.accounts.factories import InsuredPersonFactory, UserFactory, staff_user
from tests.family_pool.factories import holder, insured
from tests.transfers.factories import mover, world
from tests.withdrawals.factories import account_in, application_for, documents_for, upload
from withdrawals.services import withdrawal_submit

# Each property is bounded so that the folder runs in about a minute. Examples share the test's
# fixtures (rolled back one by one inside the test), hence the function-scoped-fixture check off.
HOSTILE = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture(autouse=True)
def _english_and_a_private_document_store(tmp_path, monkeypatch):
    """English pages (URLs reversed here carry /en/), the thread's language restored after;
    uploads in a folder of this test's own, so that what it finds there (or does not) is not
    another parallel test run's files. The field holds its storage object from import on, so
    the object is replaced, not the setting."""
    from django.core.files.storage import FileSystemStorage
    from django.utils import translation

    from cases.models import Document

    private = FileSystemStorage(location=str(tmp_path / "documents"))
    monkeypatch.setattr(Document._meta.get_field("file"), "storage", private)
    with translation.override("en"):
        yield


@pytest.fixture
def places(db):
    return world()


@pytest.fixture
def clerk(places):
    return staff_user("clerk", places.dongguan)


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def mover_client(client, places):
    person = mover(places.dongguan, places.changde)
    return signed_in(client, UserFactory(username="mover", person=person, mobile=person.phone))


@pytest.fixture
def account_client(client, places):
    account = account_in(places.dongguan)
    user = UserFactory(username="saver", person=account.person, mobile=account.person.phone)
    signed_in(client, user)
    client.account = account
    return client


@pytest.fixture
def withdrawal(places):
    account = account_in(places.dongguan)
    user = UserFactory(username="withdrawer", person=account.person, mobile=account.person.phone)
    ground = WithdrawalGround.SERIOUS_ILLNESS
    return withdrawal_submit(
        account=account,
        application=application_for(account, ground),
        documents=documents_for(ground),
        by=user,
        applicant=user,
    )


@pytest.fixture
def holder_client(client, places, clerk):
    """A holder with an active binding to their mother, signed in."""
    owner = holder("3000.00")
    user = UserFactory(username="holder", person=owner, mobile=owner.phone)
    mother = insured(birth=datetime.date(1955, 3, 1))
    client.binding = pool.binding_open_at_window(
        by=clerk, holder=owner, relative=mother, relation=Relation.PARENT, kinship_proof=upload()
    )
    client.child = insured(birth=datetime.date(2012, 1, 1), region_code="441900")
    return signed_in(client, user)


@pytest.fixture
def on_record(db):
    """An insured person who could sign up: no login yet."""
    return InsuredPersonFactory(name="王五", phone="13800001111")


@pytest.fixture
def wsgi_shares_the_test_transaction():
    """A request through the plain WSGI handler fires request_started, whose handler closes a
    connection that is inside a transaction; the test client turns it off, and so does this."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
