"""The answers every app gives the same way: no such page, not allowed, a CSV download."""

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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
