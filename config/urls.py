from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from family_pool.api import api as family_pool_api
from transfers.exchange.views import inbox as exchange_inbox

urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Machine clients (hospitals, pharmacies): no language prefix, no session.
    path("api/institutions/", family_pool_api.urls),
    # Peer deployments post transfer messages here (docs/EXCHANGE.md), sealed by their agency.
    path("exchange/inbox/", exchange_inbox, name="exchange_inbox"),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("cases.urls")),
    path("transfers/exchange/", include("transfers.exchange.urls")),
    path("transfers/", include("transfers.urls")),
    path("family-pool/", include("family_pool.urls")),
    path("withdrawals/", include("withdrawals.urls")),
    path("audit/", include("audit.urls")),
    prefix_default_language=False,
)
