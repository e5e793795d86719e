"""Production refuses to start unsafe; each case runs a fresh interpreter with a clean environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
# Throwaway values, not secrets: long and varied enough to pass as real ones.
PRODUCTION = {
    "CASEWORK_SECRET_KEY": "test-only-production-secret-key-4f9c2e7a1b8d3f6e0a5c9b2d7e4f1a8c",
    "CASEWORK_FIELD_KEYS": "dGVzdC1vbmx5LWZpZWxkLWtleS0wMDAwMDAwMDAwMDA=",
    "CASEWORK_INDEX_KEY": "test-only-index-key-7d2b9f4e1c6a3e8b5f0d",
    "CASEWORK_AUDIT_CHAIN_KEY": "test-only-audit-chain-key-2e8c5a1f9d4b7e3a",
    "CASEWORK_ALLOWED_HOSTS": "casework.example.org",
}
SHOW = "from django.conf import settings; print(settings.DEBUG, settings.DATABASES['default']['ENGINE'])"


def run(args, env):
    base = {key: value for key, value in os.environ.items() if not key.startswith(("CASEWORK_", "DATABASE_URL"))}
    base["DJANGO_SETTINGS_MODULE"] = "casework.settings"
    return subprocess.run(
        [sys.executable, *args],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def start(env, code=SHOW):
    return run(["-c", f"import django; django.setup(); {code}"], env)


def deploy_check(env):
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def makefile_deploy_env():
    """The production-like environment `make check` gives `check --deploy`."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    [line] = [line for line in text.splitlines() if line.startswith("DEPLOY_CHECK_ENV :=")]
    return dict(item.split("=", 1) for item in line.split(":=", 1)[1].split())


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


@pytest.mark.parametrize(
    "name", ["CASEWORK_SECRET_KEY", "CASEWORK_FIELD_KEYS", "CASEWORK_INDEX_KEY", "CASEWORK_AUDIT_CHAIN_KEY"]
)
def test_production_refuses_a_secret_that_is_long_but_not_random(name):
    result = start({**PRODUCTION, name: "ab" * 40})
    assert result.returncode != 0
    assert f"{name} is not random enough" in result.stderr


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


def test_why_the_referrer_policy_is_same_origin_and_not_no_referrer(db):
    """With "no-referrer" (header or <meta>), Chromium sends "Origin: null" on a same-origin
    form POST, and Django's CSRF origin check refuses it: nobody could sign in. "same-origin"
    sends our own origin to us and nothing to any other host."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/", secure=True)
    assert '<meta name="referrer" content="same-origin">' in page.content.decode()
    form = {"csrfmiddlewaretoken": str(page.context["csrf_token"]), "username": "nobody", "password": "x"}
    as_with_no_referrer = client.post("/accounts/login/", form, secure=True, headers={"Origin": "null"})
    assert as_with_no_referrer.status_code == 403
    as_with_same_origin = client.post("/accounts/login/", form, secure=True, headers={"Origin": "https://testserver"})
    assert as_with_same_origin.status_code != 403


# Production that refuses to be unsafe --------------------------------------------------


def test_the_deploy_check_is_clean_in_the_environment_make_check_uses():
    env = makefile_deploy_env()
    assert env["CASEWORK_DEBUG"] == "0"
    result = deploy_check(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_is_clean_behind_a_tls_proxy():
    result = deploy_check({**PRODUCTION, "CASEWORK_TLS_PROXY": "1"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_notices_an_unsafe_setting():
    result = deploy_check({**PRODUCTION, "CASEWORK_SSL_REDIRECT": "0"})
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_only_a_tls_proxy_makes_x_forwarded_proto_trusted():
    show = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER, settings.SECURE_SSL_REDIRECT)"
    assert start(PRODUCTION, show).stdout.split() == ["None", "True"]
    behind_proxy = start({**PRODUCTION, "CASEWORK_TLS_PROXY": "1"}, show).stdout.strip()
    assert behind_proxy == "('HTTP_X_FORWARDED_PROTO', 'https') True"


def test_production_cookies_carry_the_host_prefix_and_development_cookies_do_not():
    show = (
        "from django.conf import settings; "
        "print(settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME)"
    )
    assert start(PRODUCTION, show).stdout.split() == ["__Host-sessionid", "__Host-csrftoken", "__Host-language"]
    # Plain HTTP on 127.0.0.1 in development: a __Host- cookie needs Secure, so not there.
    development = start({**PRODUCTION, "CASEWORK_DEBUG": "1"}, show).stdout.split()
    assert development == ["sessionid", "csrftoken", "django_language"]
