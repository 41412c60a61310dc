"""The portal's URLs, and the benchmark's reference view when BENCH_VIEWS is on."""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, path

from config.urls import urlpatterns as portal

urlpatterns: list[URLPattern | URLResolver] = list(portal)

if getattr(settings, "BENCH_VIEWS", False):
    from bench import views

    urlpatterns.append(path("bench/tpcb/", views.tpcb, name="bench_tpcb"))
