"""/cases/<code>/identity/: permission, a purpose, a fresh second factor; one audit event, no values in it."""

import json

import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.audit.reasons import reason_of
from casework.identity import crypto
from tests.identity.conftest import VALUES, current_code, mark_fresh
from tests.signing import sign_in

pytestmark = pytest.mark.django_db

ASK = {"purpose": "contact", "reason": "Arranging a housing visit", "fields": ["legal_name", "phones"]}


def url(case):
    return reverse("cases:identity", args=[case.display_code])


def reveals():
    return AuditEntry.objects.filter(event="identity.reveal")


def signed_in(client, user, fresh=False):
    sign_in(client, user)
    if fresh:
        mark_fresh(client)
    return client


def test_the_form_asks_for_a_code_when_the_last_one_is_stale(client, world, identity):
    response = signed_in(client, world.lead).get(url(world.case))
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()
    assert VALUES["legal_name"] not in response.content.decode()


def test_it_shows_the_chosen_fields_only_after_purpose_and_code(client, world, identity):
    signed_in(client, world.lead)
    response = client.post(url(world.case), {**ASK, "code": current_code(world.lead)})
    body = response.content.decode()
    assert response.status_code == 200
    assert VALUES["legal_name"] in body and VALUES["phones"][0] in body
    assert VALUES["other_names"][0] not in body and VALUES["notes"] not in body
    assert response["Cache-Control"] == "no-store"


def test_a_reveal_writes_exactly_one_event_with_field_names_and_no_values(client, world, identity):
    signed_in(client, world.lead)
    client.post(url(world.case), {**ASK, "code": current_code(world.lead)})
    (entry,) = reveals()
    assert (entry.actor, entry.case_code, entry.outcome) == (world.lead, world.case.code, "ok")
    assert reason_of(entry) == ASK["reason"]
    assert entry.additional_data == {"fields": ["legal_name", "phones"], "purpose": "contact"}
    stored = json.dumps([entry.changes, entry.additional_data, entry.object_repr, entry.reason], ensure_ascii=False)
    for value in [VALUES["legal_name"], VALUES["phones"][0], "7391"]:
        assert value not in stored


def test_within_five_minutes_no_new_code_is_asked(client, world, identity):
    signed_in(client, world.lead, fresh=True)
    assert 'name="code"' not in client.get(url(world.case)).content.decode()
    response = client.post(url(world.case), ASK)
    assert response.status_code == 200
    assert VALUES["legal_name"] in response.content.decode()


def test_after_five_minutes_the_code_is_asked_again(client, world, identity, settings):
    signed_in(client, world.lead)
    mark_fresh(client, seconds_ago=settings.STEP_UP_SECONDS + 1)
    response = client.post(url(world.case), ASK)
    assert response.status_code == 400
    assert VALUES["legal_name"] not in response.content.decode()
    assert not reveals().exists()


def test_a_wrong_code_is_refused_and_recorded(client, world, identity):
    signed_in(client, world.lead)
    wrong = str((int(current_code(world.lead)) + 1) % 1_000_000).zfill(6)
    response = client.post(url(world.case), {**ASK, "code": wrong})
    assert response.status_code == 400
    assert VALUES["legal_name"] not in response.content.decode()
    (entry,) = reveals()
    assert entry.outcome == "denied"
    assert entry.additional_data["fields"] == ["legal_name", "phones"]


@pytest.mark.parametrize("missing", ["purpose", "reason", "fields"])
def test_purpose_reason_and_fields_are_required(client, world, identity, missing):
    signed_in(client, world.lead, fresh=True)
    response = client.post(url(world.case), {k: v for k, v in ASK.items() if k != missing})
    assert response.status_code == 400
    assert VALUES["legal_name"] not in response.content.decode()
    assert not reveals().exists()


def test_a_reason_that_names_her_is_refused(client, world, identity):
    signed_in(client, world.lead, fresh=True)
    response = client.post(url(world.case), {**ASK, "reason": "Calling kim ka nari's sister"})
    assert response.status_code == 400
    assert not reveals().exists()
    assert not AuditEntry.objects.filter(reason__icontains="nari").exists()
    hit = AuditEntry.objects.get(event="identity.in_text")
    assert hit.additional_data == {"fields": ["reason"], "form": "RevealForm", "told": True}


@pytest.mark.parametrize("persona", ["lead", "revealer", "supervisor", "head"])
def test_who_may_reveal(client, world, identity, persona):
    signed_in(client, getattr(world, persona), fresh=True)
    response = client.post(url(world.case), ASK)
    assert response.status_code == 200
    assert VALUES["legal_name"] in response.content.decode()


@pytest.mark.parametrize("persona", ["coworker", "viewer", "editor"])
def test_who_sees_the_case_but_may_not_reveal_gets_403(client, world, identity, persona):
    signed_in(client, getattr(world, persona), fresh=True)
    for response in [client.get(url(world.case)), client.post(url(world.case), ASK)]:
        assert response.status_code == 403
        assert VALUES["legal_name"] not in response.content.decode()
    assert set(reveals().values_list("outcome", flat=True)) == {"denied"}


@pytest.mark.parametrize("persona", ["teammate", "other_team_worker", "other_supervisor", "outsider", "admin"])
def test_who_cannot_see_the_case_gets_404(client, world, identity, persona):
    signed_in(client, getattr(world, persona), fresh=True)
    response = client.post(url(world.case), ASK)
    assert response.status_code == 404
    assert VALUES["legal_name"] not in response.content.decode()
    assert reveals().get().outcome == "denied"


def test_anonymous_goes_to_sign_in(client, world, identity):
    response = client.get(url(world.case))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_values_that_will_not_decrypt_show_an_error_not_a_value(client, world, identity, settings):
    settings.FIELD_KEYS = [crypto.new_key()]
    signed_in(client, world.lead, fresh=True)
    response = client.post(url(world.case), ASK)
    body = response.content.decode()
    assert response.status_code == 500
    assert "cannot be decrypted" in body
    assert "cw2:" not in body and VALUES["legal_name"] not in body
    assert reveals().get().outcome == "error"


def test_without_an_identity_the_page_says_so(client, world):
    response = signed_in(client, world.lead).get(url(world.case))
    assert response.status_code == 200
    assert "No identity details are on record" in response.content.decode()
