"""Reads of freezes: the active ones of an account, and the words a refusal gives for them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.freezes.models import AccountFreeze
from accounts.models import PersonalAccount


def active_freezes(account_id: int) -> QuerySet[AccountFreeze]:
    return AccountFreeze.objects.filter(account_id=account_id, lifted_at__isnull=True).order_by(
        "set_at", "pk"
    )


def freeze_kinds(account_id: int) -> list[str]:
    """The kinds of the account's active freezes, in words, each once: what the holder and a
    refusal may show (the agency's notes stay internal)."""
    kinds: list[str] = []
    for freeze in active_freezes(account_id):
        label = str(freeze.get_kind_display())
        if label not in kinds:
            kinds.append(label)
    return kinds


def frozen_because(account_id: int) -> str:
    """“The personal account is frozen (kinds); ask your agency.”: the refusal's words."""
    kinds = freeze_kinds(account_id)
    if not kinds:  # a status set directly in the database, without a record
        return _("The personal account is frozen; ask your agency.")
    return _("The personal account is frozen (%(kinds)s); ask your agency.") % {
        "kinds": "、".join(kinds)
    }


def frozen_refusal(account: PersonalAccount) -> str | None:
    """The refusal's words when the account is frozen, else None: for the services that take
    money from it, asked after they lock it."""
    if account.status != PersonalAccount.Status.FROZEN:
        return None
    return frozen_because(account.pk)
