"""The bench's Django: production-like settings on the bench database.

``CASEWORK_DEBUG=0`` with throwaway values like the Makefile's ``DEPLOY_CHECK_ENV``, except
that the test client's host is allowed and there is no SSL redirect (the bench speaks plain
HTTP to itself). THROWAWAY VALUES, NOT SECRETS: never use them to run casework.
"""

import os
from urllib.parse import urlsplit, urlunsplit

# The bare pages bench.wsgi serves beside casework, for the req/s comparison: one answered
# before Django (the server's ceiling), one through all of Django's middleware and the site's
# shell, signed in, with no case on it (bench.urls).
BARE_PATH = "/bench-bare/"
BARE_DJANGO_PATH = "/bench-bare-django/"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/casework_bench"

THROWAWAY_ENV = {
    "CASEWORK_DEBUG": "0",
    "CASEWORK_SECRET_KEY": "not-a-secret-only-for-the-benchmark-7c2e9a4f1b8d3e6a0c5f",
    "CASEWORK_FIELD_KEYS": "bm90LWEtc2VjcmV0LWJlbmNobWFyay1vbmx5LWtleSE=",
    "CASEWORK_INDEX_KEY": "not-a-secret-benchmark-index-key-2d6f8a1e",
    "CASEWORK_AUDIT_CHAIN_KEY": "not-a-secret-benchmark-chain-key-5e3b7c9a",
    "CASEWORK_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "CASEWORK_SSL_REDIRECT": "0",
    "CASEWORK_TLS_PROXY": "0",
}


def database_url():
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def database_name(url=None):
    return urlsplit(url or database_url()).path.lstrip("/")


def maintenance_url(url=None):
    """The same server's ``postgres`` database, to create or drop the bench database from."""
    parts = urlsplit(url or database_url())
    return urlunsplit(parts._replace(path="/postgres"))


def environment(url=None):
    """The environment variables of a bench process (this one, a writer, gunicorn)."""
    return {**THROWAWAY_ENV, "DATABASE_URL": url or database_url(), "DJANGO_SETTINGS_MODULE": "casework.settings"}


def setup():
    """Configure and set up Django for the bench database in this process."""
    import django

    os.environ.update(environment())
    django.setup()
