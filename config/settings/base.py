"""Settings shared by every environment; everything variable comes from the environment."""

from __future__ import annotations

import datetime
from pathlib import Path

import django_stubs_ext
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.env import env, redis_db, redis_url

# Lets admin and queryset classes be subscripted for mypy (ModelAdmin[Region]) at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    # django.contrib.admin, its admin.site requiring the staff second factor (accounts.admin_site).
    "accounts.admin_config.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "accounts.admin_config.LockoutConfig",  # django-axes, with a translated name
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_bootstrap5",
    "accounts",
    "audit",
    "cases",
    "seals",
    "transfers",
    "family_pool",
    "withdrawals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the language switch's cookie, Chinese without one (accounts/language.py).
    "accounts.language.RememberedLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.otp.StaffOtpMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cases.context_processors.page_frame",
            ],
            # `|data` marks names and other data among the page's words (cases/templatetags).
            "builtins": ["cases.templatetags.data"],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Statements run through `accounts.db.prepared_cursor()` (the charging path) are prepared on
# their first run on a connection; Django's own cursors never prepare. Off (None) behind a
# pooler in transaction mode that does not track prepared statements (PgBouncer before 1.21).
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
    0 if env.bool("DATABASE_PREPARED_STATEMENTS", default=True) else None
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# IdentifierBackend is also django-axes' lockout check (it extends AxesStandaloneBackend).
# The steps' object rules (django-rules) answer `user.has_perm("transfers.accept", transfer)`.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.IdentifierBackend",
    "rules.permissions.ObjectPermissionBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "accounts.passwords.CharacterClassesValidator",
        "OPTIONS": {"min_length": 8, "min_classes": 3},
    },
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# locale/ is the portal's catalogue (makemessages writes it). locale_libraries/ translates the
# strings that libraries ship without Chinese (django-axes' admin, the newest strings of
# Django's admin); makemessages --no-obsolete would drop them from locale/.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_libraries"]
# The language switch (set_language) stores the choice in a cookie that outlives the session:
# a typed or bookmarked address comes back in the language last chosen.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded documents never sit under STATIC_ROOT; they are served only through views
# that check who may see the case.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".var" / "media")))
MEDIA_URL = "/media-not-served/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Uploaded case documents. Several machines need one store they all reach: MEDIA_ROOT on
    # a shared mount, or an S3-compatible backend named here (README, "Several machines").
    "documents": {
        "BACKEND": env.str(
            "DOCUMENT_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json(
            "DOCUMENT_STORAGE_OPTIONS",
            default={"location": str(MEDIA_ROOT / "documents"), "base_url": MEDIA_URL},
        ),
    },
}
# A stored document file no row refers to is deleted once it is this old (by its modified
# time): far longer than any transaction, during which the file exists before its row.
DOCUMENT_ORPHAN_GRACE_HOURS = env.int("DOCUMENT_ORPHAN_GRACE_HOURS", default=24)
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# Celery: the broker is Redis; results are not kept (tasks report through the database).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Several beats may run (one per machine): celery-redbeat keeps the schedule and each entry's
# last run in Redis, and only the beat holding its lock there sends (see BEAT_* below).
CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers log through LOGGING below (and its masking filter) instead of their own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Publishing gives up quickly when Redis is down: the outbox row waits for the beat sweep.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# One immediate retry (a pooled connection Redis dropped when it restarted), no back-off: a
# message is published after commit, in the request, one per outbox row.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0}
# How often the beat computes the dashboard's figures; a page computes them itself when they
# are older than three intervals (the beat is down).
FIGURES_REFRESH_SECONDS = env.int("FIGURES_REFRESH_SECONDS", default=300)
# Deadlines are rows swept every few minutes; notifications the hand-off missed are retried.
CELERY_BEAT_SCHEDULE = {
    "sweep-deadlines": {
        "task": "cases.sweep_deadlines",
        "schedule": float(env.int("BEAT_SWEEP_SECONDS", default=300)),
    },
    # The sweep only claims reminders; this tells the staff (also enqueued by a sweep that
    # claimed some, the schedule covering a lost hand-off or a killed worker).
    "fan-out-reminders": {
        "task": "cases.fan_out_reminders",
        "schedule": 60.0,
    },
    "deliver-pending-notifications": {
        "task": "cases.deliver_pending_notifications",
        "schedule": 60.0,
    },
    # Document files whose transaction rolled back (cases.documents.documents_sweep_orphans).
    "sweep-orphan-documents": {
        "task": "cases.sweep_orphan_documents",
        "schedule": float(env.int("BEAT_ORPHAN_DOCUMENTS_SECONDS", default=3600)),
    },
    # The dashboard's figures of every agency (cases.figures): the pages read them.
    "refresh-figures": {
        "task": "cases.refresh_figures",
        "schedule": float(FIGURES_REFRESH_SECONDS),
    },
    # Exchange messages to peer deployments that are due again (transfers.exchange.outbox).
    "exchange-requeue": {
        "task": "transfers.exchange_requeue",
        "schedule": float(env.int("EXCHANGE_SWEEP_SECONDS", default=60)),
    },
}
# Transfers with another deployment (docs/EXCHANGE.md): the first retry of a message that
# could not be delivered waits this long, each next one twice as long, up to the cap.
EXCHANGE_RETRY_SECONDS = env.int("EXCHANGE_RETRY_SECONDS", default=30)
EXCHANGE_RETRY_CAP_SECONDS = env.int("EXCHANGE_RETRY_CAP_SECONDS", default=3600)
EXCHANGE_TIMEOUT_SECONDS = env.int("EXCHANGE_TIMEOUT_SECONDS", default=10)

