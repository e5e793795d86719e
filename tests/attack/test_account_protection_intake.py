"""Whoever stands over her clicks "New case": under duress (frozen, travelling) the form is
the one an ordinary empty account gets, and sending it gets the answer any account gets when
the database does not answer. Nothing is written but the refusal (for her supervisors), and
no duplicate is looked for: the form cannot be used to test whether a survivor is known."""

import datetime

from django.urls import reverse
from django.utils import timezone

from casework.accounts import protection
from casework.audit.models import AuditEntry
from casework.cases.models import Case
from tests.accounts.test_safety import DURESS_PASSWORD, same_shape, through_pages
from tests.cases.test_journey import INTAKE
from tests.factories import make_caseworker
from tests.identity.conftest import VALUES


def _data(world):
    started = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    return {**INTAKE, "team": world.team_a.pk, "stage": "hiding", "region": "CN-LN", "started_on": started}


def test_the_intake_form_under_duress_is_an_empty_accounts_and_saves_nothing(world):
    protection.duress_password_set(user=world.lead, password=DURESS_PASSWORD)
    baseline, _steps = through_pages(make_caseworker(world.org, world.team_a, username="emptyacc"))
    duress, _steps = through_pages(world.lead, password=DURESS_PASSWORD)
    same_shape(duress.get(reverse("cases:new")), baseline.get(reverse("cases:new")))
    cases, before = Case.objects.count(), AuditEntry.objects.latest("seq").seq
    identity = {f"identity-{name}": value for name, value in VALUES.items() if name == "given_name"}
    response = duress.post(reverse("cases:new"), {**_data(world), **identity})
    assert response.status_code == 503 and response["Retry-After"]
    outage = "temporarily" in response.content.decode().lower() or "moment" in response.content.decode().lower()
    assert outage, response.content.decode()[:500]
    assert Case.objects.count() == cases  # nothing written
    written = list(AuditEntry.objects.filter(seq__gt=before).values_list("event", "outcome", "actor"))
    assert written == [("account.change_refused", "denied", world.lead.pk)]  # the refusal, for her supervisors
    # The comparison can fail: the same form from the empty account opens a case.
    assert baseline.post(reverse("cases:new"), _data(world)).status_code == 302
    assert Case.objects.count() == cases + 1


def test_a_frozen_or_travelling_account_writes_nothing_through_the_form_either(world):
    protection.travel_start(by=world.lead, user=world.lead, until=timezone.localdate())
    client, _steps = through_pages(world.lead)
    cases = Case.objects.count()
    assert client.get(reverse("cases:new")).status_code == 200
    assert client.post(reverse("cases:new"), _data(world)).status_code == 503
    assert Case.objects.count() == cases
