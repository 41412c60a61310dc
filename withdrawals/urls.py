from __future__ import annotations

from django.urls import path

from withdrawals import refund_views, views

app_name = "withdrawals"

urlpatterns = [
    path("", views.home, name="home"),
    path("apply/", views.apply, name="apply"),
    path("apply/confirm/", views.apply_confirm, name="apply_confirm"),
    path("window/", views.window, name="window"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/<slug:action>/", views.act, name="act"),
    path("refunds/apply/", refund_views.refund_apply, name="refund_apply"),
    path("refunds/<int:case_id>/", refund_views.refund_detail, name="refund_detail"),
    path("refunds/<int:case_id>/<slug:action>/", refund_views.refund_act, name="refund_act"),
]
