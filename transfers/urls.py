from __future__ import annotations

from django.urls import URLPattern, path

from transfers import verification_views, views

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
    path("<int:case_id>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("<int:case_id>/refusal-notice.pdf", views.refusal_notice_pdf, name="refusal_notice_pdf"),
    # Public: whoever holds a printed 信息表 checks it here (its QR code opens this page).
    path("verify/", verification_views.verify, name="verify"),
]
