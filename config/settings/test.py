"""Settings for the test suite: real PostgreSQL and Redis, fast hashing, local memory mail."""

from __future__ import annotations

from config.env import env

env.ENVIRON.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret")
env.ENVIRON.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
env.ENVIRON.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import BASE_DIR  # noqa: E402

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_SENDER = "cases.sms.MemorySmsSender"
MEDIA_ROOT = BASE_DIR / ".var" / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT / "documents")},
    },
}
# The cache is the broker's Redis one database up (base settings); the prefix keeps parallel
# test runs, each with its own database, apart. Processes a test starts get it passed on.
CACHES["default"]["KEY_PREFIX"] = env.str(  # noqa: F405
    "CACHE_KEY_PREFIX",
    default=f"test:{DATABASES['default']['NAME']}",  # noqa: F405
)
# Lockout and the staff second factor are off for the suite (force_login and the browser login
# helper sign in with a password only); tests/security turns them on with the settings fixture.
AXES_ENABLED = False
STAFF_REQUIRE_OTP = False
