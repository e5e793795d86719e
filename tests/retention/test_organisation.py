"""An organisation that leaves: two different supervisors confirm on a page (fresh code,
audited), then the operator's erase_organisation erases every case, switches everyone off,
marks the organisation erased and destroys its keys; with one confirmation it refuses."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from casework.access.models import Membership, Organisation
from casework.audit.models import AuditEntry
from casework.cases.models import Case
from casework.keystore import services as keystore
from casework.retention import services as retention
from casework.retention.models import ErasedCase, OrganisationErasure
from tests.identity.conftest import current_code

pytestmark = pytest.mark.django_db
URL = reverse("retention:organisation")


def confirm(client, user, code=None):
    return client.post(URL, {"understood": "on", "code": code or current_code(user)})


def erase_organisation(slug="org-a"):
    out = io.StringIO()
    call_command("erase_organisation", slug, stdout=out)
    return out.getvalue()


def test_a_supervisor_confirms_with_a_fresh_code_and_it_is_audited(client, world, sign_in):
    sign_in(client, world.supervisor)
    assert client.get(URL).status_code == 200
    assert confirm(client, world.supervisor).status_code == 302
    assert OrganisationErasure.objects.filter(organisation=world.org, confirmed_by=world.supervisor).exists()
    entry = AuditEntry.objects.get(event="organisation.erase_confirm", outcome="ok")
    assert entry.actor == world.supervisor and entry.additional_data == {"confirmations": 1}
    # Once is enough: the same supervisor does not count twice.
    assert confirm(client, world.supervisor).status_code == 400
    assert OrganisationErasure.objects.count() == 1


def test_a_wrong_code_confirms_nothing_and_is_recorded(client, world, sign_in):
    sign_in(client, world.supervisor)
    assert confirm(client, world.supervisor, code="000000").status_code == 400
    assert not OrganisationErasure.objects.exists()
    assert AuditEntry.objects.filter(event="organisation.erase_confirm", outcome="denied").exists()


@pytest.mark.parametrize("persona", ["lead", "admin"])
def test_only_supervisors_confirm(world, sign_in, persona):
    client = sign_in(Client(), getattr(world, persona))
    assert client.get(URL).status_code == 404
    assert confirm(client, getattr(world, persona)).status_code == 404
    assert not OrganisationErasure.objects.exists()


def test_the_command_refuses_with_one_confirmation(world):
    retention.organisation_erasure_confirm(by=world.supervisor, organisation=world.org)
    with pytest.raises(CommandError, match="Two different supervisors"):
        erase_organisation()
    assert Case.objects.filter(organisation=world.org).count() == 2
    assert Organisation.objects.get(pk=world.org.pk).erased_at is None


def test_the_command_refuses_while_a_case_is_held(world):
    retention.organisation_erasure_confirm(by=world.supervisor, organisation=world.org)
    retention.organisation_erasure_confirm(by=world.head, organisation=world.org)
    retention.hold_place(by=world.supervisor, case=world.case, reason="proceedings")
    with pytest.raises(CommandError, match="legal hold"):
        erase_organisation()
    assert Case.objects.filter(organisation=world.org).count() == 2


def test_with_two_confirmations_it_erases_everything_of_the_organisation(
    client, world, sign_in, monkeypatch, django_capture_on_commit_callbacks
):
    told = {"cases": [], "organisations": []}
    monkeypatch.setattr(keystore, "destroy_case_key", lambda case: told["cases"].append(case.code))
    monkeypatch.setattr(keystore, "destroy_organisation_keys", lambda pk: told["organisations"].append(pk))
    codes = sorted([world.case.code, world.other_case.code])
    active = Membership.objects.filter(organisation=world.org, is_active=True).count()
    assert active == 14  # everyone of the world's organisation but the one already deactivated
    signed_in_lead = sign_in(Client(), world.lead)
    for supervisor in (world.supervisor, world.head):
        assert confirm(sign_in(Client(), supervisor), supervisor).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        output = erase_organisation()
    assert output == f"2 case(s) erased, {active} account(s) deactivated.\n"
    assert not Case.objects.filter(organisation=world.org).exists()
    assert sorted(ErasedCase.objects.filter(organisation=world.org).values_list("code", flat=True)) == codes
    tombstones = AuditEntry.objects.filter(event="case.erased")
    assert sorted(tombstones.values_list("case_code", flat=True)) == codes
    assert {entry["because"] for entry in tombstones.values_list("additional_data", flat=True)} == {"organisation"}
    assert not Membership.objects.filter(organisation=world.org, is_active=True).exists()
    assert Membership.objects.get(user=world.outsider).is_active  # another organisation: untouched
    assert Organisation.objects.get(pk=world.org.pk).erased_at is not None
    assert sorted(told["cases"]) == codes and told["organisations"] == [world.org.pk]
    assert AuditEntry.objects.filter(event="organisation.erased", organisation=world.org).exists()
    # Her session ended at the server: her next request is the sign-in page.
    assert signed_in_lead.get(reverse("home")).status_code == 302
    call_command("audit_verify", stdout=io.StringIO())
    # Run again (a crash halfway, a second operator): nothing left to do.
    assert erase_organisation() == "0 case(s) erased, 0 account(s) deactivated.\n"
