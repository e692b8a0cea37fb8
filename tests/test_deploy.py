"""Production settings: `check --deploy` is clean, and a missing variable fails loudly at start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
REQUIRED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS")
# Variables that change what the production settings produce; none may leak in from the
# environment running the tests.
SETTINGS_VARIABLES = (
    *REQUIRED,
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "DB_CONN_MAX_AGE",
    # Set by the browser tests for their own process; `check --deploy` warns about it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    environment.update(
        DJANGO_SETTINGS_MODULE="servicedesk.settings.production",
        SERVICEDESK_VAR_DIR=str(tmp_path),
        SECRET_KEY=secrets.token_urlsafe(64),
        # An unresolvable host: the checks must pass without opening a connection.
        DATABASE_URL="postgres://servicedesk:secret@db.invalid:5432/servicedesk",
        REDIS_URL="redis://redis.invalid:6379/0",
        ALLOWED_HOSTS="desk.example.com,.example.org",
    )
    return environment


def run_python(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


def check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_python(environment, "manage.py", "check", "--deploy", "--fail-level", "WARNING")


def test_check_deploy_passes_without_warnings(production_env):
    result = check_deploy(production_env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_a_security_setting_is_weakened(production_env):
    # The same command catches a real warning, so the passing test above means something.
    production_env["SECURE_HSTS_SECONDS"] = "0"

    result = check_deploy(production_env)

    assert result.returncode != 0
    assert "security.W004" in result.stderr


@pytest.mark.parametrize("name", REQUIRED)
def test_missing_variable_is_named_in_an_improperly_configured_error(production_env, name):
    del production_env[name]

    result = check_deploy(production_env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"production settings need the {name} environment variable" in result.stderr


def test_blank_secret_key_counts_as_missing(production_env):
    production_env["SECRET_KEY"] = "   "

    result = check_deploy(production_env)

    assert result.returncode != 0
    assert "production settings need the SECRET_KEY environment variable" in result.stderr


def test_development_secret_key_is_refused(production_env):
    production_env["SECRET_KEY"] = "dev-only-insecure-key-change-me"

    result = check_deploy(production_env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is the development key" in result.stderr


def test_csrf_trusts_https_on_every_allowed_host(production_env):
    production_env["ALLOWED_HOSTS"] = "desk.example.com, .example.org,*"

    result = run_python(
        production_env,
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.DATABASES['default']['ENGINE']); print(settings.CSRF_TRUSTED_ORIGINS)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "False django.db.backends.postgresql",
        "['https://desk.example.com', 'https://*.example.org']",
    ]
