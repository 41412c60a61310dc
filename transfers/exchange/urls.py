from __future__ import annotations

from django.urls import URLPattern, path

from transfers.exchange import views

app_name = "exchange"

urlpatterns: list[URLPattern] = [
    path("", views.page, name="page"),
    path("out/<uuid:message_id>/retry/", views.retry, name="retry"),
    path("<slug:direction>/<str:message_id>/close/", views.close, name="close"),
]
