from __future__ import annotations

import base64

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured, ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.crypto import DecryptionError, blind_index, decrypt, encrypt
from accounts.models import InsuredPerson
from tests.accounts.factories import InsuredPersonFactory

pytestmark = pytest.mark.django_db

KEY_A = base64.b64encode(b"a" * 32).decode()
KEY_B = base64.b64encode(b"b" * 32).decode()


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


def test_a_value_naming_an_unknown_key_is_an_error_not_plain_text():
    unknown = "k9:" + encrypt("441900199001011234").partition(":")[2]

    with pytest.raises(DecryptionError):
        decrypt(unknown)


def test_a_value_without_a_key_id_is_an_error_not_plain_text():
    with pytest.raises(DecryptionError):
        decrypt("441900199001011234")
    with pytest.raises(DecryptionError):
        decrypt('{"name": "张三"}')


def test_a_value_the_named_key_does_not_open_is_an_error(settings):
    settings.PII_ENCRYPTION_KEYS = [f"k1:{KEY_A}"]
    sealed = encrypt("441900199001011234")
    settings.PII_ENCRYPTION_KEYS = [f"k1:{KEY_B}"]

    with pytest.raises(DecryptionError):
        decrypt(sealed)


def test_the_newest_key_encrypts_and_every_listed_key_decrypts(settings):
    settings.PII_ENCRYPTION_KEYS = [f"k1:{KEY_A}"]
    old = encrypt("441900199001011234")

    settings.PII_ENCRYPTION_KEYS = [f"k2:{KEY_B}", f"k1:{KEY_A}"]
    new = encrypt("441900199001011234")

    assert old.startswith("k1:")
    assert new.startswith("k2:")
    assert decrypt(old) == decrypt(new) == "441900199001011234"


@pytest.mark.parametrize(
    "keys",
    [["k1"], ["k1:not base64!"], [f"k1:{base64.b64encode(b'short').decode()}"], [f"K1:{KEY_A}"]],
)
def test_a_malformed_key_list_is_refused(settings, keys):
    settings.PII_ENCRYPTION_KEYS = keys

    with pytest.raises((ImproperlyConfigured, ValueError)):
        encrypt("x")


def test_the_same_key_id_twice_is_refused(settings):
    settings.PII_ENCRYPTION_KEYS = [f"k1:{KEY_A}", f"k1:{KEY_B}"]

    with pytest.raises(ImproperlyConfigured):
        encrypt("x")


def test_the_blind_index_does_not_change_with_the_encryption_keys(settings):
    settings.PII_ENCRYPTION_KEYS = [f"k1:{KEY_A}"]
    before = blind_index("441900199001011234")

    settings.PII_ENCRYPTION_KEYS = [f"k2:{KEY_B}", f"k1:{KEY_A}"]

    assert blind_index("441900199001011234") == before
    settings.PII_BLIND_INDEX_KEY = KEY_B
    assert blind_index("441900199001011234") != before
