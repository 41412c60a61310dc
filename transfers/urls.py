from __future__ import annotations

from django.urls import URLPattern, path

from transfers import views

app_name = "transfers"

urlpatterns: list[URLPattern] = [
    path("", views.mine, name="mine"),
    path("apply/", views.apply, name="apply"),
    path("intake/", views.intake, name="intake"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/steps/<slug:action>/", views.act, name="act"),
    path("<int:case_id>/cancel/", views.cancel, name="cancel"),
    path("<int:case_id>/documents/", views.upload, name="upload"),
    path("<int:case_id>/info-table.pdf", views.info_table_pdf, name="info_table_pdf"),
]
