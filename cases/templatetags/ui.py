"""The page components, each defined once (templates/ui/): a status tag coloured by the kind of
state, sortable table headers. The step bar, pager, provisional notice and step confirmation
are includes in templates/ui/ that take what these helpers give."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()

# The kinds of state a tag shows, each with its colour: a case is running (staff are at work),
# waiting for the applicant, overdue, done, refused or stopped (cancelled, ended).
RUNNING, WAITING, OVERDUE, DONE, REFUSED, STOPPED = (
    "running",
    "waiting",
    "overdue",
    "done",
    "refused",
    "stopped",
)
_BADGE = {
    RUNNING: "text-bg-primary",
    WAITING: "text-bg-warning",
    OVERDUE: "text-bg-danger",
    DONE: "text-bg-success",
    REFUSED: "text-bg-dark",
    STOPPED: "text-bg-secondary",
}
# State codes shared by the workflows' choices; any other state of an open case is running.
_TONE_OF_STATE = {
    "documents_requested": WAITING,
    "waiting_documents": WAITING,
    "pending": RUNNING,
    "completed": DONE,
    "closed": DONE,
    "credited": DONE,
    "paid": DONE,
    "returned": DONE,
    "active": DONE,
    "refused": REFUSED,
    "rejected": REFUSED,
    "cancelled": STOPPED,
    "ended": STOPPED,
}


def tone_of(state: str, *, overdue: bool = False) -> str:
    tone = _TONE_OF_STATE.get(state, RUNNING)
    return OVERDUE if overdue and tone in (RUNNING, WAITING) else tone


@register.simple_tag
def status_tag(state: str, label: Any, overdue: bool = False) -> SafeString:
    """`{% status_tag case.state case_state_label overdue=row.overdue %}`: the state in words,
    in its kind's colour; an overdue open case says so in the tag itself."""
    tone = tone_of(str(state), overdue=bool(overdue))
    if tone == OVERDUE:
        return format_html(
            '<span class="badge status-tag {}" data-tone="{}">{} · {}</span>',
            _BADGE[tone],
            tone,
            label,
            _("overdue"),
        )
    return format_html(
        '<span class="badge status-tag {}" data-tone="{}">{}</span>', _BADGE[tone], tone, label
    )


@register.simple_tag
def tone_class(state: str, overdue: bool = False) -> str:
    return _BADGE[tone_of(str(state), overdue=bool(overdue))]


def current_sort(query: QueryDict, default: str = "") -> str:
    return query.get("sort", default) or default


@register.simple_tag(takes_context=True)
def sort_th(context: template.Context, label: Any, key: str, default: str = "") -> SafeString:
    """A column header that sorts the table by `key` (`?sort=key`, then `?sort=-key`), keeping
    the other parameters and going back to the first page; `aria-sort` tells a screen reader
    which column sorts the table now. The view orders by `cases.listing.sorted_by`."""
    request = context["request"]
    query = request.GET.copy()
    now = current_sort(query, default)
    ascending, descending = now == key, now == "-" + key
    query["sort"] = "-" + key if ascending else key
    query.pop("page", None)
    state = "ascending" if ascending else "descending" if descending else "none"
    arrow = "▲" if ascending else "▼" if descending else "↕"
    return format_html(
        '<th scope="col" aria-sort="{}"><a class="sort-link" href="?{}">{}'
        '<span class="sort-arrow" aria-hidden="true"> {}</span></a></th>',
        state,
        query.urlencode(),
        label,
        arrow,
    )
