"""The free-text guard, for whoever may reveal the identity: notes that quote the case's own
identity stop until pseudonymised or kept on purpose. (For everyone else it is silent:
test_guard_oracle.py.)"""

import inspect

import pytest
from django import forms
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.cases.forms import cases, common, contacts, needs, referrals
from casework.cases.models import Contact
from casework.identity.guard import fields_quoting
from tests.identity.conftest import VALUES

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text",
    [
        "Spoke with 김카나리 at the shelter",
        "Spoke with 김 카나리",
        "KIM KANARI called",
        "kanari kim called",
        "Her alias 金嘉娜丽 is known to the broker",
        "Call back on 010 7391 4826",
        "Call back on +82-10-7391-4826",
        "Reach her at canary_wx_7391",
    ],
)
def test_names_aliases_phones_and_handles_are_found_in_any_spacing(text):
    assert fields_quoting(VALUES, {"notes": text}) == ["notes"]


@pytest.mark.parametrize(
    "text",
    ["Client reports she is safe", "Called the shelter on 010 2222 3333", "Kim from the clinic called", ""],
)
def test_ordinary_notes_pass(text):
    assert fields_quoting(VALUES, {"notes": text}) == []


def post_contact(client, case, notes, **extra):
    data = {"occurred_at": "2026-01-05T10:00", "channel": "phone", "purpose": "check_in", "notes": notes, **extra}
    return client.post(reverse("cases:contact_new", args=[case.display_code]), data)


def test_a_contact_note_quoting_her_name_is_stopped_and_nothing_saved(client, world, identity, sign_in):
    sign_in(client, world.lead)
    response = post_contact(client, world.case, "Met 김 카나리 near the station")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Keep it as written" in body
    assert not Contact.objects.filter(case=world.case).exists()
    assert not AuditEntry.objects.filter(event="identity.kept_in_text").exists()
    # She may reveal the name, so she is told; the hit is recorded all the same.
    hit = AuditEntry.objects.get(event="identity.in_text")
    assert hit.additional_data == {"fields": ["notes"], "form": "ContactForm", "told": True}


def test_keeping_it_deliberately_saves_and_records_which_field_not_what(client, world, identity, sign_in):
    sign_in(client, world.lead)
    response = post_contact(client, world.case, "Met 김 카나리 near the station", keep_as_written="on")
    assert response.status_code == 302
    assert Contact.objects.filter(case=world.case).count() == 1
    entry = AuditEntry.objects.get(event="identity.kept_in_text")
    assert (entry.actor, entry.case_code) == (world.lead, world.case.code)
    assert entry.additional_data == {"fields": ["notes"], "form": "ContactForm"}
    assert "카나리" not in str(AuditEntry.objects.values_list("changes", "additional_data", "reason"))


def test_a_pseudonymised_note_saves_without_asking(client, world, identity, sign_in):
    sign_in(client, world.lead)
    assert post_contact(client, world.case, "Met the client near the station").status_code == 302


def test_the_guard_uses_this_case_s_identity_only(client, world, identity, sign_in):
    sign_in(client, world.other_team_worker)
    assert post_contact(client, world.other_case, "Met 김카나리").status_code == 302


def test_a_reason_that_goes_to_the_audit_trail_can_never_be_kept(client, world, identity, sign_in):
    sign_in(client, world.supervisor)
    url = reverse("cases:close", args=[world.case.display_code])
    data = {"version": world.case.version, "reason": "Kim Kanari moved abroad", "keep_as_written": "on"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Keep it as written" not in response.content.decode()
    world.case.refresh_from_db()
    assert world.case.status != "closed"
    assert not AuditEntry.objects.filter(reason__icontains="kanari").exists()


NOT_ABOUT_A_CASE = {"CaseFindForm"}  # a case code, checked as one


def case_forms():
    for module in (cases, common, contacts, needs, referrals):
        for cls in vars(module).values():
            is_form = inspect.isclass(cls) and issubclass(cls, forms.BaseForm)
            if is_form and cls.__module__ == module.__name__ and cls.__name__ not in NOT_ABOUT_A_CASE:
                yield cls


def test_every_form_with_free_text_about_a_case_is_guarded():
    """A new free-text field on a case form must be declared, or this fails."""
    checked = 0
    for form_class in case_forms():
        free_text = {name for name, field in form_class.base_fields.items() if type(field) is forms.CharField}
        guarded = set(getattr(form_class, "identity_guarded", ()))
        assert free_text <= guarded, f"{form_class.__name__} leaves {sorted(free_text - guarded)} unguarded"
        checked += bool(free_text)
    assert checked >= 8
