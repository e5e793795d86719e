"""Production refuses to start unsafe; each case runs a fresh interpreter with a clean environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "CASEWORK_SECRET_KEY": "s" * 60,
    "CASEWORK_FIELD_KEYS": "dGVzdC1vbmx5LWZpZWxkLWtleS0wMDAwMDAwMDAwMDA=",
    "CASEWORK_INDEX_KEY": "i" * 40,
    "CASEWORK_ALLOWED_HOSTS": "casework.example.org",
}
SHOW = "from django.conf import settings; print(settings.DEBUG, settings.DATABASES['default']['ENGINE'])"


def start(env, code=SHOW):
    base = {key: value for key, value in os.environ.items() if not key.startswith(("CASEWORK_", "DATABASE_URL"))}
    base["DJANGO_SETTINGS_MODULE"] = "casework.settings"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_starts_with_every_secret_set():
    result = start(PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.sqlite3"]


@pytest.mark.parametrize("missing", sorted(PRODUCTION))
def test_production_refuses_to_start_without(missing):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = start(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_refuses_a_short_secret_key():
    result = start({**PRODUCTION, "CASEWORK_SECRET_KEY": "changeme"})
    assert result.returncode != 0
    assert "CASEWORK_SECRET_KEY is too short" in result.stderr


def test_a_database_url_selects_postgresql():
    result = start({**PRODUCTION, "DATABASE_URL": "postgres://casework@db.internal:5432/casework"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "django.db.backends.postgresql"


def test_a_nonsense_flag_is_refused_plainly():
    result = start({**PRODUCTION, "CASEWORK_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "CASEWORK_DEBUG must be 1 or 0" in result.stderr


def test_every_page_needs_login_unless_marked(client, db):
    from django.conf import settings

    assert "django.contrib.auth.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE
    assert client.get("/cases/").status_code == 302
    assert client.get("/accounts/login/").status_code == 200


def test_the_referrer_never_leaves_the_site_and_our_own_forms_still_post(client, db):
    # "no-referrer" would make browsers send "Origin: null" and fail every CSRF check.
    assert client.get("/accounts/login/")["Referrer-Policy"] == "same-origin"
