"""Settings for the benchmark: the shared base settings, DEBUG off (as in production: cached
templates, no query log), on the PostgreSQL database named by DATABASE_URL."""

import os

from django.core.exceptions import ImproperlyConfigured

from servicedesk.settings.base import *  # noqa: F403
from servicedesk.settings.base import DATABASES, LOGGING, REST_FRAMEWORK

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "The benchmark runs on PostgreSQL: set DATABASE_URL=postgres://… (make bench uses BENCH_DATABASE_URL)."
    )

DEBUG = False
# The test client's host, and the local server of the load test (a later step).
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# The measurements send a few hundred requests with one key in a minute; the API's per-key
# throttle still runs, with a rate it never reaches.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"api_key": os.environ.get("BENCH_API_RATE", "1000000/min")},
}
LOGGING["loggers"]["tickets"]["level"] = "WARNING"
# WhiteNoise looks for the collected files at start-up; the measurements fetch no static file.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
