from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import otp, selectors, services
from accounts.errors import AccountsError
from accounts.forms import LoginForm, OtpTokenForm, SignupConfirmForm, SignupForm
from accounts.http import safe_next
from accounts.models import User
from audit.permissions import may_view_clearing
from cases.worklists import landing_for

SIGNUP_SESSION_KEY = "signup_code_id"


class PortalLoginView(LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            code = services.signup_start(**form.cleaned_data)
        except AccountsError as exc:
            form.add_error(None, exc.message)
        else:
            request.session[SIGNUP_SESSION_KEY] = code.pk
            messages.info(request, _("We sent a 6-digit code to your mobile number."))
            return redirect("accounts:signup_confirm")
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest) -> HttpResponse:
    signup_id = request.session.get(SIGNUP_SESSION_KEY)
    if signup_id is None:
        messages.warning(request, _("Please start by entering your details."))
        return redirect("accounts:signup")
    form = SignupConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.signup_confirm(
                signup_id=signup_id,
                code=form.cleaned_data["code"],
                password=form.cleaned_data["password1"],
            )
        except AccountsError as exc:
            form.add_error(None, exc.message)
        else:
            del request.session[SIGNUP_SESSION_KEY]
            login(request, user, backend="accounts.backends.IdentifierBackend")
            messages.success(request, _("Your account is ready."))
            return redirect("accounts:home")
    return render(request, "accounts/signup_confirm.html", {"form": form})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required guarantees it
    if user.person_id is not None:
        context = selectors.applicant_overview(person_id=user.person_id)
        return render(request, "accounts/applicant_home.html", context)
    context = selectors.staff_overview(user=user)
    context["landing"] = landing_for(user)
    context["can_see_clearing"] = may_view_clearing(user)
    return render(request, "accounts/staff_home.html", context)


def _next_url(request: HttpRequest) -> str:
    return safe_next(request, request.POST.get("next") or request.GET.get("next") or "", "/")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """First staff sign-in: scan the QR code (or type the secret), confirm with a code."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required guarantees it
    if otp.has_confirmed_device(user):
        # Enrolling a second device needs the first: a security administrator resets it.
        return redirect(otp.otp_next_url(request, "accounts:otp_verify"))
    device = otp.otp_pending_device(user=user)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.otp_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            messages.success(request, _("Your authenticator is set up."))
            return redirect(_next_url(request))
        form.add_error("token", _("That code is not correct. Check the time on your phone."))
    context = {
        "form": form,
        # segno's own markup (path data and numbers only), no user input in it.
        "qr_svg": mark_safe(otp.otp_qr_svg(device)),  # noqa: S308
        "secret": otp.otp_secret_text(device),
        "next": _next_url(request),
    }
    return render(request, "accounts/otp_setup.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Every staff sign-in after the first: the code from the authenticator app."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required guarantees it
    if not otp.has_confirmed_device(user):
        return redirect(otp.otp_next_url(request, "accounts:otp_setup"))
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.otp_verify(request=request, user=user, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _wrong_code(otp.otp_wait_seconds(user)))
    context = {"form": form, "next": _next_url(request), "wait": otp.otp_wait_seconds(user)}
    return render(request, "accounts/otp_verify.html", context)


def _wrong_code(wait: int) -> str:
    if wait:
        return _(
            "That code is not correct. After a wrong code the portal waits before checking "
            "the next one: try again in %(n)d seconds."
        ) % {"n": wait}
    return _("That code is not correct or was already used; wait for the next one.")
