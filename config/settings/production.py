"""Production: every secret from the environment, no defaults; HTTPS only."""

from __future__ import annotations

from config.env import env
from config.settings.base import *  # noqa: F403

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# __Host- cookies: only over HTTPS, only for this exact host, never a parent domain.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Behind one reverse proxy (the one that sets X-Forwarded-Proto above) unless told otherwise.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
SMS_SENDER = env.str("SMS_SENDER")
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL")
# Tables sealed with the former Ed25519 key verify only with the key configured for them
# (TRANSFER_SEAL_PRIVATE_KEY or TRANSFER_SEAL_TRUSTED_PUBLIC_KEYS), never one derived here.
TRANSFER_SEAL_LEGACY_DERIVED_KEY = False
PII_ENCRYPTION_KEYS = env.list("PII_ENCRYPTION_KEYS")
PII_BLIND_INDEX_KEY = env.str("PII_BLIND_INDEX_KEY")
