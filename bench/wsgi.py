"""What gunicorn serves for the bench: casework as in production, and beside it two bare pages.

``/bench-bare/`` answers with ``BENCH_BARE_BYTES`` bytes of HTML and touches neither Django
nor the database: the ceiling the same server reaches for a page of the same size.
``/bench-bare-django/`` (``bench.urls``) is a page of the same size through all of Django's
middleware and the site's shell, for the same signed-in person, without a case: what a
page costs before any case or permission question. Both live here, never in ``casework``.
"""

import os

from bench import environment

environment.setup()

from django.conf import settings  # noqa: E402 (after the bench's environment)

settings.ROOT_URLCONF = "bench.urls"

from casework.wsgi import application as casework_application  # noqa: E402 (after the bench's environment)

BARE_PATH = environment.BARE_PATH
BARE_BODY = b"<!DOCTYPE html><title>bare</title>" + b"x" * int(os.environ.get("BENCH_BARE_BYTES", "20000"))


def application(environ, start_response):
    if environ.get("PATH_INFO") == BARE_PATH:
        start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(BARE_BODY)))])
        return [BARE_BODY]
    return casework_application(environ, start_response)
