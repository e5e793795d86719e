"""The report pages: the report, its downloads (CSV, each chart as SVG) and the donor report."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from casework.reports import services
from casework.reports.forms import DonorForm, ReasonForm
from casework.reports.periods import Period, PeriodForm, default_period
from casework.reports.queries import MAKERS
from casework.reports.tables import ROUND_TO
from casework.web import doors
from casework.web.forms import form_page
from casework.web.pages import csv_response, not_found


def _initial() -> dict[str, str]:
    return {"quarter": default_period().key}


def _k() -> dict[str, int]:
    return {"min_count": settings.REPORT_MIN_COUNT, "round_to": ROUND_TO}


@doors.reporter
def report(request, scope):
    form = PeriodForm(request.GET or None, initial=_initial())
    if form.is_bound and not form.is_valid():
        return render(request, "reports/report.html", {"form": form, "scope": scope, **_k()}, status=400)
    period = form.cleaned_data["period"] if form.is_bound else default_period()
    tables = services.report_view(by=request.user, scope=scope, period=period)
    context = {"form": form, "scope": scope, "period": period, "tables": tables, **_k()}
    return render(request, "reports/report.html", context)


@doors.reporter
def report_csv(request, scope):
    def download(period: Period, reason: str) -> HttpResponse:
        rows = services.report_csv(by=request.user, scope=scope, period=period, reason=reason)
        return csv_response(rows, f"casework-report-{period.key}.csv")

    return _download(request, _("The report as a CSV file"), download)


@doors.reporter
def chart_svg(request, scope, section):
    if section not in MAKERS:
        return not_found(request)

    def download(period: Period, reason: str) -> HttpResponse:
        table = services.chart_svg(by=request.user, scope=scope, period=period, slug=section, reason=reason)
        drawing = render_to_string("reports/chart.svg", {"table": table, "standalone": True}, request=request)
        response = HttpResponse(drawing, content_type="image/svg+xml; charset=utf-8")
        name = f"casework-{section}-{period.key}.svg"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    return _download(request, _("A chart as an SVG file"), download)


def _download(request, what: str, make: Callable[[Period, str], HttpResponse]) -> HttpResponse:
    """Ask the reason, then download: the period comes in the URL's query string (a quarter)."""
    period_form = PeriodForm(request.GET)
    context = {"what": what, "period_form": period_form}
    if not period_form.is_valid():
        return render(request, "reports/download.html", context, status=400)
    period = period_form.cleaned_data["period"]
    context["period"] = period
    form = ReasonForm(request.POST if request.method == "POST" else None)
    return form_page(
        request, form, "reports/download.html", context, lambda form: make(period, form.cleaned_data["reason"])
    )


@doors.reporter
def donor(request, scope):
    form = DonorForm(request.POST if request.method == "POST" else None, initial={**_initial(), "form": "page"})

    def make(form: DonorForm) -> HttpResponse:
        data = form.cleaned_data
        report = services.donor_export(
            by=request.user,
            scope=scope,
            period=data["period"],
            reason=data["reason"],
            named=data["named"],
            form=data["form"],
        )
        if data["form"] == "csv":
            title = (
                _("Report of %(name)s") % {"name": report.organisation_name}
                if report.organisation_name
                else _("Report")
            )
            rows = services.csv_rows(report.period, report.tables, heading=[title])
            period = report.period
            return csv_response(rows, f"report-{period.key}.csv")
        return render(request, "reports/donor.html", {"report": report, **_k()})

    return form_page(request, form, "reports/donor_form.html", {}, make)
