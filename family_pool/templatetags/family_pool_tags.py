from __future__ import annotations

from typing import Any

from django import template

from accounts.idnumbers import mask_id_number

register = template.Library()


@register.simple_tag(takes_context=True)
def shown_id(context: dict[str, Any], number: str) -> str:
    """The ID number in full only for staff allowed to reveal it; masked for everyone else."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and user.has_perm("accounts.reveal_id_number"):
        return number
    return mask_id_number(number)
