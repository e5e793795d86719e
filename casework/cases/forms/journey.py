from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases.choices import JourneyStage, Region
from casework.cases.forms.common import DateInput
from casework.cases.services.journey import check_step

STAGE_HELP = _("Where she is along her journey.")
REGION_HELP = _("A province or a country, never a town or an address.")


class JourneyStepForm(forms.Form):
    """A step along her journey; ``version`` is the case's, from the page she started on."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    stage = forms.ChoiceField(label=_("Stage"), choices=JourneyStage.choices, help_text=STAGE_HELP)
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices, help_text=REGION_HELP)
    started_on = forms.DateField(label=_("Since"), widget=DateInput, help_text=_("The day she reached this stage."))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = case.version
        self.fields["started_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                check_step(data["stage"], data["region"], data["started_on"])
            except ValidationError as error:
                self.add_error(None, error)
        return data

    def changes(self):
        return {name: self.cleaned_data[name] for name in ("stage", "region", "started_on")}


class FirstStepFields:
    """The intake form's first step of the journey: stage, region and since, all optional
    together. Without a stage no step is recorded and the region stays unknown."""

    def add_first_step_fields(self):
        self.fields["stage"] = forms.ChoiceField(
            label=_("Journey stage"),
            required=False,
            choices=[("", _("Not known yet")), *JourneyStage.choices],
            help_text=STAGE_HELP,
        )
        self.fields["region"] = forms.ChoiceField(
            label=_("Region"), required=False, choices=Region.choices, initial=Region.UNKNOWN, help_text=REGION_HELP
        )
        self.fields["started_on"] = forms.DateField(
            label=_("Since"),
            required=False,
            widget=DateInput,
            initial=timezone.localdate,
            help_text=_("The day she reached this stage, as near as is known."),
        )

    def clean_first_step(self, data):
        stage, region, started_on = data.get("stage"), data.get("region") or Region.UNKNOWN, data.get("started_on")
        if not stage:
            if region != Region.UNKNOWN:
                self.add_error("stage", _("Choose her stage too: a region is recorded with the stage she is at."))
            return
        try:
            check_step(stage, region, started_on)
        except ValidationError as error:
            self.add_error(None, error)

    def first_step(self):
        """The first step as journey_step_add takes it, or None."""
        data = self.cleaned_data
        if not data.get("stage"):
            return None
        return {"stage": data["stage"], "region": data["region"], "started_on": data["started_on"]}
