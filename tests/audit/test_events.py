"""Each act the audit trail must answer for writes exactly one entry, with the right actor,
event, case, outcome and reason, and never an identity value, a raw address or a session key."""

import datetime
import json

import pytest
from django.core import serializers
from django.urls import reverse
from django.utils import timezone

from casework.access import services as access
from casework.accounts.services import second_factor_reset
from casework.audit.models import AuditEntry
from casework.audit.reasons import reason_of
from casework.identity import services as identity
from tests.identity.conftest import current_code

ADDRESS = "203.0.113.77"
CANARIES = {"legal_name": "CANARY-이름-姓名", "phones": ["+82 10-5550-7777"]}


def only(event, **filters):
    """The one entry of ``event`` (``get`` fails on none and on two)."""
    return AuditEntry.objects.get(event=event, **filters)


@pytest.fixture
def signed_in(client, world, sign_in):
    def signed_in_as(user):
        sign_in(client, user)
        client.defaults["REMOTE_ADDR"] = ADDRESS
        return client

    return signed_in_as


def test_a_case_page_and_a_child_page_are_each_one_view(signed_in, world):
    from tests.factories import make_contact

    contact = make_contact(world.case, world.lead)
    client = signed_in(world.lead)
    client.get(reverse("cases:detail", args=[world.case.display_code]))
    client.get(reverse("cases:contact", args=[world.case.display_code, contact.uid]))
    views = AuditEntry.objects.filter(event="case.view").order_by("seq")
    assert [(e.actor, e.case_code, e.outcome) for e in views] == [(world.lead, world.case.code, "ok")] * 2
    assert [e.additional_data["page"] for e in views] == ["case_detail", "contact_detail"]
    assert views[0].organisation_id == world.org.pk


def test_the_case_list_names_the_codes_it_showed(signed_in, world):
    signed_in(world.lead).get(reverse("cases:list"))
    entry = only("case.list")
    assert entry.additional_data["codes"] == [world.case.code]
    assert (entry.actor, entry.organisation_id) == (world.lead, world.org.pk)


def test_a_404_and_a_403_on_a_case_are_denials(signed_in, world):
    signed_in(world.outsider).get(reverse("cases:detail", args=[world.case.display_code]))
    entry = only("case.view", outcome="denied")
    assert (entry.actor, entry.case_code) == (world.outsider, world.case.code)
    signed_in(world.viewer).get(reverse("cases:edit", args=[world.case.display_code]))
    entry = only("case.change", outcome="denied")
    assert (entry.actor, entry.case_code) == (world.viewer, world.case.code)


def test_a_reveal_records_fields_purpose_and_reason(signed_in, world):
    identity.identity_save(by=world.lead, case=world.case, values=CANARIES)
    client = signed_in(world.lead)
    ask = {"purpose": "safety", "reason": "Safety plan", "fields": ["phones"], "code": current_code(world.lead)}
    client.post(reverse("cases:identity", args=[world.case.display_code]), ask)
    entry = only("identity.reveal")
    assert (entry.actor, entry.case_code, entry.outcome, reason_of(entry)) == (
        world.lead,
        world.case.code,
        "ok",
        "Safety plan",
    )
    assert entry.additional_data == {"fields": ["phones"], "purpose": "safety"}


def test_an_export_records_its_reason(signed_in, world):
    signed_in(world.supervisor).post(reverse("cases:export"), {"reason": "Quarterly report"})
    entry = only("export.csv")
    assert (entry.actor, reason_of(entry), entry.organisation_id) == (
        world.supervisor,
        "Quarterly report",
        world.org.pk,
    )


def test_a_refused_sign_in_is_recorded_without_what_was_typed(client, world):
    client.post(reverse("login"), {"username": "lead", "password": "not-the-password"}, REMOTE_ADDR=ADDRESS)
    entry = only("login.failed")
    assert (entry.actor, entry.outcome, entry.organisation_id) == (world.lead, "denied", world.org.pk)
    assert "not-the-password" not in json.dumps(serializers.serialize("python", [entry]), default=str)


def test_assignment_grant_and_revocation_carry_reason_and_expiry(world):
    access.case_assign(by=world.supervisor, case=world.case, user=world.teammate, reason="Cover for leave")
    entry = only("case.assign", additional_data__user="teammate")
    assert (entry.actor, entry.case_code, reason_of(entry)) == (world.supervisor, world.case.code, "Cover for leave")
    assert entry.additional_data["user"] == "teammate"
    until = timezone.now() + datetime.timedelta(days=3)
    grant = access.grant_add(
        by=world.supervisor,
        case=world.case,
        user=world.other_team_worker,
        level="view",
        reason="Interpreting",
        expires=until,
    )
    entry = only("grant.add", additional_data__user="other_team_worker")
    assert (reason_of(entry), entry.additional_data["level"]) == ("Interpreting", "view")
    assert entry.additional_data["expires"] == until.isoformat()
    access.grant_remove(by=world.supervisor, grant=grant, reason="Done")
    entry = only("grant.remove")
    assert (entry.actor, entry.case_code, reason_of(entry)) == (world.supervisor, world.case.code, "Done")


def test_team_changes_deactivation_and_second_factor_reset(world):
    membership = world.teammate.membership
    access.membership_set_teams(by=world.admin, membership=membership, teams=[world.team_b])
    entry = only("membership.teams")
    assert (entry.actor, entry.organisation_id) == (world.admin, world.org.pk)
    access.membership_deactivate(by=world.admin, membership=membership, reason="Left the organisation")
    entry = only("membership.deactivate", object_pk=str(world.teammate.pk))
    assert (entry.actor, reason_of(entry)) == (world.admin, "Left the organisation")
    second_factor_reset(by=world.admin, user=world.coworker, reason="Lost phone")
    entry = only("otp.reset")
    assert (entry.actor, reason_of(entry), entry.organisation_id) == (world.admin, "Lost phone", world.org.pk)


def test_model_changes_come_from_the_registry_scoped_to_the_case(world):
    from tests.factories import make_need

    make_need(world.case, world.lead)
    entry = only("supportneed.create")
    assert (entry.case_code, entry.organisation_id) == (world.case.code, world.org.pk)


def test_no_entry_ever_holds_an_identity_value_a_raw_address_or_a_session_key(signed_in, world):
    identity.identity_save(by=world.lead, case=world.case, values=CANARIES)
    client = signed_in(world.lead)
    client.get(reverse("cases:detail", args=[world.case.display_code]))
    client.post(
        reverse("cases:identity", args=[world.case.display_code]),
        {"purpose": "contact", "reason": "Call", "fields": ["legal_name", "phones"], "code": current_code(world.lead)},
    )
    session_key = client.session.session_key
    trail = json.dumps(serializers.serialize("python", AuditEntry.objects.all()), default=str, ensure_ascii=False)
    assert AuditEntry.objects.filter(ip_hash__gt="").exists()  # the address was seen, as a keyed hash
    for forbidden in [CANARIES["legal_name"], "5550-7777", "1055507777", ADDRESS, session_key]:
        assert forbidden not in trail
