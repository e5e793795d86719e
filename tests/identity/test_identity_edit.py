"""/cases/<code>/identity/edit/ and the identity section of intake."""

import datetime

import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.cases.models import Case
from casework.identity.models import Identity
from tests.identity.conftest import VALUES, mark_fresh
from tests.signing import sign_in

pytestmark = pytest.mark.django_db


def url(case):
    return reverse("cases:identity_edit", args=[case.display_code])


def sign_in_fresh(client, user):
    """Signed in, with a code proved a moment ago: identity writes need one."""
    sign_in(client, user)
    mark_fresh(client)


def stored(case):
    return Identity.objects.get(case=case).read()


def test_a_plain_get_never_fills_in_the_record(client, world, identity):
    sign_in_fresh(client, world.lead)
    body = client.get(url(world.case)).content.decode()
    for value in [VALUES["legal_name"], VALUES["phones"][0], VALUES["notes"], "1998-03-14"]:
        assert value not in body
    assert body.count('autocomplete="off"') >= 11


def test_a_typed_value_replaces_an_empty_one_keeps_and_erase_removes(client, world, identity):
    sign_in_fresh(client, world.lead)
    data = {"version": identity.version, "phones": "010 5555 0000\n+86 138 0000 1111", "erase": ["notes"]}
    response = client.post(url(world.case), data)
    assert response.status_code == 302
    values = stored(world.case)
    assert values["phones"] == ["010 5555 0000", "+86 138 0000 1111"]
    assert values["legal_name"] == VALUES["legal_name"]
    assert values["notes"] == ""


def test_typing_and_erasing_the_same_field_is_refused(client, world, identity):
    sign_in_fresh(client, world.lead)
    response = client.post(url(world.case), {"version": identity.version, "notes": "new", "erase": ["notes"]})
    assert response.status_code == 400
    assert stored(world.case)["notes"] == VALUES["notes"]


def test_nothing_to_save_is_a_clear_400(client, world, identity):
    sign_in_fresh(client, world.lead)
    response = client.post(url(world.case), {"version": identity.version})
    assert response.status_code == 400
    assert "nothing was changed" in response.content.decode()


def test_a_birth_date_in_the_future_is_refused(client, world, identity):
    sign_in_fresh(client, world.lead)
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    response = client.post(url(world.case), {"version": identity.version, "date_of_birth": tomorrow.isoformat()})
    assert response.status_code == 400
    assert stored(world.case)["date_of_birth"] == VALUES["date_of_birth"]


def test_a_save_over_a_newer_version_is_a_conflict_that_shows_no_values(client, world, identity):
    sign_in_fresh(client, world.lead)
    client.post(url(world.case), {"version": identity.version, "notes": "first edit"})
    response = client.post(url(world.case), {"version": identity.version, "legal_name": "Second Editor"})
    body = response.content.decode()
    assert response.status_code == 409
    assert "first edit" not in body and VALUES["legal_name"] not in body
    assert stored(world.case)["legal_name"] == VALUES["legal_name"]
    again = client.post(url(world.case), {"version": identity.version + 1, "legal_name": "Second Editor"})
    assert again.status_code == 302
    assert stored(world.case)["legal_name"] == "Second Editor"


def test_the_change_is_audited_without_values(client, world, identity):
    sign_in_fresh(client, world.lead)
    client.post(url(world.case), {"version": identity.version, "legal_name": "Park Changed"})
    entry = AuditEntry.objects.filter(event="identity.update").get()
    assert entry.case_code == world.case.code
    assert entry.changes["legal_name"] == ["[redacted]", "[redacted]"]
    assert "Park" not in str(entry.changes) and "cw2:" not in str(entry.changes)


@pytest.mark.parametrize(("persona", "status"), [("coworker", 403), ("viewer", 403), ("outsider", 404), ("admin", 404)])
def test_editing_needs_the_reveal_permission(client, world, identity, persona, status):
    sign_in(client, getattr(world, persona))
    assert client.get(url(world.case)).status_code == status
    assert client.post(url(world.case), {"version": identity.version, "legal_name": "X Y"}).status_code == status
    assert stored(world.case)["legal_name"] == VALUES["legal_name"]


def intake(client, **extra):
    data = {
        "team": "",
        "status": "open",
        "risk_level": "medium",
        "age_band": "unknown",
        "gender": "female",
        "nationality": "KP",
        "region": "unknown",
        "intake_source": "other",
        **extra,
    }
    return client.post(reverse("cases:new"), data)


def test_intake_stores_the_optional_identity_encrypted(client, world):
    sign_in_fresh(client, world.lead)
    response = intake(
        client, team=world.team_a.pk, **{"identity-legal_name": "박새롬", "identity-phones": "010 1111 2222"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.latest("created_at")
    assert stored(case)["legal_name"] == "박새롬"
    assert "박새롬" not in Identity.objects.get(case=case).legal_name


def test_intake_without_identity_stores_none(client, world):
    sign_in_fresh(client, world.lead)
    assert intake(client, team=world.team_a.pk).status_code == 302
    assert not Identity.objects.filter(case=Case.objects.latest("created_at")).exists()


def test_intake_refuses_a_summary_quoting_the_typed_name_until_kept_deliberately(client, world):
    sign_in_fresh(client, world.lead)
    fields = {"team": world.team_a.pk, "identity-legal_name": "박새롬", "summary": "박 새롬 met at the border"}
    refused = intake(client, **fields)
    assert refused.status_code == 400
    assert "Keep it as written" in refused.content.decode()
    assert Case.objects.count() == 2  # the world's two cases, nothing new
    kept = intake(client, **fields, keep_as_written="on")
    assert kept.status_code == 302
    entry = AuditEntry.objects.get(event="identity.kept_in_text")
    assert entry.additional_data["fields"] == ["summary"]
    assert "새롬" not in str(entry.additional_data)