# The beat's schedule and lock live in the broker's Redis: Celery needs that one without
# eviction, so the lock cannot be evicted while its holder is alive. A beat that starts while
# another holds the lock waits for it; when the holder stops it releases the lock, and when it
# dies the lock expires after BEAT_LOCK_TTL_SECONDS. Every beat wakes at least three times per
# lease, so that the holder renews in time and a waiting beat notices a free lock soon.
BEAT_LOCK_TTL_SECONDS = env.int("BEAT_LOCK_TTL_SECONDS", default=30)
CELERY_REDBEAT_REDIS_URL = env.str("BEAT_REDIS_URL", default=redis_url(CELERY_BROKER_URL))
CELERY_REDBEAT_REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_REDBEAT_KEY_PREFIX = env.str("BEAT_KEY_PREFIX", default="yibao:beat:")
CELERY_REDBEAT_LOCK_TIMEOUT = BEAT_LOCK_TTL_SECONDS
CELERY_BEAT_MAX_LOOP_INTERVAL = max(1, BEAT_LOCK_TTL_SECONDS // 3)

# Every web and worker process on every machine shares the cache. By default it is the
# broker's Redis one database number up, so that clearing the cache never drops queued tasks.
REDIS_URL = env.str(
    "REDIS_URL", default=redis_url(CELERY_BROKER_URL, db=(redis_db(CELERY_BROKER_URL) + 1) % 16)
)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="yibao"),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}
# Sessions live in PostgreSQL, which every process shares. Not cached_db: with Redis down a
# cached_db session read fails and every page would error, where the database alone keeps
# people signed in (each request writes its session anyway, SESSION_SAVE_EVERY_REQUEST).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Requests per institution key to the charging API (family_pool/throttle.py), counted in the
# Redis cache across web processes: "<n>/s", "/min", "/h" or "/day". A large hospital settles a
# few charges a second at its peak; 3000/min (50/s) stops a client stuck in a loop without
# touching real use. The load benchmark (bench/settings.py) sets its own, far higher.
CHARGING_API_RATE = env.str("CHARGING_API_RATE", default="3000/min")
# Lookups per address on the public page that checks a printed 信息表 (cases/ratelimit.py):
# someone checking tables asks a few times; anyone guessing codes is stopped long before luck.
VERIFICATION_RATE = env.str("VERIFICATION_RATE", default="20/min")

