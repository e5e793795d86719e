"""The answers every app gives the same way: no such page, not allowed, a CSV download (whole or streamed)."""

import csv
import sys
from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def not_found(request: HttpRequest) -> HttpResponse:
    """The one answer for "no such thing" and "not yours": the same page, the same status."""
    return render(request, "404.html", status=404)


def forbidden(request: HttpRequest) -> HttpResponse:
    """For what she may see but not do: the case is hers to view, not to manage."""
    return render(request, "403.html", status=403)


def csv_response(rows: list[list[str]], filename: str) -> HttpResponse:
    """``rows`` as a CSV attachment. Cells come defused from the export that made them."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(rows)
    return response


class _Line:
    """What ``csv.writer`` writes to, handing each line back instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_stream(rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    """``rows`` as a CSV attachment written as they are read: memory holds one row, however
    many. Cells come defused from the export that made them. When the client stops reading,
    ``rows`` is closed (a generator's ``finally`` and ``with`` blocks run)."""
    response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    try:
        for row in rows:
            yield writer.writerow(row)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def messages_by_place(request: HttpRequest, places: tuple[str, ...], owner: str) -> tuple[list, dict[str, list]]:
    """The saved messages of this request: those for the top of the page, and those placed.

    A message saved with ``extra_tags`` naming one of ``places`` and ``owner`` (what the page
    shows: a case) belongs beside that part of this page (where the redirect after a save
    lands: ``redirect_to_place``), so that she sees it where she is; every other message,
    one saved on another case's page included, goes at the top.
    """
    top: list = []
    placed: dict[str, list] = {place: [] for place in places}
    for message in messages.get_messages(request):
        tags = set(message.extra_tags.split()) if message.extra_tags else set()
        place = next((place for place in places if place in tags), None) if owner in tags else None
        (placed[place] if place else top).append(message)
    return top, placed


def redirect_to_place(url: str, place: str) -> HttpResponseRedirect:
    """Back to ``url``, scrolled to the part of the page named ``place`` (a fragment: the
    browser keeps it, the server never sees it, and it names a part of the page, never a record)."""
    return HttpResponseRedirect(f"{url}#{place}")


# The database (or the key store) not answering: a restart, a failover, a full disk. The
# same plain page as a server error, but 503 with a time to come back, so that the person and
# the proxy know to try again, and no query is needed to show it.
UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10


def unavailable() -> HttpResponse:
    """The page a database that does not answer gives: "try again in a moment" (503)."""
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """Django's last answer (``handler500``), rendered without a request context: nothing in
    it may need the database that may have just failed."""
    if isinstance(sys.exc_info()[1], UNAVAILABLE):
        return unavailable()
    return HttpResponse(loader.get_template("500.html").render(), status=500)
