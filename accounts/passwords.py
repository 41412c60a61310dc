"""Password strength (等保 level 3): a validator for AUTH_PASSWORD_VALIDATORS."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext


class CharacterClassesValidator:
    """At least `min_length` characters from at least `min_classes` of: lower-case letters,
    upper-case letters, digits, symbols (anything else, Chinese characters included)."""

    def __init__(self, min_length: int = 8, min_classes: int = 3) -> None:
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password: str, user: object = None) -> None:
        classes = [
            any("a" <= c <= "z" for c in password),
            any("A" <= c <= "Z" for c in password),
            any("0" <= c <= "9" for c in password),
            any(not ("a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9") for c in password),
        ]
        if len(password) < self.min_length or sum(classes) < self.min_classes:
            raise ValidationError(self._message(), code="password_too_simple")

    def get_help_text(self) -> str:
        return str(self._message())

    def _message(self) -> str:
        return gettext(
            "Use at least %(min_length)d characters, with at least %(min_classes)d of these four "
            "kinds: lower-case letters, upper-case letters, digits, symbols."
        ) % {"min_length": self.min_length, "min_classes": self.min_classes}
