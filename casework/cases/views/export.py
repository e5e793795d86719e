"""The de-identified CSV export of the cases a supervisor may see."""

import csv

from django import forms
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases.services import export as services
from casework.cases.views.common import form_page, not_found


class ExportForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def case_export(request):
    if services.export_membership(request.user) is None:
        return not_found(request)  # the same answer as a page that does not exist
    form = ExportForm(request.POST if request.method == "POST" else None)

    def download(form):
        rows = services.cases_export(by=request.user, reason=form.cleaned_data["reason"])
        return csv_response(rows, f"casework-cases-{timezone.localdate():%Y-%m-%d}.csv")

    return form_page(request, form, "cases/case_export.html", {}, download)


def csv_response(rows, filename):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    csv.writer(response).writerows(rows)
    return response
