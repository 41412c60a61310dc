"""Staff are named as people write their names: a Chinese name family name first and without a
space (陈静), in the header as on the case pages; other names "given family"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from tests.accounts.factories import AgencyFactory, staff_user

pytestmark = pytest.mark.django_db


def test_a_chinese_name_is_family_name_first_without_a_space():
    user = User(first_name="静", last_name="陈")

    assert user.get_full_name() == "陈静"


def test_another_name_is_given_name_first():
    user = User(first_name="Anna", last_name="Berg")

    assert user.get_full_name() == "Anna Berg"


def test_the_header_names_a_chinese_clerk_family_name_first(client):
    clerk = staff_user("clerk", AgencyFactory())
    clerk.first_name, clerk.last_name = "静", "陈"
    clerk.save(update_fields=["first_name", "last_name"])
    client.force_login(clerk)

    header = client.get(reverse("accounts:home")).content.decode()

    assert "陈静" in header
    assert "静 陈" not in header
