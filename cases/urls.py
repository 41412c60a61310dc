from __future__ import annotations

from django.urls import path

from cases import dashboard_views, queue_views, views, worklist_views

app_name = "cases"

urlpatterns = [
    path("queue/", queue_views.queue_page, name="queue"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/forecast/", dashboard_views.forecast, name="forecast"),
    path("dashboard/report/", dashboard_views.report, name="report"),
    path("queue/export.csv", queue_views.export, name="export"),
    path("queue/export.xlsx", queue_views.export_xlsx, name="export_xlsx"),
    path("queue/assign/", queue_views.bulk_assign, name="bulk_assign"),
    path("escalations/", worklist_views.escalations, name="escalations"),
    path("search/", worklist_views.search, name="search"),
    path("cases/<int:case_id>/assign/", views.assign, name="assign"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", views.inbox_read, name="inbox_read"),
    path("inbox/read-all/", views.inbox_read_all, name="inbox_read_all"),
    path("cases/<int:case_id>/", views.detail, name="detail"),
    # The short link a text message carries (cases.notifications.case_short_link).
    path("c/<int:case_id>", views.detail, name="short_link"),
    path("cases/<int:case_id>/documents/", views.document_upload, name="document_upload"),
    path("cases/<int:case_id>/notes/", views.note_add, name="note_add"),
    path("documents/<int:document_id>/", views.document_download, name="document"),
    path("mine/", views.mine, name="mine"),
    path("cases/<int:case_id>/reveal-id/", views.reveal_id, name="reveal_id"),
]
