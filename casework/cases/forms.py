from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.access.models import Team
from casework.cases import codes
from casework.cases.choices import CaseStatus, RiskLevel

SORTS = {
    "opened": ("-opened_on", "code"),
    "oldest": ("opened_on", "code"),
    "code": ("code",),
    "risk": ("-risk_rank", "-opened_on", "code"),
}


# Risk levels in the order they are declared (low → critical), for sorting by risk.
RISK_RANK = models.Case(
    *[models.When(risk_level=value, then=models.Value(rank)) for rank, value in enumerate(RiskLevel.values)],
    output_field=models.IntegerField(),
)


class CaseFindForm(forms.Form):
    """Go to a case by its code. Posted, never in a URL: people type names into search boxes."""

    code = forms.CharField(label=_("Case code"), max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(autocomplete="off", spellcheck="false", placeholder="7X3-QM9P-DK4")

    def clean_code(self):
        code = codes.normalise(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _("That is not a case code. A code has ten letters and digits, like 7X3-QM9P-DK4.")
            )
        return code


class CaseFilterForm(forms.Form):
    """Filters for the case list. Choices only ever narrow what restrict() already allows."""

    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *CaseStatus.choices])
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("Any"))
    risk = forms.ChoiceField(label=_("Risk"), required=False, choices=[("", _("Any")), *RiskLevel.choices])
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("opened", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("code", _("Case code")),
            ("risk", _("Highest risk first")),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(
            organisation__memberships__user=user, organisation__memberships__is_active=True
        ).order_by("name")

    def apply(self, cases):
        """Narrow and order ``cases`` (already restricted) by the valid filters."""
        if not self.is_valid():
            return cases.none()
        data = self.cleaned_data
        if data.get("status"):
            cases = cases.filter(status=data["status"])
        if data.get("team"):
            cases = cases.filter(team=data["team"])
        if data.get("risk"):
            cases = cases.filter(risk_level=data["risk"])
        sort = data.get("sort") or "opened"
        if sort == "risk":
            cases = cases.annotate(risk_rank=RISK_RANK)
        return cases.order_by(*SORTS[sort])
