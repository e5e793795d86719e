"""Legal hold: placed and lifted by a supervisor of the case's team, with a reason from a
list, audited; a held case is not erased, by hand or by the retention rules."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.cases.models import Case
from casework.retention import services as retention
from casework.retention.models import ErasedCase, LegalHold
from tests.identity.conftest import current_code
from tests.retention.conftest import erase

pytestmark = pytest.mark.django_db


def hold_url(case):
    return reverse("retention:hold", args=[case.display_code])


def hold(client, case, reason="proceedings"):
    return client.post(hold_url(case), {"reason": reason})


def test_a_supervisor_places_and_lifts_a_hold_and_both_are_audited(client, world, canaried, sign_in):
    sign_in(client, world.supervisor)
    assert client.get(hold_url(canaried.case)).status_code == 200
    assert hold(client, canaried.case).status_code == 302
    assert LegalHold.objects.get(case=canaried.case).reason == "proceedings"
    placed = AuditEntry.objects.get(event="case.hold")
    assert (placed.actor, placed.case_code, placed.additional_data) == (
        world.supervisor,
        canaried.code,
        {"hold": "proceedings"},
    )
    lift = {"code": current_code(world.supervisor)}
    assert client.post(reverse("retention:hold_lift", args=[canaried.case.display_code]), lift).status_code == 302
    assert not LegalHold.objects.exists()
    assert AuditEntry.objects.filter(event="case.hold_lift", actor=world.supervisor).exists()


def test_a_bad_reason_is_a_400_and_holds_nothing(client, world, canaried, sign_in):
    sign_in(client, world.supervisor)
    response = hold(client, canaried.case, reason="because I say so")
    assert response.status_code == 400
    assert not LegalHold.objects.exists()


def test_a_second_hold_is_refused_with_a_message(client, world, canaried, sign_in):
    sign_in(client, world.supervisor)
    hold(client, canaried.case)
    # The page shows the hold; a second post (an old tab) is refused, not doubled.
    response = hold(client, canaried.case, reason="authority")
    assert response.status_code == 400
    assert "already on legal hold" in response.content.decode()
    assert LegalHold.objects.get(case=canaried.case).reason == "proceedings"


@pytest.mark.parametrize("persona, status", [("lead", 403), ("viewer", 404), ("other_supervisor", 404), ("admin", 404)])
def test_only_a_supervisor_of_the_team_holds_a_case(client, world, canaried, sign_in, persona, status):
    sign_in(client, getattr(world, persona))
    assert hold(client, canaried.case).status_code == status
    assert not LegalHold.objects.exists()


def test_a_held_case_cannot_be_erased_and_the_refusal_is_audited(client, world, canaried, sign_in):
    sign_in(client, world.supervisor)
    hold(client, canaried.case)
    response = erase(client, world.supervisor, canaried.case)
    assert response.status_code == 400
    assert "legal hold" in response.content.decode()
    assert Case.objects.filter(code=canaried.code).exists()
    assert not ErasedCase.objects.exists()
    refusal = AuditEntry.objects.get(event="case.erase", outcome="denied")
    assert (refusal.actor, refusal.case_code, refusal.additional_data) == (
        world.supervisor,
        canaried.code,
        {"refused": "held"},
    )


def test_once_the_hold_is_lifted_the_case_can_be_erased(client, world, canaried, sign_in):
    sign_in(client, world.supervisor)
    hold(client, canaried.case)
    client.post(
        reverse("retention:hold_lift", args=[canaried.case.display_code]), {"code": current_code(world.supervisor)}
    )
    assert erase(client, world.supervisor, canaried.case).status_code == 302
    assert not Case.objects.filter(code=canaried.code).exists()


def test_lifting_a_hold_needs_a_fresh_code(client, world, sign_in, monkeypatch):
    retention.hold_place(by=world.supervisor, case=world.case, reason="proceedings")
    sign_in(client, world.supervisor)
    monkeypatch.setattr("casework.retention.views.second_factor_is_fresh", lambda request: False)
    url = reverse("retention:hold_lift", args=[world.case.display_code])
    response = client.post(url)
    assert response.status_code == 400
    assert LegalHold.objects.filter(case=world.case).exists()
    assert AuditEntry.objects.filter(event="case.hold_lift", outcome="denied").exists()
    assert client.post(url, {"code": current_code(world.supervisor)}).status_code == 302
    assert not LegalHold.objects.filter(case=world.case).exists()


def test_a_case_erased_meanwhile_is_a_refusal_not_a_crash(world):
    with pytest.raises(ValidationError, match="erased meanwhile"):
        retention._lock(Case(pk=10**9))
