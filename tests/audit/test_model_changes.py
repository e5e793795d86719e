import json

import pytest
from auditlog.registry import auditlog
from django.apps import apps
from django.core import serializers

from casework.access import services as access
from casework.access.models import Grant
from casework.access.services import grants
from casework.audit.models import AuditEntry
from casework.audit.reasons import reason_of
from tests.factories import make_contact, make_need, make_referral

CANARY_NAME = "CANARY-김영희-王秀英"
CANARY_PHONE = "CANARY+86 139 0000 1111"
# Permission rows are derived state, rewritten from assignments and grants (which are audited).
NOT_AUDITED = {
    "cases.CaseUserObjectPermission",
    "cases.CaseGroupObjectPermission",
    # Keyed digests rebuilt from the identity on every change, which its own entry records.
    "identity.IdentityIndex",
}


def everything_in_the_trail():
    return serializers.serialize("json", AuditEntry.objects.all())


def test_every_model_of_the_case_and_access_apps_is_registered():
    for app in ("cases", "access", "identity"):
        for model in apps.get_app_config(app).get_models():
            if model._meta.label not in NOT_AUDITED:
                assert auditlog.contains(model), model._meta.label


def test_free_text_is_redacted_whole_in_every_change(world):
    contact = make_contact(world.case, world.lead, notes=f"Spoke with {CANARY_NAME}", place=CANARY_PHONE)
    contact.notes = f"Called {CANARY_PHONE}"
    contact.save()
    need = make_need(world.case, world.lead, outcome_notes=CANARY_NAME)
    need.delete()
    make_referral(world.case, world.lead, outcome=CANARY_NAME, external_provider=CANARY_PHONE)
    world.case.summary = CANARY_NAME
    world.case.save()
    trail = everything_in_the_trail()
    assert "CANARY" not in trail
    change = AuditEntry.objects.filter(event="contact.update").latest("pk")
    assert change.changes["notes"] == ["[redacted]", "[redacted]"]


def test_model_changes_carry_the_event_case_code_and_organisation(world):
    contact = make_contact(world.case, world.lead)
    entry = AuditEntry.objects.filter(event="contact.create").latest("pk")
    assert entry.case_code == world.case.code
    assert entry.organisation == world.org
    assert entry.object_pk == str(contact.pk)


def test_it_keeps_a_keyed_hash_of_the_address_never_the_address(client, world, sign_in):
    sign_in(client, world.lead)
    client.get(f"/cases/{world.case.display_code}/", REMOTE_ADDR="203.0.113.77")
    entry = AuditEntry.objects.filter(event="case.view").latest("pk")
    assert len(entry.ip_hash) == 64
    assert "203.0.113.77" not in everything_in_the_trail()
    assert entry.remote_addr is None


def test_a_grant_and_its_audit_entry_commit_together(world, monkeypatch):
    def broken_record(**kwargs):
        raise RuntimeError("the audit store is down")

    monkeypatch.setattr(grants, "record", broken_record)
    before = Grant.objects.count()
    with pytest.raises(RuntimeError):
        access.grant_add(by=world.supervisor, case=world.case, user=world.teammate, level="view", reason="Cover")
    assert Grant.objects.count() == before
    assert not world.case.caseuserobjectpermission_set.filter(user=world.teammate).exists()


def test_a_grant_is_an_event_with_its_reason(world):
    access.grant_add(by=world.supervisor, case=world.case, user=world.teammate, level="edit", reason="Night cover")
    entry = AuditEntry.objects.filter(event="grant.add").latest("pk")
    assert (entry.actor, entry.case_code, reason_of(entry)) == (world.supervisor, world.case.code, "Night cover")
    assert json.loads(json.dumps(entry.additional_data))["level"] == "edit"
