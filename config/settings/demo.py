"""The demo that ./bin/run starts: the portal as its users see it, on one machine.

DEBUG is off, so an unknown address shows the portal's own 404 page (templates/404.html), not
Django's technical page that lists every URL, and an error shows its 500 page. With DEBUG off
Django's staticfiles no longer serves static files; WhiteNoise (already in the middleware)
serves them straight from static/ and the apps' folders through the finders, so the demo needs
no collectstatic step. The manifest storage of the base settings would need one (its hashed
names come from collectstatic's manifest), hence the plain storage here.
`DEBUG=true ./bin/run` brings Django's debug pages back."""

from __future__ import annotations

from config.env import env
from config.settings.local import *  # noqa: F403
from config.settings.local import STORAGES

DEBUG = env.bool("DEBUG", default=False)
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# A stylesheet edited while the demo runs is served as edited (finders are asked each time).
WHITENOISE_AUTOREFRESH = True
