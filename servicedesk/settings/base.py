"""Settings shared by every environment.

Everything that differs between a laptop and production comes from the environment:
DATABASE_URL (default: SQLite in var/), REDIS_URL (default: a server-less filesystem
Celery transport in var/), SECRET_KEY, ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from servicedesk.env import env, env_bool, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env("SERVICEDESK_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "tickets",
    "visits",
    "complaints",
    "scripts_lib",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page requires sign-in unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# The model backend, with the user's staff profile read in the same query (one query a page).
AUTHENTICATION_BACKENDS = ["servicedesk.auth_backends.StaffModelBackend"]

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"
ASGI_APPLICATION = "servicedesk.asgi.application"

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
                "tickets.context_processors.desk",
            ],
        },
    },
]


def _database_config() -> dict:
    url = env("DATABASE_URL", "")
    if url:
        config = dj_database_url.parse(url, conn_max_age=int(env("DB_CONN_MAX_AGE", "60")))
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "servicedesk.sqlite3")}
    if config["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT compiles any query its planner thinks costly, adding 50-300 ms to
        # exactly the dashboard queries it means to speed up; ours are short reads and writes
        # (docs/performance.md). DB_SESSION_OPTIONS="" keeps the server's own setting.
        options = env("DB_SESSION_OPTIONS", "-c jit=off")
        if options:
            config["OPTIONS"] = {"options": options}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Web server, Celery worker and beat share one SQLite file: WAL lets readers run
        # beside a writer, IMMEDIATE transactions take the write lock up front (no upgrade
        # deadlocks), and the timeout waits for the lock instead of failing.
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:home"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Integrations send `Authorization: Bearer <key>`; staff use their session (CSRF enforced).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "servicedesk.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["servicedesk.api.permissions.HasScope"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "servicedesk.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["servicedesk.api.throttling.ApiKeyThrottle"],
    # Requests per API key (API_RATE, e.g. "600/min"); staff through the session are not throttled.
    "DEFAULT_THROTTLE_RATES": {"api_key": env("API_RATE", "600/min")},
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ServiceDesk API",
    "DESCRIPTION": "Tickets, visits, complaints and evaluations for integrations (issue 7).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "servicedesk.api.throttling.document_throttling",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "TicketKindEnum": "tickets.models.Ticket.Kind",
        "DeadlineKindEnum": "tickets.models.DeadlineKind",
        "EvaluationScoreEnum": "complaints.models_evaluations.SCORE_CHOICES",
        "WebhookEventEnum": "tickets.models.WebhookSubscription.Event",
        "WebhookDeliveryStatusEnum": "tickets.models.WebhookDelivery.Status",
        "ComplaintProblemTypeEnum": "complaints.api.API_PROBLEM_TYPE_NAMES",
        "CheckInPurposeEnum": "visits.api.CHECK_IN_PURPOSES",
        "VisitPurposeEnum": "visits.api.RESPONSE_PURPOSES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "servicedesk": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
        "tickets": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    },
}

# --- Celery -------------------------------------------------------------------------------
# REDIS_URL switches the broker to Redis; without it a filesystem transport in var/ needs no
# server at all (one machine only: the worker and beat must share that folder).
REDIS_URL = env("REDIS_URL", "")
# The shared cache (the API's per-key throttling counts here): Redis where configured, so every
# web node counts together; the embedded default keeps it in the one web process.
CACHES = {
    "default": (
        # Django's Redis backend, reusing its client objects (servicedesk/cache.py).
        {"BACKEND": "servicedesk.cache.ReusedClientRedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "sd"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    _queue_dir = VAR_DIR / "celery-queue"
    # The transport needs the folder before the first message is sent, by any process.
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
        # The folder is polled; the default 1 s would let a backlog drain at ~1 message a second.
        "polling_interval": 0.2,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {
        "task": "tickets.tasks.sla_sweep",
        "schedule": timedelta(seconds=float(env("SLA_SWEEP_SECONDS", "5"))),
        # A sweep that could not start within its own period is superseded by the next one.
        "options": {"expires": float(env("SLA_SWEEP_SECONDS", "5"))},
    },
    # Webhook deliveries whose retry is due (issue 7): queued for the workers; sending never runs here.
    "webhook-retry-due": {
        "task": "tickets.tasks.webhook_retry_due",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 30},
    },
    # Freeze the complaint figures of every finished month not yet closed (C3); idempotent.
    "complaint-months-close": {
        "task": "complaints.tasks.complaint_months_close",
        "schedule": timedelta(days=1),
    },
    # Count each closed day's settled deadlines once for the SLA figures (issue 9); idempotent.
    # Hourly, not daily: a day invalidated by a recompute is rolled again within the hour, and a
    # run with nothing to do costs two small queries.
    "sla-rollup": {
        "task": "tickets.tasks.sla_rollup",
        "schedule": timedelta(hours=1),
        "options": {"expires": 3600},
    },
}

# --- ServiceDesk --------------------------------------------------------------------------
SERVICEDESK = {
    # Share of a deadline's window after which a warning is sent (S1–S3 "near due").
    "SLA_WARN_RATIO": float(env("SLA_WARN_RATIO", "0.8")),
    # Deadlines handled per sweep transaction.
    "SLA_SWEEP_BATCH": int(env("SLA_SWEEP_BATCH", "200")),
    # A visitor waiting 3 minutes (S4): "suggest" names an available colleague on the consoles,
    # "assign" hands the visitor to them at once.
    "VISIT_WAIT_ALERT": env("VISIT_WAIT_ALERT", "suggest"),
    # The lobby board may be opened without signing in by adding ?key=<this> (a TV in the lobby).
    "LOBBY_BOARD_KEY": env("LOBBY_BOARD_KEY", ""),
    # Department codes: whose head is the CS manager (客服经理), and where repairs go.
    "CS_MANAGER_DEPARTMENT": env("CS_MANAGER_DEPARTMENT", "customer_service"),
    "ENGINEERING_DEPARTMENT": env("ENGINEERING_DEPARTMENT", "engineering"),
    # Dotted path of the notification sender (console, later e-mail / SMS).
    "NOTIFICATION_SENDER": env("NOTIFICATION_SENDER", "tickets.notifications.ConsoleSender"),
    # Dotted path of the notifier that sends messages to customers (console, later SMS).
    "CUSTOMER_NOTIFIER": env("CUSTOMER_NOTIFIER", "tickets.notifications.ConsoleCustomerNotifier"),
    # Webhooks go to https:// addresses only; this also allows http://127.0.0.1 / localhost (a
    # receiver on the same machine while developing, and the tests).
    "WEBHOOK_ALLOW_HTTP_LOOPBACK": env_bool("WEBHOOK_ALLOW_HTTP_LOOPBACK", DEBUG),
    # The centre's name printed on the service confirmation form (blank: "Customer Service Centre").
    "CENTRE_NAME": env("CENTRE_NAME", ""),
    # Attachments: largest file accepted, and the kinds of file (by extension) a desk needs.
    "ATTACHMENT_MAX_BYTES": int(env("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
    "ATTACHMENT_EXTENSIONS": env_list(
        "ATTACHMENT_EXTENSIONS", ["pdf", "jpg", "jpeg", "png", "gif", "doc", "docx", "xls", "xlsx", "txt"]
    ),
}
