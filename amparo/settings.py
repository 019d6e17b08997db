"""Amparo settings: one module, every deploy-specific value from the environment.

Each variable is documented in the README ("Configuration"). The defaults are the
embedded, single-machine set-up that `make run` uses: SQLite, eager Celery tasks, keys
in a git-ignored file under var/, DEBUG on. Production sets AMPARO_ENV=production,
which turns DEBUG off and refuses to start without a real SECRET_KEY and key file.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("AMPARO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


AMPARO_ENV = os.environ.get("AMPARO_ENV", "development")
PRODUCTION = AMPARO_ENV == "production"
DEBUG = env_bool("AMPARO_DEBUG", not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when AMPARO_ENV=production.")
    SECRET_KEY = "insecure-development-key-only-for-make-run-and-tests-0123456789"  # noqa: S105 (refused in production above)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "template_partials",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "amparo.core",
    "amparo.accounts",
    "amparo.cases",
    "amparo.reports",
    "amparo.referrals",
    "amparo.shelters",
    "amparo.findhelp",
    "amparo.routes",
    "amparo.places",
]

MIDDLEWARE = [
    "amparo.reports.middleware.AnonymousReportingMiddleware",  # first: reporters stay unidentified
    "amparo.core.ops.MetricsMiddleware",  # counts by route name only (decision 0028)
    "amparo.core.unavailable.ServiceUnavailableMiddleware",  # Redis/database down: a 503 (decision 0036)
    "amparo.core.middleware.HSTSForStaffOnlyMiddleware",  # no HSTS record on a reporter's device
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "amparo.core.middleware.RejectNulBytesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "amparo.core.middleware.UserLanguageMiddleware",
    "amparo.core.middleware.LoginRequiredMiddleware",  # Django's; the root sends visitors to /report/
    "amparo.core.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "amparo.urls"
WSGI_APPLICATION = "amparo.wsgi.application"
ASGI_APPLICATION = "amparo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "amparo" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amparo.core.context_processors.navigation",
            ],
        },
    }
]

# Database: SQLite by default, PostgreSQL (or anything dj-database-url reads) via DATABASE_URL.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'amparo.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The raw-database scan in the tests reads this file, so the test database is a file too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-amparo-{os.getpid()}.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
# An optional PostgreSQL streaming replica for dashboard and research reads only
# (amparo.core.dbrouter, decision 0037): writes and every other read stay on the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
AMPARO_READ_REPLICA = "replica" if DATABASE_REPLICA_URL else ""
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0"))
    )
    # Tests point the alias at the test database: a mirror, never a second test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["amparo.core.dbrouter.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "amparo.accounts.backends.StaffBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle sessions end: every request pushes the expiry forward, so this is an idle timeout.
SESSION_COOKIE_AGE = int(os.environ.get("AMPARO_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365

# Lock-out after repeated failures (django-axes), keyed by account, never by address.
# What axes stores is cut to what that needs (amparo.accounts.lockout): a keyed hash of the
# e-mail, a count and the minute of the last failure; no address, user agent or form data.
AXES_FAILURE_LIMIT = int(os.environ.get("AMPARO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AMPARO_LOCKOUT_MINUTES", "60")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"  # the login form field (holding the e-mail)
AXES_USERNAME_CALLABLE = "amparo.accounts.lockout.axes_username"
AXES_CLIENT_IP_CALLABLE = "amparo.accounts.lockout.no_address"
AXES_HANDLER = "amparo.accounts.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_LOCKOUT_CALLABLE = "amparo.accounts.views.locked_out"  # says how long the lock lasts
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

OTP_TOTP_ISSUER = os.environ.get("AMPARO_OTP_ISSUER", "Amparo")

# Internationalisation: Spanish and English are both first-class.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "amparo" / "locale"]
# Dates as "3 Dec 2026" / "3 dic 2026" in pages and e-mails: never a day/month order a reader may swap.
FORMAT_MODULE_PATH = ["amparo.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "amparo" / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
_ATTACHMENT_MODES = ("database", "filesystem", "s3")


def _attachment_storage_settings(mode: str, environ: Any, media_root: Path) -> dict[str, Any] | None:
    """The ``STORAGES["attachments"]`` entry for `mode`, from the environment (decision 0039)."""
    if mode not in _ATTACHMENT_MODES:
        raise ImproperlyConfigured(
            f"AMPARO_ATTACHMENT_STORAGE must be one of {', '.join(_ATTACHMENT_MODES)}, not {mode!r}."
        )
    if mode == "database":
        return None
    if mode == "filesystem":
        return {
            "BACKEND": "amparo.core.blobs.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(media_root / "attachments")},
        }
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "")
    if not bucket:
        raise ImproperlyConfigured("AMPARO_ATTACHMENT_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": environ.get("AWS_S3_REGION_NAME") or None,
        "location": environ.get("AWS_LOCATION", ""),
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
        "custom_domain": None,
        "gzip": False,
        "object_parameters": {"ContentType": "application/octet-stream", "CacheControl": "no-store"},
    }
    if environ.get("AWS_S3_ADDRESSING_STYLE"):
        options["addressing_style"] = environ["AWS_S3_ADDRESSING_STYLE"]
    # Credentials: AWS_S3_ACCESS_KEY_ID / AWS_S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID /
    # AWS_SECRET_ACCESS_KEY, or an instance role), read by django-storages and boto3 from the
    # environment, never written into the settings module.
    return {"BACKEND": "amparo.core.s3.PrivateS3Storage", "OPTIONS": options}


# Where attachment ciphertext is kept (decision 0039): "database" (default, in its row),
# "filesystem" (MEDIA_ROOT/attachments) or "s3" (an S3-compatible bucket, AWS_* variables).
# Only sealed or vault-encrypted bytes ever reach the storage; it never hands out URLs.
AMPARO_ATTACHMENT_STORAGE = os.environ.get("AMPARO_ATTACHMENT_STORAGE", "database").strip().lower()
_attachment_storage = _attachment_storage_settings(AMPARO_ATTACHMENT_STORAGE, os.environ, MEDIA_ROOT)
if _attachment_storage is not None:
    STORAGES["attachments"] = _attachment_storage

# Keys: never in the database. A JSON key file (see amparo.core.vault); make run creates one.
AMPARO_KEY_FILE = Path(os.environ.get("AMPARO_KEY_FILE", VAR_DIR / "keys.json"))
AMPARO_CREATE_KEY_FILE = env_bool("AMPARO_CREATE_KEY_FILE", not PRODUCTION)
# Argon2id cost of the password-derived keys that wrap staff keys (amparo.core.sealing);
# the default is libsodium's "interactive" level: 2 passes over 64 MiB.
AMPARO_KDF_OPSLIMIT = int(os.environ.get("AMPARO_KDF_OPSLIMIT", "2"))
AMPARO_KDF_MEMLIMIT = int(os.environ.get("AMPARO_KDF_MEMLIMIT", str(64 * 1024 * 1024)))

# E-mail: printed on the console unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# For the file backend (bench/drills.py counts the notices a worker sent): one file per message.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "amparo@localhost")

# Background work: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Workers and beat log through settings.LOGGING (JSON in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# At-least-once delivery (decision 0036): a task is acknowledged after it ran, a worker that
# dies mid-task gives it back to the queue, and a worker holds one task at a time, so a killed
# worker loses none. Every task is therefore idempotent: it may run twice, its effect happens once.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task taken by a worker that vanished (the whole machine, kill -9 of the main process) is
# given to another worker after this many seconds; longer than the longest task (the storage
# reorder), or a slow task would be run twice at once (harmless, but wasted work).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("AMPARO_CELERY_VISIBILITY_TIMEOUT", "3600"))
}
CELERY_BEAT_SCHEDULE = {
    "verify-audit-nightly": {"task": "amparo.core.verify_audit", "schedule": 24 * 60 * 60},
}

CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {
            "BACKEND": "amparo.core.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            # A Redis that does not answer fails a request in seconds (a 503 page), not never.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["amparo.core.api.IsVerifiedStaff"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "amparo.core.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Amparo API",
    "DESCRIPTION": "Counter-trafficking case, report and referral platform.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Security headers. The CSP allows nothing from another host and no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# Probes and scrapers reach a web process directly over plain HTTP on the loopback or a
# private network; they get an answer, not a redirect to an https:// they cannot follow.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
# HSTS goes to signed-in staff only (amparo.core.middleware.HSTSForStaffOnlyMiddleware):
# browsers keep the host and the time they first saw the header. Preloading is the
# operator's choice for the whole domain, off unless asked for (decision 0010).
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("AMPARO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logging: no request line, address or user agent is ever written by the app. Django's
# request logger would name the path of failing requests; the path is replaced by the route
# name (amparo.core.ops.LogHygieneFilter). Production writes one JSON object per line
# (AMPARO_LOG_FORMAT=json), without a time stamp: the log's reader (journald, the container
# runtime) dates lines, and the rotation policy decides how finely (docs/deployment.md).
AMPARO_LOG_FORMAT = os.environ.get("AMPARO_LOG_FORMAT", "json" if PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"log_hygiene": {"()": "amparo.core.ops.LogHygieneFilter"}},
    "formatters": {
        "plain": {"format": "%(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if AMPARO_LOG_FORMAT == "json" else "plain",
            "filters": ["log_hygiene"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": [], "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Operations (amparo.core.ops, decisions 0027 and 0028). /metrics answers only a scraper
# sending "Authorization: Bearer <AMPARO_METRICS_TOKEN>"; without a token it is off (404).
AMPARO_METRICS_TOKEN = os.environ.get("AMPARO_METRICS_TOKEN", "")
#: Celery queues, besides the default "celery", whose length /metrics reports.
AMPARO_METRICS_QUEUES = env_list("AMPARO_METRICS_QUEUES")

AMPARO_DEMO_PASSWORD = "amparo-demo-2026"  # noqa: S105 (demo accounts sign in only with DEBUG on)

# Lock-out is per account, not per address (see AXES_LOCKOUT_PARAMETERS above): an address
# lock-out would block a whole shelter or training room behind one NAT, and the account
# lock-out already stops guessing against any one account. Decision 0003 records this.
# Preloading HSTS is left to the operator (decision 0010), so Django's reminder is silenced.
SILENCED_SYSTEM_CHECKS = ["axes.W006", "security.W021"]

# Reporting (amparo.reports). Reports expire unless linked to a case; the purge runs nightly.
AMPARO_REPORT_RETENTION_DAYS = int(os.environ.get("AMPARO_REPORT_RETENTION_DAYS", "365"))
AMPARO_REPORT_DEFAULT_ORGANISATION = int(os.environ.get("AMPARO_REPORT_DEFAULT_ORGANISATION", "0")) or None
#: Paths on which the address, user agent, referer and cookies are removed before anything runs.
AMPARO_ANONYMOUS_PATHS = ("/report/", "/api/v1/report/", "/help/", "/r/")
#: Networks (CIDR) exempt from submission caps, e.g. a training room behind one address.
AMPARO_REPORT_TRUSTED_NETWORKS = env_list("AMPARO_REPORT_TRUSTED_NETWORKS")
AMPARO_POW_BITS = int(os.environ.get("AMPARO_POW_BITS", "16"))
AMPARO_POW_MAX_BITS = int(os.environ.get("AMPARO_POW_MAX_BITS", "22"))
AMPARO_REPORT_CAP_PER_HOUR = int(os.environ.get("AMPARO_REPORT_CAP_PER_HOUR", "2000"))
AMPARO_REPORT_HELD_CAP_PER_HOUR = int(os.environ.get("AMPARO_REPORT_HELD_CAP_PER_HOUR", "60"))
AMPARO_REPORT_ORG_CAP_PER_HOUR = int(os.environ.get("AMPARO_REPORT_ORG_CAP_PER_HOUR", "500"))
AMPARO_RECEIPT_ATTEMPTS_PER_HOUR = int(os.environ.get("AMPARO_RECEIPT_ATTEMPTS_PER_HOUR", "10"))
#: Where the quick-exit button (and Escape pressed twice) takes a reporter: a neutral site (decision 0012).
#: Countries (alpha-3) whose hotline in amparo/findhelp/help_numbers.json is marked "confirm":
#: shown on the public find-help page only once the deployment has checked it and listed it here.
AMPARO_HELP_NUMBERS_CONFIRMED = frozenset(
    c.strip().upper() for c in os.environ.get("AMPARO_HELP_NUMBERS_CONFIRMED", "").split(",") if c.strip()
)
AMPARO_QUICK_EXIT_URL = os.environ.get("AMPARO_QUICK_EXIT_URL", "https://www.google.com/search?q=weather")
# Receipt attempts carry a proof of work (amparo.reports.abuse, decision 0009): failures make
# it harder, never refuse a correct receipt. 0 = the same base difficulty as AMPARO_POW_BITS.
AMPARO_RECEIPT_POW_BITS = int(os.environ.get("AMPARO_RECEIPT_POW_BITS", "0"))
#: Failed receipt attempts per hour across the instance above which the puzzle gets one bit
#: harder per doubling (up to AMPARO_POW_MAX_BITS).
AMPARO_RECEIPT_FAILED_ALL_PER_HOUR = int(os.environ.get("AMPARO_RECEIPT_FAILED_ALL_PER_HOUR", "5000"))
#: Extra bits once one receipt had AMPARO_RECEIPT_ATTEMPTS_PER_HOUR failures (then one per doubling).
AMPARO_RECEIPT_LOCKED_EXTRA_BITS = int(os.environ.get("AMPARO_RECEIPT_LOCKED_EXTRA_BITS", "4"))
#: Receipt attempts without a solved puzzle (pages without JavaScript) per hour, instance-wide.
AMPARO_RECEIPT_UNSOLVED_PER_HOUR = int(os.environ.get("AMPARO_RECEIPT_UNSOLVED_PER_HOUR", "600"))
AMPARO_IDEMPOTENCY_DAYS = 2
CELERY_BEAT_SCHEDULE["purge-expired-reports-nightly"] = {
    "task": "amparo.reports.purge_expired",
    "schedule": 24 * 60 * 60,
}
#: How often the reporter's tables are rewritten in random-id order (decision 0008): the
#: arrival order of reports newer than the last run stays readable on disk until the next.
AMPARO_REPORT_REORDER_MINUTES = int(os.environ.get("AMPARO_REPORT_REORDER_MINUTES", "1440"))
CELERY_BEAT_SCHEDULE["reorder-report-storage"] = {
    "task": "amparo.reports.reorder_storage",
    "schedule": AMPARO_REPORT_REORDER_MINUTES * 60,
}
AMPARO_URGENT_NOTIFY_MINUTES = int(os.environ.get("AMPARO_URGENT_NOTIFY_MINUTES", "15"))
CELERY_BEAT_SCHEDULE["notify-urgent-reports"] = {
    "task": "amparo.reports.notify_urgent",
    "schedule": AMPARO_URGENT_NOTIFY_MINUTES * 60,
}

# Referrals past their answer time: both sides are told once (amparo/referrals/tasks.py).
CELERY_BEAT_SCHEDULE["referral-overdue-alerts"] = {
    "task": "amparo.referrals.overdue_alert",
    "schedule": 15 * 60,
}

# Route aggregates (decision 0043): cells counting fewer people than this are never shown.
# 5 is the floor (UNODC); a system check refuses less. Legs are rebuilt nightly.
AMPARO_ROUTE_THRESHOLD = int(os.environ.get("AMPARO_ROUTE_THRESHOLD", "5"))
CELERY_BEAT_SCHEDULE["rebuild-routes-nightly"] = {"task": "amparo.routes.rebuild", "schedule": 24 * 60 * 60}
