from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.cases.choices import NeedStatus
from casework.cases.forms.common import DateInput, VersionedForm, not_in_future
from casework.cases.models import SupportNeed
from casework.cases.services.needs import MOVES, assignees, check_dates


class NeedForm(VersionedForm):
    """A support need. Its owner is picked among the people assigned to the case, never anyone else."""

    identity_guarded = ("outcome_notes",)

    class Meta:
        model = SupportNeed
        fields = ["category", "urgency", "owner", "identified_on", "due_on", "outcome_notes"]
        widgets = {"identified_on": DateInput(), "due_on": DateInput()}
        help_texts = {
            "due_on": _("Optional. Not before the day the need was identified."),
            "outcome_notes": _("What was done and what came of it. No names, places or phone numbers."),
        }

    def __init__(self, *args, case, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identified_on"].show_hidden_initial = False
        owner = self.fields["owner"]
        # The owner it already has stays possible, so editing a need never drops it silently.
        owner.queryset = User.objects.filter(
            Q(pk__in=assignees(case).values("pk")) | Q(pk=self.instance.owner_id)
        ).order_by("username")
        owner.empty_label = _("Nobody yet")
        owner.help_text = _("Only people assigned to this case can own its needs.")
        owner.error_messages["invalid_choice"] = _("Choose someone assigned to this case.")
        if self.instance.pk is None and user is not None:
            owner.initial = user.pk

    def clean_identified_on(self):
        return not_in_future(self.cleaned_data["identified_on"], _("A need cannot be identified in the future."))

    def clean(self):
        data = super().clean()
        try:
            check_dates(data.get("identified_on"), data.get("due_on"))
        except ValidationError as error:
            self.add_error(None, error)
        return data


class NeedStatusForm(forms.Form):
    """Move a need along its workflow: only the next steps from where it is now are offered."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(label=_("Move to"), choices=NeedStatus.choices)

    def __init__(self, *args, need, **kwargs):
        super().__init__(*args, initial={"version": need.version}, **kwargs)
        self.moves = MOVES[need.status]
        # All labels stay on the field (the conflict page names any status); the menu offers the moves.
        self.fields["status"].widget.choices = [(v, label) for v, label in NeedStatus.choices if v in self.moves]

    def clean_status(self):
        status = self.cleaned_data["status"]
        if status not in self.moves:
            raise ValidationError(_("A need cannot move to this status from where it is now."))
        return status
