from __future__ import annotations

from django.contrib.auth.views import LogoutView
from django.urls import path

from accounts import preferences, views
from accounts.freezes import views as freezes

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("text-size/", preferences.text_size, name="text_size"),
    path("signup/confirm/", views.signup_confirm, name="signup_confirm"),
    path("otp/setup/", views.otp_setup, name="otp_setup"),
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("personal-accounts/<int:account_id>/freezes/", freezes.freezes, name="freezes"),
    path("freezes/<int:freeze_id>/lift/", freezes.unfreeze, name="unfreeze"),
]
