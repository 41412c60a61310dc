"""Codes shown as words: kinds of case, history actors, roles, permissions, file sizes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.utils import translation

from accounts.roles import permission_label, role_label
from cases.registry import actor_label, kind_label
from cases.units import file_size


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", ["转移接续", "家庭共济绑定"]), ("en", ["Transfer", "Family pool binding"])],
)
def test_a_kind_of_case_is_named_in_the_pages_language(language, expected):
    with translation.override(language):
        assert [kind_label("transfer"), kind_label("family_binding")] == expected


def test_an_unknown_kind_is_shown_as_it_is():
    assert kind_label("something_new") == "something_new"


def test_the_system_as_a_history_actor_is_a_word_not_a_code():
    with translation.override("zh-hans"):
        assert actor_label("system") == "系统"
        assert actor_label("") == "系统"
    with translation.override("en"):
        assert actor_label("system") == "System"
        assert actor_label("张三（窗口代办）") == "张三（窗口代办）"


def test_a_role_is_named_by_its_words_a_group_that_is_no_role_by_its_name():
    with translation.override("zh-hans"):
        assert role_label("clerk") != "clerk"
    with translation.override("en"):
        assert role_label("clerk") == "Clerk (first review)"
        assert role_label("volunteers") == "volunteers"


@pytest.mark.django_db
def test_a_permission_is_worded_from_its_model_not_its_stored_name():
    view = Permission.objects.get(codename="view_case")
    process = Permission.objects.get(codename="process_case")
    Permission.objects.filter(pk=process.pk).update(
        name="收件、初审、通知补件"
    )  # as migrate wrote it

    process.refresh_from_db()
    with translation.override("en"):
        assert permission_label(view).endswith("| case | Can view case")
        assert permission_label(process).endswith("Take in cases, first review, request documents")
    with translation.override("zh-hans"):
        assert "Can" not in permission_label(view)


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 B"), (131, "131 B"), (1331, "1.3 KB"), (10 * 1024 * 1024, "10.0 MB"), (None, "")],
)
def test_file_sizes_use_one_set_of_units_in_every_language(size, shown):
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert file_size(size) == shown
