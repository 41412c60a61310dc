from __future__ import annotations

from django.urls import path

from family_pool import views

app_name = "family_pool"

urlpatterns = [
    path("", views.index, name="index"),
    path("bind/", views.bind, name="bind"),
    path("order/", views.order, name="order"),
    path("statement/", views.statement, name="statement"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/quota/", views.quota, name="quota"),
    path("<int:case_id>/step/<str:action>/", views.act, name="act"),
    path("<int:case_id>/consent/", views.consent, name="consent"),
    path("staff/review/", views.review, name="review"),
    path("staff/window/", views.window, name="window"),
    path("staff/people/", views.person_search, name="person_search"),
    path("staff/people/<int:person_id>/", views.person, name="person"),
    path("staff/flags/", views.flags, name="flags"),
    path("staff/flags/<int:flag_id>/review/", views.flag_review, name="flag_review"),
]
