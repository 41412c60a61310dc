from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.errors import AccountsError
from accounts.idnumbers import normalize_id_number, validate_id_number
from accounts.money import CENT, MAX_AMOUNT, MONEY, clean_amount
from accounts.validators import (
    PHONE_MAX_LENGTH,
    card_check_digit_ok,
    clean_card_number,
    normalize_mobile,
    normalize_phone,
    validate_mobile,
    validate_phone,
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


class MobileField(forms.CharField):
    """Accepts the spaces and hyphens people group the digits with; stores the 11 digits."""

    default_validators = [validate_mobile]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Mobile number"))
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "tel")

    def to_python(self, value: Any) -> str:
        return normalize_mobile(super().to_python(value) or "")


class PhoneField(forms.CharField):
    """A contact phone: a mobile number, or a landline with its area code."""

    default_validators = [validate_phone]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "tel")
        self.widget.attrs.setdefault("maxlength", str(PHONE_MAX_LENGTH))

    def to_python(self, value: Any) -> str:
        return normalize_phone(super().to_python(value) or "")


class AmountField(forms.DecimalField):
    """An amount in yuan, cleaned by `accounts.money.clean_amount`: the same rules and the
    same messages as the services that take it. Greater than zero unless `zero_allowed`."""

    def __init__(self, *, zero_allowed: bool = False, **kwargs: Any) -> None:
        self.zero_allowed = zero_allowed
        # The bounds and places only shape the input (min, max, step); `to_python` decides.
        super().__init__(
            min_value=Decimal("0") if zero_allowed else CENT,
            max_value=MAX_AMOUNT,
            decimal_places=MONEY["decimal_places"],
            **kwargs,
        )

    # The stubs type DecimalField as an IntegerField and ignore this override themselves.
    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        try:
            return clean_amount(str(value).strip(), zero_allowed=self.zero_allowed)
        except AccountsError as exc:
            raise ValidationError(exc.message, code=exc.code) from None


class CardNumberCheck(forms.Form):
    """A bank card number that fails its check digit is shown on the form before anything is
    filed, with the chance to correct it: the person types it again, or ticks that it is
    right as on the card (some cards carry no check digit, so it is never a refusal).

    `card_field` names the subclass's card number field; the tick box appears only once the
    posted number has failed the check."""

    card_field = "bank_account"
    card_confirmed = forms.BooleanField(
        label=_("I compared it with my card: the number is right as typed"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self._posted_number_fails():
            del self.fields["card_confirmed"]
            return
        # Right under the number it is about.
        names = [n for n in self.fields if n != "card_confirmed"]
        names.insert(names.index(self.card_field) + 1, "card_confirmed")
        self.order_fields(names)

    def _posted_number_fails(self) -> bool:
        if not self.is_bound:
            return False
        number = clean_card_number(str(self.data.get(self.add_prefix(self.card_field), "")))
        # A number of the wrong length is refused for that, with its own words.
        plausible = number.isdigit() and 12 <= len(number) <= 19
        return plausible and not card_check_digit_ok(number)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "card_confirmed" in self.fields and not data.get("card_confirmed"):
            self.add_error(
                self.card_field,
                ValidationError(
                    _(
                        "This card number fails the check digit that bank cards carry: please "
                        "compare it with your card and correct it. If it is right as typed, "
                        "tick the box below."
                    ),
                    code="card_check_digit",
                ),
            )
        return data


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
    mobile = MobileField()


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
