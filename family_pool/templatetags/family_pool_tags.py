from __future__ import annotations

from django import template

from accounts.idnumbers import mask_id_number

register = template.Library()


@register.simple_tag
def shown_id(number: str) -> str:
    """The ID number masked, for everyone: a member of staff who may see it in full reveals it
    on the case page, where the reveal is recorded (cases.reveal)."""
    return mask_id_number(number)
