from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["loggers"]["tickets"]["level"] = "WARNING"  # noqa: F405

# Without a broker (the unit tests) tasks run in-process; the integration tests set REDIS_URL
# and use a real worker.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # noqa: F405
SERVICEDESK = {**SERVICEDESK, "SLA_SWEEP_BATCH": 50, "WEBHOOK_ALLOW_HTTP_LOOPBACK": True}  # noqa: F405

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
