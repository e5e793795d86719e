from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework import keys
from casework.audit import events
from casework.audit.flags import DEFAULT_DAYS
from casework.audit.models import Outcome
from casework.audit.review import week_start
from casework.cases import codes

FILTERS = ("user", "code", "event", "outcome", "date_from", "date_to")
MAX_DAYS = 90


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ForgetfulForm(forms.Form):
    """A GET form that never shows rejected input again: people type names into filter boxes,
    so what failed validation is dropped from the page (the message never quotes it either)."""

    def forget_invalid(self):
        data = self.data.copy()
        for name in self.errors:
            data.pop(name, None)
        self.data = data
        return self


class PageForm(ForgetfulForm):
    """Where a newest-first page of the trail starts: below the entry named by ``before``,
    a sealed cursor from the page before (cleaned to that entry's seq, never shown)."""

    before = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def clean_before(self):
        token = self.cleaned_data["before"]
        if not token:
            return None
        seq = keys.open_number(keys.AUDIT_REFERENCE, token)
        if seq is None:
            raise forms.ValidationError(_("This link to older entries no longer works: start from the newest."))
        return seq


class TrailFilterForm(PageForm):
    user = forms.CharField(label=_("Person (username)"), required=False, max_length=150)
    code = forms.CharField(label=_("Case code"), required=False, max_length=40)
    event = forms.ChoiceField(
        label=_("Event"),
        required=False,
        error_messages={"invalid_choice": _("Choose one of the events listed.")},  # Django's quotes the input
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("Any")), *Outcome.choices],
        error_messages={"invalid_choice": _("Choose one of the outcomes listed.")},  # Django's quotes the input
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=_date_input())

    def __init__(self, *args, organisation_id, role, only=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id = organisation_id
        self.only = only  # the one username known to the filter, if not everyone's
        # The events she reviews, in words, in her language's order.
        reviewed = [(name, str(events.label(name))) for name in events.names(reviewer=role)]
        self.fields["event"].choices = [("", _("Any")), *sorted(reviewed, key=lambda choice: choice[1])]
        self.fields["code"].widget.attrs.update(autocomplete="off", spellcheck="false", placeholder="7X3-QM9P-DK4")
        self.fields["user"].widget.attrs.update(autocomplete="off", spellcheck="false")

    def clean_code(self):
        text = self.cleaned_data["code"].strip()
        if not text:
            return ""
        code = codes.normalise(text)
        if code is None:
            raise forms.ValidationError(
                _("That is not a case code. A code has ten letters and digits, like 7X3-QM9P-DK4.")
            )
        return code

    def clean_user(self):
        # Only a username of her organisation is searched for, shown again or kept in the trail.
        username = self.cleaned_data["user"].strip()
        people = get_user_model().objects.filter(username=username, membership__organisation_id=self.organisation_id)
        if self.only is not None:
            people = people.filter(username=self.only)
        if username and not people.exists():
            raise forms.ValidationError(_("No one in your organisation has this username."))
        return username

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self):
        """The filters given, as keyword arguments for review.filtered()."""
        return {name: self.cleaned_data[name] for name in FILTERS if self.cleaned_data.get(name)}

    def described(self):
        """The filters given, as they are kept in the audit entry of this look at the trail."""
        return {name: str(value) for name, value in self.filters().items()}


class FlagWindowForm(ForgetfulForm):
    days = forms.IntegerField(label=_("Days"), required=False, min_value=1, max_value=MAX_DAYS)

    def days_or_default(self):
        return (self.cleaned_data.get("days") if self.is_valid() else None) or DEFAULT_DAYS


class FlagReviewForm(forms.Form):
    key = forms.CharField(max_length=120, widget=forms.HiddenInput)
    days = forms.IntegerField(required=False, min_value=1, max_value=MAX_DAYS, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you found. Leave names and phone numbers out: the note is kept in the audit trail."),
    )


class WeekForm(ForgetfulForm):
    """Which week the review page shows: any day of it; this week when not given."""

    week = forms.DateField(label=_("Week of"), required=False, widget=_date_input())

    def monday(self):
        return week_start(self.cleaned_data.get("week") or timezone.localdate())


class WeekReviewForm(forms.Form):
    week = forms.DateField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you found. Leave names and phone numbers out: the note is kept in the audit trail."),
    )
