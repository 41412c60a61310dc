from __future__ import annotations

import base64
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.crypto import DecryptionError, reencrypt_rows
from accounts.models import InsuredPerson
from tests.accounts.factories import InsuredPersonFactory
from tests.withdrawals.factories import GOOD_CARD, account_in, dongguan_agency, submit

pytestmark = pytest.mark.django_db

OLD = f"k1:{base64.b64encode(b'o' * 32).decode()}"
NEW = f"k2:{base64.b64encode(b'n' * 32).decode()}"


def _raw(row, column: str) -> str:
    meta = row._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {meta.db_table} WHERE {meta.pk.column} = %s",  # noqa: S608
            [row.pk],
        )
        return str(cursor.fetchone()[0])


def _reencrypt(*args: str) -> str:
    out = io.StringIO()
    call_command("reencrypt_personal_data", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def written_under_the_old_key(settings):
    settings.PII_ENCRYPTION_KEYS = [OLD]
    persons = InsuredPersonFactory.create_batch(5)
    withdrawal = submit(account_in(dongguan_agency()))
    settings.PII_ENCRYPTION_KEYS = [NEW, OLD]
    return persons, withdrawal


def test_every_encrypted_field_is_rewritten_under_the_newest_key(
    settings, written_under_the_old_key
):
    persons, withdrawal = written_under_the_old_key
    index_before = _raw(persons[0], "id_number_index")

    _reencrypt("--batch-size", "2")

    settings.PII_ENCRYPTION_KEYS = [NEW]
    for person in persons:
        assert _raw(person, "id_number").startswith("k2:")
        assert InsuredPerson.objects.get(id_number=person.id_number) == person
    assert _raw(withdrawal, "bank_account").startswith("k2:")
    withdrawal.refresh_from_db()
    assert withdrawal.bank_account == GOOD_CARD
    assert _raw(persons[0], "id_number_index") == index_before


def test_running_it_again_writes_nothing(written_under_the_old_key):
    first = _reencrypt()

    again = _reencrypt()

    assert "withdrawals.Withdrawal (heir_id_number, bank_account): 1 rows" in first
    assert all(": 0 rows" in line for line in again.splitlines())


def test_check_fails_while_rows_are_under_an_older_key_and_passes_after(
    written_under_the_old_key,
):
    with pytest.raises(CommandError, match="not under key k2"):
        _reencrypt("--check")

    _reencrypt()

    assert "0 rows not under key k2" in _reencrypt("--check")


def test_a_row_under_a_key_dropped_too_early_cannot_be_read(settings, written_under_the_old_key):
    persons, _withdrawal = written_under_the_old_key
    settings.PII_ENCRYPTION_KEYS = [NEW]

    with pytest.raises(DecryptionError):
        InsuredPerson.objects.get(pk=persons[0].pk)
    with pytest.raises(DecryptionError):
        _reencrypt()


def test_the_migration_encrypts_values_stored_before_encryption(settings):
    person = InsuredPersonFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_insuredperson SET id_number = %s, id_number_index = NULL"
            " WHERE id = %s",
            [person.id_number, person.pk],
        )

    reencrypt_rows(InsuredPerson, ["id_number"])

    assert _raw(person, "id_number").startswith("k1:")
    assert InsuredPerson.objects.get(id_number=person.id_number) == person
