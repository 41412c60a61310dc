"""What the shared pages need to know about each kind of case: the page that shows it and
the workflow model whose state field names its states. Each workflow app registers itself
in its AppConfig.ready()."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import Model
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from cases.models import Case


@dataclass(frozen=True)
class KindInfo:
    detail_url_name: str
    model_label: str


_KINDS: dict[str, KindInfo] = {}


def register_kind(kind: str, *, detail_url_name: str, model_label: str) -> None:
    _KINDS[kind] = KindInfo(detail_url_name, model_label)


# When the open cases of a kind are expected to be done, for the applicant's list: a kind whose
# clocks do not all run from the day of filing (a transfer's start at acceptance) says it
# itself. Takes a page of cases, returns {case id: (day, provisional)}.
ExpectedCompletion = Callable[[Sequence["Case"]], dict[int, tuple[datetime.date, bool]]]
_EXPECTED: dict[str, ExpectedCompletion] = {}


def register_expected_completion(kind: str, expected: ExpectedCompletion) -> None:
    _EXPECTED[kind] = expected


def expected_completion_of(kind: str) -> ExpectedCompletion | None:
    return _EXPECTED.get(kind)


def detail_url(case: Case) -> str:
    info = _KINDS.get(case.kind)
    if info is None:
        return reverse("cases:detail", args=[case.pk])
    return reverse(info.detail_url_name, args=[case.pk])


def workflow_model(kind: str) -> type[Model] | None:
    info = _KINDS.get(kind)
    return apps.get_model(info.model_label) if info is not None else None


def kind_label(kind: str) -> str:
    """The words for a kind of case (转移接续, 余额提取…) for any page or export that shows
    one: never the code (`transfer`, `family_binding`)."""
    field = apps.get_model("cases", "Case")._meta.get_field("kind")
    return str(dict(field.choices or []).get(kind, kind))


# Who wrote a history line when no user did: stored as a code, shown in words.
_ACTORS: dict[str, str | Promise] = {"system": _("System"), "applicant": _("Applicant")}


def actor_label(label: str) -> str:
    """The words for a history line's actor code (`system`); other labels are shown as
    stored. An empty label is the system too."""
    return str(_ACTORS.get(label or "system", label))


def state_label(kind: str, state: str) -> str:
    info = _KINDS.get(kind)
    if info is None:
        return state
    field = apps.get_model(info.model_label)._meta.get_field("state")
    return str(dict(field.choices or []).get(state, state))


# History lines written by the shared services; workflow apps add their transitions' words
# with `register_action_labels` so that the timeline never shows a method name.
_ACTION_LABELS: dict[str, str | Promise] = {
    "filed": _("Filed"),
    "note": _("Staff note"),
    "assigned": _("Assigned"),
    "document_added": _("Document added"),
    "document_viewed": _("Document viewed"),
    "deadline_started": _("Deadline started"),
    "deadline_recomputed": _("Deadline recomputed"),
    "clock_paused": _("Clock paused for documents"),
    "clock_resumed": _("Clock resumed"),
    "escalated": _("Escalated to the supervisor"),
    "id_revealed": _("Full ID number shown"),
    "card_revealed": _("Full bank card number shown"),
}


def register_action_labels(labels: Mapping[str, str | Promise]) -> None:
    _ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    return str(_ACTION_LABELS.get(action, action))
