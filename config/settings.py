"""Settings for the fulfillment portal.

Every environment variable is read here and nowhere else. The defaults are the
embedded mode used by `make run`: SQLite under var/, a file-system Celery
transport and local-memory counters, so nothing needs a server. Setting
DATABASE_URL, REDIS_URL or CELERY_BROKER_URL switches to real services.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


INSECURE_SECRET_KEY = "insecure-development-key-change-me"
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_SECRET_KEY)
if not DEBUG and (SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off.")

# A separate pepper for API key and token hashes, so a leaked database alone
# cannot be used to test guesses offline without it.
API_KEY_PEPPER = os.environ.get("API_KEY_PEPPER", SECRET_KEY)

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tenants",
    "fulfillment",
    "webhooks",
    "billing",
]

MIDDLEWARE = [
    "config.api.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "billing.middleware.MeteringMiddleware",
    "config.api.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.ApiCredentialMiddleware",
    "tenants.middleware.RateLimitMiddleware",
]

ROOT_URLCONF = "config.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "libraries": {"portal": "tenants.portal.templatetags"},
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Bounds every statement so a stuck transaction cannot hold the change-feed
    # watermark (see config/api/pagination.py) back for long.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 30000)}"
    )
if os.environ.get("TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DB_NAME"]}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-au"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"
CSRF_FAILURE_VIEW = "tenants.portal.views.errors.csrf_failure"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# --- Shared services -------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Worker control messages (pidbox) would otherwise land in ./control in the working directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}  # apps add their periodic tasks in their AppConfig.ready()

# --- API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenants.auth.ApiCredentialAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.auth.HasApiCredential"],
    "DEFAULT_RENDERER_CLASSES": ["config.api.renderers.JsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [],
    "EXCEPTION_HANDLER": "config.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.ApiAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Fulfillment Portal API",
    "DESCRIPTION": (
        "The /v1 REST API a 3PL's clients' ERPs integrate with: orders in, shipments, "
        "inventory and reference data out, advanced flows, webhooks. Every error uses one "
        "envelope; every list uses one cursor-paginated envelope."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/v1",
    "ENUM_NAME_OVERRIDES": {
        # Products: weight.unit and dimensions.unit are two different "unit" enums.
        "WeightUnitEnum": "fulfillment.models.catalog.WeightUnit",
        "DimensionUnitEnum": "fulfillment.models.catalog.DimensionUnit",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.add_common_error_responses",
    ],
}

# Rate-limit groups (commerce code of conduct): requests per minute.
RATE_LIMIT_GROUPS = {
    "standard": env_int("RATE_LIMIT_STANDARD", 300),
    "high": env_int("RATE_LIMIT_HIGH", 900),
    "low": env_int("RATE_LIMIT_LOW", 60),
}
RATE_LIMIT_WINDOW_SECONDS = 60
RATE_LIMIT_ENABLED = env_bool("RATE_LIMIT_ENABLED", True)

API_KEY_UNUSED_EXPIRY_DAYS = env_int("API_KEY_UNUSED_EXPIRY_DAYS", 60)
ACCESS_TOKEN_LIFETIME = timedelta(seconds=env_int("ACCESS_TOKEN_LIFETIME_SECONDS", 3600))
TOKEN_MINT_MIN_INTERVAL = timedelta(minutes=env_int("TOKEN_MINT_MIN_INTERVAL_MINUTES", 30))
LAST_USED_WRITE_INTERVAL = timedelta(seconds=60)
PAGINATION_DEFAULT_LIMIT = 100
PAGINATION_MAX_LIMIT = 500

# Full inventory scans (no updated_since, no sku) per live connection.
INVENTORY_FULL_POLL_MIN_INTERVAL_LIVE = timedelta(seconds=env_int("INVENTORY_FULL_POLL_MIN_INTERVAL_SECONDS", 7200))
INVENTORY_FULL_POLL_MIN_INTERVAL_SANDBOX = timedelta(0)

# Webhooks
# Private/loopback targets are refused (SSRF) unless allowed; DEBUG (make run, tests) allows them
# so a receiver on the local machine works, production does not.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", DEBUG)
WEBHOOK_DISABLE_AFTER_FAILING_DAYS = env_int("WEBHOOK_DISABLE_AFTER_FAILING_DAYS", 5)
WEBHOOK_REQUIRE_HTTPS_LIVE = env_bool("WEBHOOK_REQUIRE_HTTPS_LIVE", not DEBUG)
# Fernet key (urlsafe base64 of 32 bytes) for signing secrets at rest; empty = derived from SECRET_KEY.
WEBHOOK_SECRET_ENCRYPTION_KEY = os.environ.get("WEBHOOK_SECRET_ENCRYPTION_KEY", "")
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
# Delays after the 1st, 2nd, … failed attempt; the last one repeats until the retry window closes.
WEBHOOK_RETRY_SCHEDULE = (10, 60, 300, 1800, 3600)
WEBHOOK_RETRY_WINDOW = timedelta(hours=env_int("WEBHOOK_RETRY_WINDOW_HOURS", 24))
WEBHOOK_SECRET_ROLL_OVERLAP = timedelta(hours=24)
# A claimed delivery is invisible to other dispatchers this long; a killed worker's claim lapses after it.
WEBHOOK_CLAIM_LEASE_SECONDS = env_int("WEBHOOK_CLAIM_LEASE_SECONDS", 60)
WEBHOOK_DISPATCH_BATCH_SIZE = env_int("WEBHOOK_DISPATCH_BATCH_SIZE", 16)
WEBHOOK_DISPATCH_CONCURRENCY = env_int("WEBHOOK_DISPATCH_CONCURRENCY", 8)
WEBHOOK_DISPATCH_PER_ENDPOINT = env_int("WEBHOOK_DISPATCH_PER_ENDPOINT", 4)
WEBHOOK_EVENT_RETENTION_DAYS = env_int("WEBHOOK_EVENT_RETENTION_DAYS", 30)
WEBHOOK_REPLAY_MAX_EVENTS = env_int("WEBHOOK_REPLAY_MAX_EVENTS", 10000)
WEBHOOK_MAX_ENDPOINTS_PER_ENVIRONMENT = env_int("WEBHOOK_MAX_ENDPOINTS_PER_ENVIRONMENT", 20)

# Billing (operator policy: weekly connection fee incl. 1 GB/month, 225 CAD per extra GB).
BILLING_CURRENCY = os.environ.get("BILLING_CURRENCY", "CAD")
BILLING_WEEKLY_CONNECTION_FEE = Decimal(os.environ.get("BILLING_WEEKLY_CONNECTION_FEE", "25.00"))
BILLING_INCLUDED_BYTES_PER_MONTH = env_int("BILLING_INCLUDED_BYTES_PER_MONTH", 10**9)
BILLING_OVERAGE_PRICE_PER_GB = Decimal(os.environ.get("BILLING_OVERAGE_PRICE_PER_GB", "225.00"))
BILLING_NIGHTLY_HOUR_UTC = env_int("BILLING_NIGHTLY_HOUR_UTC", 2)
METERING_ENABLED = env_bool("METERING_ENABLED", True)
# Embedded mode only: how often the web process's own thread flushes its in-process buffer (0 = never).
METERING_LOCAL_FLUSH_SECONDS = env_int("METERING_LOCAL_FLUSH_SECONDS", 60)
REQUEST_LOG_MAX_ENTRIES = env_int("REQUEST_LOG_MAX_ENTRIES", 500)
REQUEST_LOG_MAX_AGE_SECONDS = env_int("REQUEST_LOG_MAX_AGE_SECONDS", 7 * 24 * 3600)
BILLING_PAYMENT_TERMS_DAYS = env_int("BILLING_PAYMENT_TERMS_DAYS", 30)
# Suspend a tenant whose issued invoice is this many days past due (unset = never automatically).
BILLING_AUTO_SUSPEND_OVERDUE_DAYS = (
    env_int("BILLING_AUTO_SUSPEND_OVERDUE_DAYS", 0) if os.environ.get("BILLING_AUTO_SUSPEND_OVERDUE_DAYS") else None
)

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "portal@fulfillment.example")

# --- Security (production) ---------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Health checks come from the load balancer over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"}},
}
