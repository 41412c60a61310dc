"""The project's URLs plus a stand-in workflow page that shows every shared include, as a
workflow app's detail page does."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from cases.selectors import case_for, case_page_context
from config.urls import urlpatterns as project_urlpatterns

PAGE = engines["django"].from_string(
    """{% extends "base.html" %}{% block content %}
<h1>{{ case.reference }}</h1>
{% include "cases/_person.html" %}
{% include "cases/_deadlines.html" %}
{% include "cases/_documents.html" %}
{% include "cases/_timeline.html" %}
{% if note_form %}{% include "cases/_notes.html" %}{% endif %}
{% endblock %}"""
)


@login_required
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for(request.user, case_id)  # type: ignore[arg-type]
    return HttpResponse(PAGE.render(case_page_context(request.user, case), request))  # type: ignore[arg-type]


urlpatterns = [
    *project_urlpatterns,
    path("test-cases/<int:case_id>/", case_page, name="test_case_page"),
]