# Where SMS go. The console sender prints; a real gateway is a class with the same method.
SMS_SENDER = env.str("SMS_SENDER", default="cases.sms.ConsoleSmsSender")
# Where the portal answers, for the links in text messages (a case's short link).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@yibao.example")

SESSION_COOKIE_HTTPONLY = True
# Idle timeout: 30 minutes without a request ends the session (every request extends it).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts and styles only from our own static files: no inline <script>, no style="" attributes,
# no CDN (the portal runs on intranets). Put JavaScript in static/ and load it with <script src>.
# Forms render through django-bootstrap5. The page frame links the vendored Bootstrap itself, so
# the CDN addresses are never used; a required field's label carries the mark (.required).
BOOTSTRAP5 = {
    "css_url": None,
    "javascript_url": None,
    "set_placeholder": False,
    "required_css_class": "required",
    "error_css_class": "is-invalid-group",
}

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws its select arrows, check marks and switches as data: SVG images.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Reverse proxies in front of Django that append to X-Forwarded-For (0: use REMOTE_ADDR). The
# lockout and the audit log take the client address from here.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Login lockout (django-axes): 5 failures for one typed sign-in name from one address lock
# that pair for 30 minutes; a success clears the count.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "accounts.client.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Successful sign-ins are in the audit log (audit app); axes keeps only the failure counts.
AXES_DISABLE_ACCESS_LOG = True

# Staff (users with an agency, admin users) confirm each sign-in with a TOTP code.
STAFF_REQUIRE_OTP = env.bool("STAFF_REQUIRE_OTP", default=True)
OTP_TOTP_ISSUER = "医保个人账户服务"
# The security administrator resets devices in the admin but never sees a secret or QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# The transfer information table is sealed with each agency's SM2 key (the seals app's
# registry). Tables sealed earlier with one Ed25519 key are still verified
# (transfers/seal_legacy.py): with TRANSFER_SEAL_PRIVATE_KEY (base64, raw 32 bytes) or its
# public half in TRANSFER_SEAL_TRUSTED_PUBLIC_KEYS; where neither is set, local and test
# settings derive the key that sealed there from SECRET_KEY (production does not).
TRANSFER_SEAL_PRIVATE_KEY: str | None = env.str("TRANSFER_SEAL_PRIVATE_KEY", default=None)
TRANSFER_SEAL_LEGACY_DERIVED_KEY = True
# Personal data at rest (accounts.crypto). PII_ENCRYPTION_KEYS: "id:base64 of 32 random bytes"
# entries, newest first; the newest encrypts, each decrypts what carries its id. To rotate, put
# a new key in front, run `manage.py reencrypt_personal_data`, then drop the old one.
# PII_BLIND_INDEX_KEY (base64 of 32 bytes) keys the ID-number lookups and never rotates with
# them. Both are derived from SECRET_KEY when unset (development and tests only; production
# requires them).
PII_ENCRYPTION_KEYS: list[str] = env.list("PII_ENCRYPTION_KEYS", default=[])
PII_BLIND_INDEX_KEY: str | None = env.str("PII_BLIND_INDEX_KEY", default=None)
TRANSFER_SEAL_TRUSTED_PUBLIC_KEYS: list[str] = env.list(
    "TRANSFER_SEAL_TRUSTED_PUBLIC_KEYS", default=[]
)

# One-time codes for applicant sign-up.
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = 5

# Every handler carries the mask_ids filter: no log line holds a full ID or bank card number.
# Django's own loggers are routed to the root handler so that none keeps an unfiltered one.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_ids": {"()": "accounts.masking.MaskIdNumbersFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_ids"]}
    },
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
