"""``/healthz``: whether this server can answer, for the proxy and the operator's monitor.

It says "ok" or "not ok" and nothing else: no version, no count, no name of what failed
(that goes to the server's log), so that it tells someone outside nothing about the
instance. Open to anyone and never audited: a monitor asks every few seconds.
"""

import logging

from django.db import DatabaseError, connections, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from casework.web import doors

logger = logging.getLogger(__name__)

# Both must answer: the data, and the key store that opens it.
DATABASES = ("default", "keystore")


@doors.public
@never_cache
@require_safe
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> HttpResponse:
    ok = all(_answers(alias) for alias in DATABASES)
    return HttpResponse(
        "ok\n" if ok else "not ok\n", status=200 if ok else 503, content_type="text/plain; charset=utf-8"
    )


def _answers(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    except DatabaseError as error:
        logger.warning("Health check: the %s database does not answer (%s).", alias, type(error).__name__)
        return False
