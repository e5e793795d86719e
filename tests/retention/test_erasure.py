"""Erasing a case through its page: a supervisor of its team, a reason from a list, a fresh
code; with the organisation's setting, a different supervisor confirms. One tombstone entry,
a content-free stub, the case's key destroyed after the commit, the code never issued again."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from casework.access import services as access
from casework.audit.models import AuditEntry
from casework.cases import codes
from casework.cases.models import Case, Contact, Referral, ReferralStep, SupportNeed
from casework.identity.models import Identity
from casework.keystore import services as keystore
from casework.retention import services as retention
from casework.retention.models import ErasedCase, ErasureRequest
from casework.retention.services import add_months, month_of
from tests.factories import make_case
from tests.identity.conftest import current_code
from tests.retention.conftest import confirm, erase, erase_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def destroyed(monkeypatch):
    """The cases whose key the key store was told to destroy."""
    told = []
    monkeypatch.setattr(keystore, "destroy_case_key", lambda case: told.append(case.code))
    return told


def second_supervisor_needed(world):
    settings = {"months_after_closure": None, "months_without_contact": None, "warning_days": 30}
    retention.rules_save(by=world.head, organisation=world.org, version=1, second_supervisor=True, **settings)


def test_a_supervisor_erases_a_case_with_a_reason_and_a_fresh_code(
    client, world, canaried, sign_in, destroyed, django_capture_on_commit_callbacks
):
    sign_in(client, world.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = erase(client, world.supervisor, canaried.case)
    assert response.status_code == 302
    assert not Case.objects.filter(code=canaried.code).exists()
    for model in (Contact, SupportNeed, Referral, Identity):
        assert not model.objects.filter(case_id=canaried.case.pk).exists()
    assert not ReferralStep.objects.filter(referral_id=canaried.referral.pk).exists()
    assert destroyed == [canaried.code]


def test_the_stub_keeps_months_status_and_needs_met_only(client, world, canaried, sign_in):
    sign_in(client, world.supervisor)
    erase(client, world.supervisor, canaried.case, reason="safety")
    stub = ErasedCase.objects.get(code=canaried.code)
    assert stub.organisation_id == world.org.pk
    assert stub.opened_month == canaried.case.opened_on.replace(day=1)
    assert stub.closed_month is None and stub.status_reached == "open"
    assert stub.needs_met == ["medical"]
    assert stub.erased_month.day == 1
    names = {field.name for field in ErasedCase._meta.fields}
    assert names == {
        "id",
        "organisation",
        "code",
        "opened_month",
        "closed_month",
        "status_reached",
        "needs_met",
        "erased_month",
        "key_ref",  # a random reference to its destroyed key: for the nightly sweep, no content
    }
    assert stub.key_ref == canaried.case.key_ref


def test_it_writes_one_tombstone_with_no_content_and_the_chain_verifies(client, world, canaried, sign_in):
    sign_in(client, world.supervisor)
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    erase(client, world.supervisor, canaried.case)
    (tombstone,) = AuditEntry.objects.filter(event="case.erased")
    assert (tombstone.actor, tombstone.case_code, tombstone.outcome) == (world.supervisor, canaried.code, "ok")
    assert tombstone.additional_data == {"because": "forget_me"}
    assert tombstone.reason == "" and not tombstone.changes
    # No entry per deleted row: the tombstone, and the step-up's own entries at most.
    new = list(AuditEntry.objects.filter(seq__gt=before).values_list("event", flat=True))
    assert "case.erased" in new
    assert [event for event in new if event.endswith(".delete")] == []
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()


def test_a_wrong_code_erases_nothing_and_is_recorded(client, world, canaried, sign_in):
    sign_in(client, world.supervisor)
    response = client.post(erase_url(canaried.case), {"reason": "forget_me", "understood": "on", "code": "000000"})
    assert response.status_code == 400
    assert Case.objects.filter(code=canaried.code).exists()
    assert AuditEntry.objects.filter(event="case.erase", outcome="denied", case_code=canaried.code).exists()


@pytest.mark.parametrize(
    "data", [{"understood": "on"}, {"reason": "forget_me"}, {"reason": "because", "understood": "on"}]
)
def test_bad_input_is_a_400_and_changes_nothing(client, world, canaried, sign_in, data):
    sign_in(client, world.supervisor)
    response = client.post(erase_url(canaried.case), {**data, "code": current_code(world.supervisor)})
    assert response.status_code == 400
    assert Case.objects.filter(code=canaried.code).exists()
    assert not ErasedCase.objects.exists()


@pytest.mark.parametrize("persona", ["lead", "coworker", "editor", "revealer"])
def test_who_sees_the_case_but_does_not_supervise_it_is_refused(client, world, canaried, sign_in, persona):
    user = getattr(world, persona)
    sign_in(client, user)
    expected = 403 if Case.objects.restrict(user, "view").filter(pk=canaried.case.pk).exists() else 404
    assert client.get(erase_url(canaried.case)).status_code == expected
    assert erase(client, user, canaried.case).status_code == expected
    assert Case.objects.filter(code=canaried.code).exists()


@pytest.mark.parametrize("persona", ["other_supervisor", "admin", "outsider"])
def test_who_may_not_see_the_case_gets_404(client, world, canaried, sign_in, persona):
    user = getattr(world, persona)
    sign_in(client, user)
    assert erase(client, user, canaried.case).status_code == 404
    assert Case.objects.filter(code=canaried.code).exists()


def test_with_the_setting_a_different_supervisor_confirms(
    client, world, canaried, sign_in, destroyed, django_capture_on_commit_callbacks
):
    second_supervisor_needed(world)
    sign_in(client, world.supervisor)
    assert erase(client, world.supervisor, canaried.case).status_code == 302
    assert Case.objects.filter(code=canaried.code).exists()
    assert ErasureRequest.objects.filter(case=canaried.case, reason="forget_me").exists()
    # The one who asked cannot confirm her own request.
    assert confirm(client, world.supervisor, canaried.case).status_code == 400
    assert Case.objects.filter(code=canaried.code).exists()
    # It waits on the home page of the team's supervisors.
    other = sign_in(type(client)(), world.head)
    assert canaried.case.display_code in other.get(reverse("home")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert confirm(other, world.head, canaried.case).status_code == 302
    assert not Case.objects.filter(code=canaried.code).exists()
    (tombstone,) = AuditEntry.objects.filter(event="case.erased")
    assert tombstone.actor == world.supervisor
    assert tombstone.additional_data == {"because": "forget_me", "confirmed_by": "head"}
    assert destroyed == [canaried.code]


def test_a_form_shown_before_a_colleague_asked_is_not_taken_as_her_confirmation(
    client, world, canaried, sign_in, destroyed
):
    second_supervisor_needed(world)
    head = sign_in(type(client)(), world.head)
    head.get(erase_url(canaried.case))  # the head opens the page while nothing waits ...
    sign_in(client, world.supervisor)
    assert erase(client, world.supervisor, canaried.case).status_code == 302  # ... the supervisor asks ...
    stale = {"reason": "safety", "understood": "on", "code": current_code(world.head), "waiting": ""}
    response = head.post(erase_url(canaried.case), stale)  # ... and the head sends the page she saw
    assert response.status_code == 400
    assert "changed this while you were looking" in response.content.decode()
    assert Case.objects.filter(code=canaried.code).exists() and destroyed == []


def test_either_supervisor_can_cancel_a_waiting_erasure(client, world, canaried, sign_in):
    second_supervisor_needed(world)
    sign_in(client, world.supervisor)
    erase(client, world.supervisor, canaried.case)
    other = sign_in(type(client)(), world.head)
    response = other.post(reverse("retention:erase_cancel", args=[canaried.case.display_code]))
    assert response.status_code == 302
    assert not ErasureRequest.objects.exists()
    assert AuditEntry.objects.filter(event="case.erase_cancel", actor=world.head).exists()
    assert confirm(other, world.head, canaried.case).status_code == 400  # nothing waits any more
    assert Case.objects.filter(code=canaried.code).exists()


def test_the_request_holds_no_free_text():
    assert {field.get_internal_type() for field in ErasureRequest._meta.fields} & {"TextField"} == set()


def test_an_erased_code_is_never_issued_again(client, world, canaried, sign_in, monkeypatch):
    sign_in(client, world.supervisor)
    erase(client, world.supervisor, canaried.case)
    fresh = codes.generate()
    drawn = iter([canaried.code, fresh])
    monkeypatch.setattr(codes, "generate", lambda: next(drawn))
    case = make_case(world.lead)
    assert case.code == fresh


def test_dates_of_the_stub_are_months():
    assert month_of(datetime.date(2026, 3, 17)) == datetime.date(2026, 3, 1)
    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 11, 15), 14) == datetime.date(2028, 1, 15)


def test_an_erased_code_named_at_opening_is_refused(client, world, canaried, sign_in):
    sign_in(client, world.supervisor)
    erase(client, world.supervisor, canaried.case)
    with pytest.raises(ValidationError, match="never issued twice"):
        access.case_open(by=world.lead, team=world.team_a, code=canaried.code)
    assert not Case.objects.filter(code=canaried.code).exists()
