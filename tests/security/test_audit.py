from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Region
from accounts.roles import Role
from audit.models import AuditEvent
from audit.services import AuditError, audit_purge, audit_record
from tests.accounts.factories import AgencyFactory, InsuredPersonFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (Windows NT 10.0) Chrome/131"


def _row_text(row):
    return " ".join(
        str(v) for v in (row.username, row.object_repr, row.detail, row.user_agent, row.ip_address)
    )


def _old_event(days):
    return AuditEvent.objects.create(
        action="login", at=timezone.now() - datetime.timedelta(days=days), username="old"
    )


def test_a_login_is_recorded_with_address_and_browser(client):
    user = UserFactory(username="clerk-zhang")

    client.post(
        reverse("accounts:login"),
        {"username": "clerk-zhang", "password": "Str0ng-pass"},
        REMOTE_ADDR="10.1.2.3",
        HTTP_USER_AGENT=BROWSER,
    )

    row = AuditEvent.objects.get(action="login")
    assert (row.user, row.username, row.ip_address, row.user_agent) == (
        user,
        "clerk-zhang",
        "10.1.2.3",
        BROWSER,
    )


def test_a_failed_login_by_id_number_is_recorded_masked_and_without_the_password(client):
    person = InsuredPersonFactory()
    UserFactory(person=person)

    client.post(
        reverse("accounts:login"),
        {"username": person.id_number, "password": "Secret-Guess-9"},
        REMOTE_ADDR="10.1.2.4",
    )

    row = AuditEvent.objects.get(action="login_failed")
    assert row.user is None
    assert row.username == f"{person.id_number[:3]}{'*' * 13}{person.id_number[-2:]}"
    assert person.id_number not in _row_text(row)
    assert "Secret-Guess-9" not in _row_text(row)
    assert row.ip_address == "10.1.2.4"


def test_a_logout_is_recorded(client):
    user = UserFactory()
    client.force_login(user)

    client.post(reverse("accounts:logout"))

    assert AuditEvent.objects.filter(action="logout", user=user).exists()


def test_a_lockout_is_recorded(client, lockout_on):
    UserFactory(username="li-si")
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "li-si", "password": "nope"})

    assert AuditEvent.objects.filter(action="login_failed").count() == 5
    assert AuditEvent.objects.filter(action="lockout", username="li-si").exists()


def test_an_admin_change_is_recorded_with_who_and_from_where(client):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)
    region = Region.objects.create(code="110000", name="北京市", level="province")

    client.post(
        reverse("admin:accounts_region_change", args=[region.pk]),
        {"code": "110000", "name": "北京", "level": "province"},
        HTTP_USER_AGENT=BROWSER,
    )

    row = AuditEvent.objects.get(action="admin_change")
    assert row.user == root
    assert "北京" in row.object_repr
    assert row.user_agent == BROWSER
    assert row.ip_address == "127.0.0.1"


def test_a_bulk_deletion_in_the_admin_is_recorded_per_object(client):
    root = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(root)
    agency = AgencyFactory()
    policies = [
        Region.objects.create(code=code, name=code, level="county", parent=agency.region)
        for code in ("441901", "441902")
    ]

    client.post(
        reverse("admin:accounts_region_changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in policies], "post": "yes"},
    )

    assert not Region.objects.filter(code__in=["441901", "441902"]).exists()
    assert AuditEvent.objects.filter(action="admin_delete").count() == 2


def test_audit_record_masks_id_and_card_numbers_and_drops_secrets(rf):
    person = InsuredPersonFactory()
    request = rf.get("/", HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="10.9.9.9")
    reviewer = UserFactory()

    row = audit_record(
        action="reveal_id_number",
        user=reviewer,
        request=request,
        object_repr=f"person {person.id_number}",
        detail={"card": "6222020200112233445", "password": "Str0ng-pass", "case": 12},
    )

    assert person.id_number not in _row_text(row)
    assert person.id_number[:3] + "*" * 13 + person.id_number[-2:] in row.object_repr
    assert "6222020200112233445" not in row.detail
    assert "***************3445" in row.detail
    assert "Str0ng-pass" not in row.detail
    assert '"case": 12' in row.detail
    assert (row.user, row.ip_address, row.user_agent) == (reviewer, "10.9.9.9", BROWSER)


def test_postgresql_refuses_to_update_an_audit_row():
    row = audit_record(action="login", username="zhang")

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET username = 'x' WHERE id = %s", [row.pk])

    row.refresh_from_db()
    assert row.username == "zhang"


def test_postgresql_refuses_to_delete_an_audit_row_younger_than_183_days():
    row = _old_event(days=182)

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])

    assert AuditEvent.objects.filter(pk=row.pk).exists()


def test_postgresql_allows_deleting_a_row_older_than_183_days():
    row = _old_event(days=184)

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])

    assert not AuditEvent.objects.filter(pk=row.pk).exists()


def test_the_purge_deletes_only_rows_older_than_the_cutoff_and_records_itself():
    old, kept = _old_event(days=400), _old_event(days=100)

    deleted = audit_purge(before=timezone.now() - datetime.timedelta(days=200))

    assert deleted == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert AuditEvent.objects.filter(action="audit_purge").exists()


def test_the_purge_refuses_a_cutoff_younger_than_183_days():
    row = _old_event(days=190)

    with pytest.raises(AuditError):
        audit_purge(before=timezone.now() - datetime.timedelta(days=100))

    assert AuditEvent.objects.filter(pk=row.pk).exists()


def test_the_purge_command_refuses_fewer_than_183_days_and_runs_with_more():
    old = _old_event(days=300)
    out = io.StringIO()

    with pytest.raises(CommandError, match="183"):
        call_command("purge_audit", older_than_days=30)
    call_command("purge_audit", older_than_days=250, stdout=out)

    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert "1 records" in out.getvalue()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SECADMIN])
def test_the_auditor_and_the_security_administrator_read_the_audit_log(client, role):
    agency = AgencyFactory()
    reader = staff_user(role, agency)
    colleague = staff_user(Role.CLERK, agency)
    # A failed sign-in of a colleague: the log of the reader's own agency.
    row = audit_record(action="login", username=colleague.username)
    client.force_login(reader)

    listing = client.get(reverse("admin:audit_auditevent_changelist"))
    detail = client.get(reverse("admin:audit_auditevent_change", args=[row.pk]))
    add = client.get(reverse("admin:audit_auditevent_add"))
    delete = client.post(reverse("admin:audit_auditevent_delete", args=[row.pk]), {"post": "yes"})

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert add.status_code == 403
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.CLERK, Role.SUPERVISOR])
def test_other_roles_do_not_see_the_audit_log(client, role):
    client.force_login(staff_user(role, AgencyFactory()))

    response = client.get(reverse("admin:audit_auditevent_changelist"))

    assert response.status_code == 403
