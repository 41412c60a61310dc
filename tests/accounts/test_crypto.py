from __future__ import annotations

import pytest
from django.core.exceptions import FieldError, ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.crypto import decrypt, encrypt
from accounts.models import InsuredPerson
from tests.accounts.factories import InsuredPersonFactory

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def test_the_id_number_is_not_stored_in_clear():
    person = InsuredPersonFactory()

    stored = _raw("accounts_insuredperson", "id_number", person.pk)

    assert person.id_number not in stored
    assert stored.startswith("k1:")
    assert InsuredPerson.objects.get(pk=person.pk).id_number == person.id_number


def test_the_same_number_encrypts_differently_each_time():
    assert encrypt("441900199001011234") != encrypt("441900199001011234")
    assert decrypt(encrypt("441900199001011234")) == "441900199001011234"


def test_exact_lookups_find_the_person_through_the_blind_index():
    person = InsuredPersonFactory()
    lower = person.id_number.lower()

    assert InsuredPerson.objects.get(id_number=person.id_number) == person
    assert InsuredPerson.objects.filter(id_number__iexact=lower).get() == person
    assert list(InsuredPerson.objects.filter(id_number__in=[person.id_number, "x"])) == [person]
    assert not InsuredPerson.objects.filter(id_number__in=[]).exists()
    assert not InsuredPerson.objects.filter(id_number="110101199003077777").exists()


def test_partial_lookups_are_refused_rather_than_scanning_ciphertext():
    with pytest.raises(FieldError):
        list(InsuredPerson.objects.filter(id_number__startswith="4419"))


def test_a_duplicate_id_number_is_a_validation_error_and_refused_by_the_database():
    person = InsuredPersonFactory()
    twin = InsuredPerson(name="重复", id_number=person.id_number, phone="")

    with pytest.raises(ValidationError) as refused:
        twin.full_clean()
    assert "id_number" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_the_blind_index_is_keyed_not_a_plain_hash():
    import hashlib

    person = InsuredPersonFactory()

    index = _raw("accounts_insuredperson", "id_number_index", person.pk)

    assert index != hashlib.sha256(person.id_number.encode()).hexdigest()


def test_bank_and_heir_numbers_of_a_withdrawal_are_encrypted_at_rest():
    from withdrawals.models import Withdrawal

    field_bank = Withdrawal._meta.get_field("bank_account")
    field_heir = Withdrawal._meta.get_field("heir_id_number")

    stored = field_bank.get_prep_value("6222020200112233445")
    assert stored.startswith("k1:")
    assert "6222020200112233445" not in stored
    assert field_heir.get_prep_value("") == ""
