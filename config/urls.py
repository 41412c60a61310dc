from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from accounts.language import remember_english
from family_pool.api import api as family_pool_api
from transfers.exchange.views import inbox as exchange_inbox

# One address per page in every language: the language switch's cookie says which language
# (accounts/language.py), so no address carries a language prefix.
urlpatterns: list[URLPattern | URLResolver] = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Machine clients (hospitals, pharmacies): no session, the language from Accept-Language.
    path("api/institutions/", family_pool_api.urls),
    # Addresses bookmarked when English pages lived under /en/.
    re_path(r"^en/(?P<rest>.*)$", remember_english, name="remember_english"),
    # Peer deployments post transfer messages here (docs/EXCHANGE.md), sealed by their agency.
    path("exchange/inbox/", exchange_inbox, name="exchange_inbox"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("cases.urls")),
    path("transfers/exchange/", include("transfers.exchange.urls")),
    path("transfers/", include("transfers.urls")),
    path("family-pool/", include("family_pool.urls")),
    path("withdrawals/", include("withdrawals.urls")),
    path("audit/", include("audit.urls")),
]
