from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.idnumbers import normalize_id_number, validate_id_number

mobile_validator = RegexValidator(
    r"^1\d{10}$", _("A mobile number has 11 digits and starts with 1."), code="mobile"
)


class IdNumberField(forms.CharField):
    """Accepts spaces and a lower-case x, as people type them; stores the canonical form."""

    default_validators = [validate_id_number]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("label", _("ID number"))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return normalize_id_number(super().to_python(value) or "")


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("ID number, mobile number or username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("The sign-in name or password is not correct."),
        "inactive": _("This account is disabled."),
    }


class SignupForm(forms.Form):
    id_number = IdNumberField()
    name = forms.CharField(label=_("Name"), max_length=50)
    mobile = forms.CharField(label=_("Mobile number"), validators=[mobile_validator], max_length=11)


class SignupConfirmForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the text message"),
        regex=r"^\d{6}$",
        max_length=6,
        error_messages={"invalid": _("The code has 6 digits.")},
    )
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(first)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class OtpTokenForm(forms.Form):
    """The 6-digit code from the staff member's authenticator app."""

    token = forms.RegexField(
        label=_("Code from your authenticator app"),
        regex=r"^\d{6}$",
        max_length=6,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric"}
        ),
        error_messages={"invalid": _("The code has 6 digits.")},
    )
