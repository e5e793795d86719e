"""The de-identified CSV export of the cases a supervisor may see."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases.services import export as services
from casework.web import doors
from casework.web.forms import form_page
from casework.web.pages import csv_response


class ExportForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


@doors.exporter
def case_export(request):
    form = ExportForm(request.POST if request.method == "POST" else None)

    def download(form):
        rows = services.cases_export(by=request.user, reason=form.cleaned_data["reason"])
        return csv_response(rows, f"casework-cases-{timezone.localdate():%Y-%m-%d}.csv")

    return form_page(request, form, "cases/case_export.html", {}, download)
