"""The forms of erasure, legal hold and the retention rules: choices, never free text."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.identity.forms import code_field
from casework.retention.choices import CHOSEN_REASONS, HoldReason
from casework.retention.models import MIN_WARNING_DAYS

FRESH_CODE = _("Needed to erase. Your last code is more than five minutes old: confirm it is still you.")
FRESH_LIFT = _("Needed to lift a hold. Your last code is more than five minutes old: confirm it is still you.")
MONTHS_MAX = 1200  # a hundred years: anything longer is a typing mistake


def _with_code(form: forms.Form, needs_code: bool) -> None:
    if needs_code:
        form.fields["code"] = code_field(FRESH_CODE)


class EraseForm(forms.Form):
    """Why the case is erased (not asked of the second supervisor: she confirms the first's
    reason), that she understands it cannot be undone, and a fresh code."""

    reason = forms.ChoiceField(
        label=_("Why is this case erased?"),
        choices=[(r.value, r.label) for r in CHOSEN_REASONS],
        widget=forms.RadioSelect,
    )
    understood = forms.BooleanField(
        label=_("I understand that everything recorded on this case is destroyed and cannot be brought back."),
        error_messages={"required": _("Tick this box to confirm that you understand.")},
    )

    # The request she saw waiting (its uid), or none: a form shown before a colleague asked
    # is never taken as the confirmation of what the colleague asked.
    waiting = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, confirming=False, needs_code=False, waiting=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["waiting"].initial = str(waiting.uid) if waiting is not None else ""
        if confirming:
            del self.fields["reason"]
        _with_code(self, needs_code)

    def saw(self, waiting):
        """Whether the page she sent showed ``waiting`` (the request waiting now, or None)."""
        return self.cleaned_data.get("waiting", "") == (str(waiting.uid) if waiting is not None else "")


class HoldForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why is this case held?"), choices=HoldReason.choices, widget=forms.RadioSelect)


class LiftForm(forms.Form):
    """Lifting a hold lets the case be erased again: a fresh code, as for erasing."""

    def __init__(self, *args, needs_code=False, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_code:
            self.fields["code"] = code_field(FRESH_LIFT)


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class RulesForm(forms.Form):
    months_after_closure = forms.IntegerField(
        label=_("Erase a closed case this many months after it was closed"),
        required=False,
        min_value=1,
        max_value=MONTHS_MAX,
        help_text=_("Leave empty for no such rule."),
    )
    months_without_contact = forms.IntegerField(
        label=_("Erase a case after this many months without contact"),
        required=False,
        min_value=1,
        max_value=MONTHS_MAX,
        help_text=_(
            "Counted from the last contact, or from the opening of a case without one. Leave empty for no such rule."
        ),
    )
    warning_days = forms.IntegerField(
        label=_("Warning period (days)"),
        min_value=MIN_WARNING_DAYS,
        max_value=365,
        help_text=_(
            "How long a case shows on the supervisors' home page, to be held or postponed, before it is erased."
        ),
    )
    second_supervisor = forms.BooleanField(
        label=_("Erasing a case by hand needs a second supervisor of its team to confirm"), required=False
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, needs_code=False, **kwargs):
        super().__init__(*args, **kwargs)
        _with_code(self, needs_code)


class OrganisationEraseForm(forms.Form):
    understood = forms.BooleanField(
        label=_(
            "I confirm that our organisation leaves: every case, every account and every key is to be destroyed "
            "at the server, and nothing can be brought back."
        ),
        error_messages={"required": _("Tick this box to confirm.")},
    )

    def __init__(self, *args, needs_code=False, **kwargs):
        super().__init__(*args, **kwargs)
        _with_code(self, needs_code)
