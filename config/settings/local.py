"""Development on one machine: the run command sets DATABASE_URL and CELERY_BROKER_URL."""

from __future__ import annotations

from config.env import env

env.ENVIRON.setdefault("DJANGO_SECRET_KEY", "local-development-only-not-secret")

from config.settings.base import *  # noqa: E402,F403

DEBUG = env.bool("DEBUG", default=True)
