"""The de-identified CSV export of the cases a supervisor may see, streamed."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from casework.cases.services import export as services
from casework.web import doors
from casework.web.forms import form_page
from casework.web.pages import csv_stream


class ExportForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


@doors.exporter
def case_export(request):
    form = ExportForm(request.POST if request.method == "POST" else None)

    def download(form):
        rows = services.cases_export(by=request.user, reason=form.cleaned_data["reason"])
        return csv_stream(rows, f"casework-cases-{timezone.localdate():%Y-%m-%d}.csv")

    # What an export would hold now (one aggregate query, only if the page is shown).
    preview = SimpleLazyObject(lambda: services.export_plan(request.user))
    context = {"preview": preview, "min_count": settings.REPORT_MIN_COUNT}
    return form_page(request, form, "cases/case_export.html", context, download)
