"""The number of unread messages, for the header of every page: `{% load inbox %}`
`{% unread_messages as unread %}`. Asked only where the template asks, so a page without the
header pays nothing."""

from __future__ import annotations

from typing import Any

from django import template

from cases.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_messages(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return 0
    return unread_count(user)
