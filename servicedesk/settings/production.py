"""Production: PostgreSQL, Redis, gunicorn behind a TLS-terminating reverse proxy.

Required environment: SECRET_KEY, DATABASE_URL, REDIS_URL, ALLOWED_HOSTS. Every process (web,
Celery worker, beat, manage.py) imports these settings, so every process needs all four.
Passes `manage.py check --deploy` with no warnings. See docs/deploy.md.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, SECRET_KEY, env, env_bool, env_list

for _name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"):
    if not os.environ.get(_name, "").strip():
        raise ImproperlyConfigured(f"production settings need the {_name} environment variable")

if SECRET_KEY == "dev-only-insecure-key-change-me":
    raise ImproperlyConfigured("SECRET_KEY is the development key; set a long random value in production")

DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS names no host; give a comma-separated list such as desk.example.com")

# Persistent connections (DB_CONN_MAX_AGE) are checked before reuse, so a database restart
# costs one failed ping instead of one failed request per worker.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# TLS ends at the reverse proxy, which must set (not append to) X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The admin's forms post back to the host they were served from: trust https on every allowed
# host ("*.example.com" for a ".example.com" entry; a bare "*" trusts nothing extra).
CSRF_TRUSTED_ORIGINS = [
    f"https://*{host}" if host.startswith(".") else f"https://{host}" for host in ALLOWED_HOSTS if host != "*"
]

# collectstatic writes hashed copies and a manifest to STATIC_ROOT; the reverse proxy serves
# them, and every web node reads the manifest to render the hashed URLs.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

# With DEBUG off Django's default logging sends request errors only to ADMINS by e-mail (none
# are set): log them to the console with the app's loggers, where the process manager collects them.
LOGGING["loggers"]["django"] = {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")}
