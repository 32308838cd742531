"""Settings come from the environment; production refuses development defaults."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 20 + "-production-secret-key-that-is-long-enough-0123456789"
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "mcbackend.settings.production",
    "DJANGO_SECRET_KEY": GOOD_KEY,
    "DJANGO_ALLOWED_HOSTS": "movieconnect.example",
    "TRUSTED_ORIGINS": "https://movieconnect.example",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRUSTED_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS"),
        ({"TRUSTED_ORIGINS": ""}, "TRUSTED_ORIGINS"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(override, complaint):
    env = {**PRODUCTION_ENV, **override}
    env = {k: v for k, v in env.items() if v != ""}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert complaint in result.stderr


def test_embedded_default_needs_nothing_but_python():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.DEBUG)"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "mcbackend.settings.local"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "True",
    ]


def production_database(**env: str) -> list[str]:
    """CONN_MAX_AGE and the pool options production settings derive from the environment."""
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], sorted(d['OPTIONS'].get('pool', {}).items()))"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        env={
            **PRODUCTION_ENV,
            "DATABASE_URL": "postgres://mc:mc@127.0.0.1:5432/movieconnect",
            "DB_CONN_MAX_AGE": "60",
            **env,
        },
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split(" ", 1)


def test_production_pools_postgres_connections_instead_of_keeping_them_per_request():
    # Under daphne a persistent connection is never reused by the next request (bench/load).
    assert production_database() == [
        "0",
        "[('max_size', 10), ('min_size', 2), ('timeout', 3.0)]",
    ]
    assert production_database(DB_POOL_MAX_SIZE="4", DB_POOL_TIMEOUT="1.5") == [
        "0",
        "[('max_size', 4), ('min_size', 2), ('timeout', 1.5)]",
    ]


def test_production_pool_can_be_turned_off():
    assert production_database(DB_POOL_MAX_SIZE="0") == ["60", "[]"]


def mail_settings(settings_module: str, **env: str) -> list[str]:
    code = (
        "from django.conf import settings as s;"
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_HOST_USER)"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        code,
        env={**base, **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": settings_module, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_mail_goes_to_the_console_in_development_and_never_in_production():
    assert mail_settings("mcbackend.settings.local")[0] == (
        "django.core.mail.backends.console.EmailBackend"
    )
    # production without EMAIL_URL: an SMTP server on localhost, never reset links in the logs
    assert mail_settings("mcbackend.settings.production") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "localhost",
        "25",
        "False",
    ]


def test_email_url_configures_the_smtp_server():
    assert mail_settings(
        "mcbackend.settings.production", EMAIL_URL="smtp+tls://mailer:s3cret@smtp.example:587"
    ) == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example", "587", "True", "mailer"]
