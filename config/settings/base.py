"""Settings shared by every environment. The environment is read here, once."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-only-key")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "django_htmx",
    "template_partials",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "org",
    "leads",
    "opportunities",
    "activities",
    "handoffs",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lets the change history name the signed-in user for writes made outside a service's actor.
    "simple_history.middleware.HistoryRequestMiddleware",
    "org.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The queue's covering index (INCLUDE columns) is PostgreSQL's; SQLite builds it without them, as intended.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = ["org.backends.LockoutModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


# Login protection. Failed logins are counted per username typed (existing or not) and per client address
# from the first failure on; reaching the limit within the window refuses every login there, right or wrong,
# for the lockout period. The address limit is higher: an office logs in from one address.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=30)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)
# How many reverse proxies in front of the app append to X-Forwarded-For: the client's address is the one the
# outermost trusted proxy saw. 0 trusts no header (REMOTE_ADDR is the client), so a client cannot pick its own.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

# A working day, then log in again; the cookie is never sent cross-site on a POST, nor readable by scripts
# (htmx sends the CSRF token from the page, not the cookie).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Japanese by default; English for everyone who prefers it. Weeks start on Monday (ISO).
LANGUAGE_CODE = env("LANGUAGE_CODE", default="ja")
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Tokyo")
USE_I18N = True
USE_TZ = True
FIRST_DAY_OF_WEEK = 1

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Celery: with no Redis configured, tasks run in-process so a laptop needs nothing else.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Without a worker nothing rolls the metrics up periodically: the dashboards do it when read instead.
METRICS_ROLLUP_ON_VIEW = env.bool("METRICS_ROLLUP_ON_VIEW", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# A request publishes after its transaction commits; with Redis down or unreachable the publish must give up
# within seconds (the transactional outbox publishes the message again later), never hang the request.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# Workers keep retrying the broker after losing it at start-up or later, and take up work again by themselves.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# The outbox (org/outbox.py): a message not done this long after it was published is published again; a
# worker running one holds it this long before it counts as dead (longer than the longest import).
OUTBOX_RETRY_SECONDS = env.int("OUTBOX_RETRY_SECONDS", default=60)
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=900)
# A webhook delivery being sent is held this long (longer than a request can last) before it is sent again.
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=120)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Copied into the database by beat at start-up (then editable in the admin).
CELERY_BEAT_SCHEDULE = {
    # The outbox relay: publishes again what a broker outage, a lost message or a dead worker left undone.
    "relay-outbox": {"task": "org.tasks.relay_outbox", "schedule": 30.0, "options": {"expires": 25}},
    # The webhook outbox sweeper: delivers webhooks whose enqueueing was lost (e.g. Redis was down) or are due a retry.
    "dispatch-due-webhooks": {"task": "org.tasks.dispatch_due_webhooks", "schedule": 60.0, "options": {"expires": 55}},
    # Metrics: the days whose facts changed, every few minutes (then the alerts); yesterday, after midnight.
    "metrics-rollup-dirty-days": {
        "task": "dashboards.tasks.rollup_dirty_days",
        "schedule": env.float("METRICS_ROLLUP_SECONDS", default=180.0),
        "options": {"expires": 170},
    },
    "metrics-close-day": {"task": "dashboards.tasks.close_day", "schedule": crontab(hour=0, minute=20)},
    # Failed-login counters whose window and lockout have both ended are forgotten.
    "login-throttles-purge": {
        "task": "org.tasks.purge_login_throttles",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    "alerts-evaluate": {"task": "dashboards.tasks.evaluate_alerts", "schedule": 300.0, "options": {"expires": 290}},
    # The trash: records deleted more than 30 days ago are deleted for good, at night.
    "trash-purge": {"task": "leads.tasks.purge_trash", "schedule": crontab(hour=3, minute=40)},
}

# The change history is read-only in the admin: reverting would write past the services' transitions and checks.
SIMPLE_HISTORY_REVERT_DISABLED = True

SLACK_WEBHOOK_URL = env("SLACK_WEBHOOK_URL", default="")
# The MA tool signs each touch-point webhook with this secret; the webhook answers 503 while it is empty.
TOUCHPOINT_WEBHOOK_SECRET = env("TOUCHPOINT_WEBHOOK_SECRET", default="")
# A signature older (or newer) than this is refused, so a captured request cannot be replayed later.
TOUCHPOINT_WEBHOOK_TOLERANCE_SECONDS = env.int("TOUCHPOINT_WEBHOOK_TOLERANCE_SECONDS", default=300)

# Throttling counts in the cache: Redis when configured, so every web worker shares the counts. Nothing in it
# is needed to answer a request, so with Redis down a read misses and a write is dropped (config/cache.py).
REDIS_CACHE = {
    "BACKEND": "config.cache.ForgivingRedisCache",
    "LOCATION": REDIS_URL,
    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
}
CACHES = {"default": REDIS_CACHE if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "org.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.UnicodeJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env("API_THROTTLE_RATE", default="600/min")},
    "EXCEPTION_HANDLER": "config.api.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kakehashi API",
    "DESCRIPTION": "Field Sales pulls its SQLs, answers them, moves deals through phase gates and logs activities.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "LeadStatusEnum": "leads.models.Lead.Status",
        "OpportunityStatusEnum": "opportunities.models.Opportunity.Status",
        "HandoffStatusEnum": "handoffs.models.Handoff.Status",
        "HandoffKindEnum": "handoffs.models.Handoff.Kind",
        "ActivityKindEnum": "activities.models.Activity.Kind",
        "DirectionEnum": "leads.models.Origin",
        "DealOriginEnum": "opportunities.models.Opportunity.Origin",
        "GrainEnum": "dashboards.models.Grain",
        "TouchPointKindEnum": "leads.models.TouchPoint.Kind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
