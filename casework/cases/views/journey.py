from django.urls import path
from django.utils.translation import gettext as _

from casework.cases.forms.common import ReasonForm
from casework.cases.forms.journey import JourneyStepForm
from casework.cases.services import journey as services
from casework.cases.views.places import saved_on_case_page
from casework.web import doors
from casework.web.forms import form_page


@doors.case_page("change")
def journey_step_create(request, case):
    form = JourneyStepForm(request.POST or None, case=case)

    def add(form):
        version = form.cleaned_data["version"]
        services.journey_step_add(by=request.user, case=case, version=version, **form.changes())
        return saved_on_case_page(request, case, "journey", _("Journey step recorded."))

    return form_page(request, form, "cases/journey_form.html", {"case": case}, add)


@doors.case_record("journey", "change", select=("created_by",))
def journey_step_remove(request, case, step):
    """Asks for the reason (GET), then removes the step (POST)."""
    form = ReasonForm(request.POST or None, initial={"version": case.version})

    def remove(form):
        reason, version = form.cleaned_data["reason"], form.cleaned_data["version"]
        services.journey_step_remove(by=request.user, case=case, step=step, reason=reason, version=version)
        return saved_on_case_page(request, case, "journey", _("Journey step removed."))

    return form_page(request, form, "cases/journey_remove.html", {"case": case, "step": step}, remove)


# Under /cases/<code>/journey/, in the "cases" namespace.
urls = [
    path("new/", journey_step_create, name="journey_new"),
    path("<str:uid>/remove/", journey_step_remove, name="journey_remove"),
]
