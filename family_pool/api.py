"""The charging interface for designated hospitals and pharmacies (JSON, django-ninja).

Each institution authenticates with its own key, as `Authorization: Bearer <key>` or
`X-Api-Key: <key>`. Amounts are strings in yuan with at most two decimals, never JSON
numbers (a float cannot hold 0.1 exactly). Every refusal has the same shape:
`{"code", "message", "reasons", "flagged"}`; messages follow `Accept-Language` (Chinese by
default). The schema is at `openapi.json`; no docs page, since Swagger UI loads from a CDN
and agencies run on closed intranets."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Path, Schema, Status
from ninja.errors import HttpError, ValidationError
from ninja.security import APIKeyHeader, HttpBearer

from accounts.choices import FamilyPoolCategory
from family_pool.charging.charges import charge_create
from family_pool.charging.facts import charge_lookup
from family_pool.charging.institutions import institution_for_key
from family_pool.charging.refunds import charge_refund
from family_pool.charging.results import ChargeRefused, ChargeResult
from family_pool.models import INVERSE_RELATION, Charge, Institution
from family_pool.selectors import charge_parts, mask_name
from family_pool.throttle import InstitutionRateThrottle


class BearerKey(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Institution | None:
        return _authenticate(request, token)


class HeaderKey(APIKeyHeader):
    param_name = "X-Api-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Institution | None:
        return _authenticate(request, key or "")


def _authenticate(request: HttpRequest, key: str) -> Institution | None:
    """The institution of the key. For a charge, read together with the card and settlement
    number that the body names (`charge_lookup`: one round trip instead of two); the body is
    still validated as a whole afterwards, and used only if it names exactly those."""
    match = request.resolver_match
    named = _charge_names(request) if match and match.url_name == "create_charge" else None
    if named is None:
        return institution_for_key(key)
    lookup = charge_lookup(key, *named)
    if lookup is None:
        return None
    request.charge_lookup = lookup  # type: ignore[attr-defined]
    return lookup.institution


def _charge_names(request: HttpRequest) -> tuple[str, str] | None:
    """The card and settlement numbers of a charge's body, if it has both as ChargeIn allows
    them; else None (the body's validation will say what is wrong)."""
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to read
        return None
    if not isinstance(body, dict):
        return None
    card, settlement = body.get("card_number"), body.get("settlement_number")
    if not (isinstance(card, str) and isinstance(settlement, str)):
        return None
    if not (1 <= len(card) <= CARD_MAX and 1 <= len(settlement) <= SETTLEMENT_MAX):
        return None
    if not (_PRINTABLE.match(card) and _PRINTABLE.match(settlement)):
        return None
    try:  # JSON may carry lone surrogates, which no database text can hold
        card.encode(), settlement.encode()
    except UnicodeEncodeError:
        return None
    return card, settlement


api = NinjaAPI(
    title="Family pool charging interface (家庭共济支付接口)",
    version="1",
    description=__doc__ or "",
    urls_namespace="family_pool_api",
    auth=[BearerKey(), HeaderKey()],
    # Checked after authentication, before the body is read: a refused request charges nothing.
    throttle=[InstitutionRateThrottle()],
    docs_url=None,
)


def _accepted_language(header: str) -> str:
    """The first language of an Accept-Language header that the portal has, else Chinese."""
    ranked = []
    for part in header.split(","):
        code, _sep, params = part.strip().partition(";")
        weight = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            ranked.append((-float(weight), code.strip()))
        except ValueError:
            continue
    for _weight, code in sorted(ranked, key=lambda pair: pair[0]):  # stable: ties in order
        if code and code != "*":
            try:
                return translation.get_supported_language_variant(code)
            except LookupError:
                continue
    return str(settings.LANGUAGE_CODE)


def _in_the_clients_language(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages take their language from the language switch's cookie, Chinese without one
    (accounts/language.py); a machine client says its language only in Accept-Language, so
    that header alone decides here (Chinese when it names none we have)."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = _accepted_language(request.headers.get("Accept-Language", ""))
        with translation.override(language):
            response = run(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        return response

    return wrapper


# "view": around the whole operation, so that authentication and validation errors too are
# worded in the client's language.
api.add_decorator(_in_the_clients_language, mode="view")

AMOUNT = r"^\d{1,10}(\.\d{1,2})?$"
# No control characters (NUL above all: PostgreSQL cannot store it, and a lookup with it would
# fail as a 500): such a value is refused in the error shape like any other invalid field.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
_PRINTABLE = re.compile(PRINTABLE)
CARD_MAX = 30
SETTLEMENT_MAX = 64  # settlement and refund numbers


class ChargeIn(Schema):
    id_number: str = Field(
        ...,
        min_length=15,
        max_length=20,
        pattern=PRINTABLE,
        description="The patient's resident ID number",
    )
    card_number: str = Field(
        ...,
        min_length=1,
        max_length=CARD_MAX,
        pattern=PRINTABLE,
        description="The medical insurance card shown",
    )
    amount: str = Field(
        ..., pattern=AMOUNT, examples=["128.50"], description="Yuan, at most two decimals, > 0"
    )
    category: FamilyPoolCategory
    settlement_number: str = Field(
        ...,
        min_length=1,
        max_length=SETTLEMENT_MAX,
        pattern=PRINTABLE,
        description="The institution's own number; a retry "
        "with the same number returns the first answer and charges nothing more",
    )


class RefundIn(Schema):
    refund_number: str = Field(..., min_length=1, max_length=SETTLEMENT_MAX, pattern=PRINTABLE)


class PaymentOut(Schema):
    payer: str = Field(..., description='"own" (the patient\'s account) or "family" (a binding)')
    account_holder: str = Field(..., description="Masked name of the account's holder")
    holder_is_patients: str | None = Field(
        None, description="For a family payment, what the holder is to the patient"
    )
    amount: str


class ChargeOut(Schema):
    settlement_number: str
    status: str
    replayed: bool = Field(..., description="True when this number had already been handled")
    amount: str
    category: str
    patient: str = Field(..., description="Masked name of the patient")
    charged_at: datetime.datetime
    refund_number: str | None = None
    payments: list[PaymentOut]


class ErrorOut(Schema):
    code: str
    message: str
    reasons: list[str]
    flagged: bool = False


def _answer(result: ChargeResult) -> ChargeOut:
    charge = result.charge
    if result.payments is not None:  # a charge made now: its parts are known, not read back
        payments = [
            PaymentOut(
                payer="family" if paid.relation else "own",
                account_holder=mask_name(paid.holder_name),
                holder_is_patients=INVERSE_RELATION[paid.relation] if paid.relation else None,
                amount=str(paid.amount),
            )
            for paid in result.payments
        ]
    else:
        payments = [
            PaymentOut(
                payer="family" if part.binding_id else "own",
                account_holder=mask_name(part.account.person.name),
                holder_is_patients=(
                    INVERSE_RELATION[part.binding.relation] if part.binding else None
                ),
                amount=str(part.amount),
            )
            for part in charge_parts(charge)
        ]
    return ChargeOut(
        settlement_number=charge.settlement_number,
        status=charge.status,
        replayed=result.replayed,
        amount=str(charge.amount),
        category=charge.category,
        patient=mask_name(charge.patient.name),
        charged_at=charge.created_at,
        refund_number=charge.refund_number,
        payments=payments,
    )


def _institution(request: HttpRequest) -> Institution:
    institution: Institution = request.auth  # type: ignore[attr-defined]
    return institution


@api.exception_handler(ChargeRefused)
def _refused(request: HttpRequest, exc: ChargeRefused) -> HttpResponse:
    body = ErrorOut(code=exc.code, message=exc.message, reasons=exc.reasons, flagged=exc.flagged)
    return api.create_response(request, body.dict(), status=exc.status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    reasons = [
        f"{'.'.join(str(p) for p in error.get('loc', [])[1:])}: {error.get('msg', '')}"
        for error in exc.errors
    ]
    body = ErrorOut(code="invalid_request", message=_("The request is not valid."), reasons=reasons)
    return api.create_response(request, body.dict(), status=422)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # django-ninja's own refusals (a body that is not JSON, a missing key) in our one shape.
    known = {
        400: ("invalid_json", _("The request body is not valid JSON.")),
        401: ("unauthorized", _("A valid API key is needed.")),
        429: (
            "throttled",
            _("Too many requests with this key; retry after the seconds in Retry-After."),
        ),
    }
    code, message = known.get(exc.status_code, ("refused", str(exc)))
    body = ErrorOut(code=code, message=message, reasons=[])
    return api.create_response(request, body.dict(), status=exc.status_code)


_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
SettlementPath = Annotated[str, Path(..., max_length=SETTLEMENT_MAX, pattern=PRINTABLE)]


@api.post("/charges", response={200: ChargeOut, 201: ChargeOut, **_ERRORS}, summary="Charge")
def create_charge(request: HttpRequest, payload: ChargeIn) -> Status[ChargeOut]:
    """Pay the patient's cost from their own employee account first, then from the family
    pool bindings in the patient's order. 201 when charged now, 200 for a retry."""
    result = charge_create(
        institution=_institution(request),
        id_number=payload.id_number,
        card_number=payload.card_number,
        amount=payload.amount,
        category=payload.category,
        settlement_number=payload.settlement_number,
        lookup=getattr(request, "charge_lookup", None),
    )
    return Status(200 if result.replayed else 201, _answer(result))


@api.get("/charges/{settlement_number}", response={200: ChargeOut, **_ERRORS}, summary="Look up")
def get_charge(request: HttpRequest, settlement_number: SettlementPath) -> ChargeOut:
    charge = (
        Charge.objects.select_related("patient")
        .filter(institution=_institution(request), settlement_number=settlement_number)
        .first()
    )
    if charge is None:
        raise ChargeRefused(
            _("No charge has this settlement number."), code="unknown_charge", status=404
        )
    return _answer(ChargeResult(charge, replayed=True))


@api.post(
    "/charges/{settlement_number}/refund", response={200: ChargeOut, **_ERRORS}, summary="Refund"
)
def refund_charge(
    request: HttpRequest, settlement_number: SettlementPath, payload: RefundIn
) -> ChargeOut:
    """退费: reverse the whole charge. The same refund number again answers the same."""
    result = charge_refund(
        institution=_institution(request),
        settlement_number=settlement_number,
        refund_number=payload.refund_number,
    )
    return _answer(result)
