"""Contacts: the full form, the quick-add on the case page, edits with their history, and the
case's next follow-up, which always comes from the latest contact."""

from datetime import timedelta

import pytest
from django.core import serializers
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.audit.models import AuditEntry
from casework.cases.models import Case, Contact
from casework.cases.services import contacts as services
from casework.cases.services.cases import case_close
from tests.cases.contract import FormContract, PageContract, snapshot
from tests.cases.test_case_forms import PROFILE
from tests.factories import make_contact


def ago(**delta):
    return timezone.localtime() - timedelta(**delta)


def typed(moment):
    """A datetime as the browser's datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def in_days(n, start=None):
    return (start or timezone.localdate()) + timedelta(days=n)


def contact_data(**overrides):
    return {
        "occurred_at": typed(ago(hours=1)),
        "duration_minutes": "45",
        "channel": "secure_messenger",
        "place": "Jilin province",
        "participants": ["survivor", "caseworker", "interpreter"],
        "purpose": "safety_planning",
        "notes": "Agreed a check-in routine.",
        "safety_concern": "on",
        "follow_up_on": in_days(7).isoformat(),
        **overrides,
    }


def quick_data(**overrides):
    return {
        "occurred_at": typed(ago(minutes=30)),
        "channel": "phone",
        "purpose": "check_in",
        "notes": "Short call; all well.",
        "follow_up_on": in_days(3).isoformat(),
        **overrides,
    }


def the_contact(w):
    """One contact on the case, made on first use and read fresh (its version moves)."""
    if not hasattr(w, "contact"):
        w.contact = make_contact(w.case, w.lead, occurred_at=ago(days=2), notes="First note.")
    w.contact.refresh_from_db()
    return w.contact


def contact_url(w, name="contact"):
    return reverse(f"cases:{name}", args=[w.case.display_code, the_contact(w).uid])


def new_url(w):
    return reverse("cases:contact_new", args=[w.case.display_code])


def case_page(client, w):
    return client.get(reverse("cases:detail", args=[w.case.display_code])).content.decode()


class TestContactDetail(PageContract):
    def url(self, w):
        return contact_url(w)


class TestContactCreate(FormContract):
    max_queries = 35  # each model constraint checked by a query; the contact and the case's follow-up audited

    def url(self, w):
        return new_url(w)

    def valid_data(self, w):
        return contact_data()

    def invalid_data(self, w):
        return contact_data(follow_up_on=in_days(-1).isoformat())

    def assert_saved(self, w, response):
        contact = Contact.objects.get(case=w.case, purpose="safety_planning")
        assert (contact.channel, contact.duration_minutes, contact.place) == ("secure_messenger", 45, "Jilin province")
        assert contact.participants == ["survivor", "caseworker", "interpreter"]
        assert contact.safety_concern and contact.created_by == w.lead
        assert Case.objects.get(pk=w.case.pk).follow_up_on == in_days(7)
        # Back to the case page's timeline, where the saved message shows (tests/cases/test_case_page.py).
        assert response["Location"] == reverse("cases:detail", args=[w.case.display_code]) + "#timeline"


class TestContactQuickAdd(TestContactCreate):
    """The case page's short form posts to the same view with only its few fields."""

    def valid_data(self, w):
        return quick_data()

    def invalid_data(self, w):
        return quick_data(occurred_at=typed(timezone.localtime() + timedelta(days=1)))

    def assert_saved(self, w, response):
        contact = Contact.objects.get(case=w.case)
        assert contact.notes == "Short call; all well."
        assert (contact.channel, contact.purpose, contact.duration_minutes) == ("phone", "check_in", None)
        assert (contact.participants, contact.safety_concern, contact.place) == ([], False, "")
        assert Case.objects.get(pk=w.case.pk).follow_up_on == in_days(3)
        assert response["Location"] == reverse("cases:detail", args=[w.case.display_code]) + "#timeline"


class TestContactEdit(FormContract):
    max_queries = 35

    def url(self, w):
        return contact_url(w, "contact_edit")

    def valid_data(self, w):
        return contact_data(version=the_contact(w).version, occurred_at=typed(ago(days=2)), notes="Corrected note.")

    def invalid_data(self, w):
        return {**self.valid_data(w), "duration_minutes": "0"}

    def assert_saved(self, w, response):
        contact = Contact.objects.get(pk=w.contact.pk)
        assert (contact.notes, contact.channel, contact.version) == ("Corrected note.", "secure_messenger", 2)
        assert response["Location"] == contact_url(w)


def test_someone_with_an_edit_grant_logs_contacts(client, world, sign_in):
    sign_in(client, world.editor)
    assert client.post(new_url(world), contact_data()).status_code == 302
    assert Contact.objects.filter(case=world.case, created_by=world.editor).exists()


TOMORROW = timedelta(days=1)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"occurred_at": "future"}, "occurred_at", "cannot be in the future"),
        ({"occurred_at": "not a time"}, "occurred_at", "Enter a valid date/time"),
        ({"duration_minutes": "0"}, "duration_minutes", "from 1 to 1440"),
        ({"duration_minutes": "2000"}, "duration_minutes", "from 1 to 1440"),
        ({"duration_minutes": "-5"}, "duration_minutes", "from 1 to 1440"),
        ({"follow_up_on": "before"}, "follow_up_on", "must be after the day of the contact"),
        ({"follow_up_on": "same day"}, "follow_up_on", "must be after the day of the contact"),
        ({"channel": "carrier_pigeon"}, "channel", "Select a valid choice"),
        ({"purpose": ""}, "purpose", "This field is required"),
        ({"participants": ["survivor", "her_brother_kim"]}, "participants", "Select a valid choice"),
        ({"notes": "x" * 5001}, "notes", "at most 5000 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message_next_to_the_field(client, world, changes, field, message, sign_in):
    when = ago(days=3)
    relative = {
        "future": typed(timezone.localtime() + TOMORROW),
        "before": in_days(-1, when.date()).isoformat(),
        "same day": when.date().isoformat(),
    }
    data = contact_data(occurred_at=typed(when))
    data.update(
        {key: relative.get(value, value) if isinstance(value, str) else value for key, value in changes.items()}
    )
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post(new_url(world), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert snapshot() == before


def test_the_services_check_permission_and_times_again(world):
    with pytest.raises(PermissionDenied):
        services.contact_add(
            by=world.viewer, case=world.case, occurred_at=ago(hours=1), channel="phone", purpose="other"
        )
    with pytest.raises(Exception, match="follow-up must be after"):
        services.contact_add(
            by=world.lead,
            case=world.case,
            occurred_at=ago(days=1),
            channel="phone",
            purpose="other",
            follow_up_on=in_days(-5),
        )
    assert not Contact.objects.exists()


def test_the_case_page_offers_the_quick_add_only_to_those_who_may_change(client, world, sign_in):
    sign_in(client, world.lead)
    page = case_page(client, world)
    assert f'action="{new_url(world)}"' in page
    for name in ("occurred_at", "channel", "purpose", "notes", "follow_up_on"):
        assert f'name="{name}"' in page, name
    assert 'name="place"' not in page  # the full form has it; the quick one stays short
    sign_in(client, world.viewer)
    assert f'action="{new_url(world)}"' not in case_page(client, world)


def test_a_quick_add_with_a_mistake_shows_the_full_form_with_what_was_typed(client, world, sign_in):
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post(new_url(world), quick_data(notes="Typed with care", follow_up_on=in_days(-2).isoformat()))
    page = response.content.decode()
    assert response.status_code == 400
    assert "must be after the day of the contact" in page
    assert "Typed with care" in page
    assert 'name="duration_minutes"' in page and 'name="place"' in page
    assert snapshot() == before


def test_the_timeline_is_newest_first_and_flags_safety_concerns(client, world, sign_in):
    make_contact(world.case, world.lead, occurred_at=ago(days=5), purpose="assessment")
    make_contact(world.case, world.lead, occurred_at=ago(days=1), purpose="crisis", safety_concern=True)
    make_contact(world.case, world.lead, occurred_at=ago(days=3), purpose="accompaniment")
    sign_in(client, world.lead)
    page = case_page(client, world)
    timeline = page[page.index('class="timeline"') :]
    assert timeline.index("Crisis response") < timeline.index("Accompaniment") < timeline.index("Assessment")
    assert timeline.count("Safety concern") == 1
    assert 'class="safety-concern"' in timeline


class TestFollowUp:
    """Case.follow_up_on is the follow-up the latest contact (by when it happened) set."""

    def test_it_follows_the_latest_contact(self, world):
        add = services.contact_add
        add(by=world.lead, case=world.case, occurred_at=ago(days=1), channel="phone", purpose="check_in",
            follow_up_on=in_days(5))  # fmt: skip
        assert Case.objects.get(pk=world.case.pk).follow_up_on == in_days(5)
        # An older contact logged late does not move it.
        add(by=world.lead, case=world.case, occurred_at=ago(days=4), channel="phone", purpose="check_in",
            follow_up_on=in_days(1))  # fmt: skip
        assert Case.objects.get(pk=world.case.pk).follow_up_on == in_days(5)
        # The latest contact without a follow-up clears it.
        add(by=world.lead, case=world.case, occurred_at=ago(hours=2), channel="phone", purpose="check_in")
        assert Case.objects.get(pk=world.case.pk).follow_up_on is None

    def test_editing_an_older_contact_can_make_it_the_latest(self, world):
        older = make_contact(world.case, world.lead, occurred_at=ago(days=6), follow_up_on=in_days(2))
        services.contact_add(
            by=world.lead, case=world.case, occurred_at=ago(days=2), channel="phone", purpose="other",
            follow_up_on=in_days(9),
        )  # fmt: skip
        assert Case.objects.get(pk=world.case.pk).follow_up_on == in_days(9)
        services.contact_update(by=world.lead, contact=older, version=older.version, follow_up_on=in_days(4))
        assert Case.objects.get(pk=world.case.pk).follow_up_on == in_days(9)  # still not the latest
        services.contact_update(by=world.lead, contact=older, version=older.version, occurred_at=ago(hours=1))
        assert Case.objects.get(pk=world.case.pk).follow_up_on == in_days(4)

    def test_it_never_bumps_the_case_version(self, world):
        version = Case.objects.get(pk=world.case.pk).version
        contact = services.contact_add(
            by=world.lead, case=world.case, occurred_at=ago(hours=1), channel="phone", purpose="other",
            follow_up_on=in_days(3),
        )  # fmt: skip
        services.contact_update(by=world.lead, contact=contact, version=contact.version, follow_up_on=in_days(6))
        case = Case.objects.get(pk=world.case.pk)
        assert (case.follow_up_on, case.version) == (in_days(6), version)

    def test_a_closed_case_has_no_follow_up(self, world):
        case_close(by=world.supervisor, case=world.case, reason="Resettled", version=world.case.version)
        world.case.refresh_from_db()
        services.contact_add(
            by=world.lead, case=world.case, occurred_at=ago(hours=1), channel="phone", purpose="other",
            follow_up_on=in_days(3),
        )  # fmt: skip
        assert Case.objects.get(pk=world.case.pk).follow_up_on is None

    def test_logging_a_contact_does_not_conflict_with_a_profile_edit(self, client, world, sign_in):
        editing, logging = Client(), Client()
        sign_in(editing, world.lead)
        sign_in(logging, world.coworker)
        version = Case.objects.get(pk=world.case.pk).version
        assert logging.post(new_url(world), quick_data()).status_code == 302
        response = editing.post(reverse("cases:edit", args=[world.case.display_code]), {**PROFILE, "version": version})
        assert response.status_code == 302
        case = Case.objects.get(pk=world.case.pk)
        assert (case.risk_level, case.follow_up_on) == ("high", in_days(3))


def test_two_people_editing_the_same_contact_see_a_conflict_and_lose_nothing(world, sign_in):
    contact = make_contact(world.case, world.lead, occurred_at=ago(days=2), notes="First note.")
    url = reverse("cases:contact_edit", args=[world.case.display_code, contact.uid])
    first, second = Client(), Client()
    sign_in(first, world.lead)
    sign_in(second, world.coworker)
    assert first.get(url).status_code == second.get(url).status_code == 200
    when = typed(contact.occurred_at)
    assert first.post(url, contact_data(version=1, occurred_at=when, channel="in_person")).status_code == 302
    theirs = contact_data(version=1, occurred_at=when, notes="Second editor's careful account.")
    response = second.post(url, theirs)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Second editor&#x27;s careful account." in page  # what she typed is still in the form
    assert "In person" in page  # and she sees what the other saved
    assert 'name="version" value="2"' in page
    saved = Contact.objects.get(pk=contact.pk)
    assert (saved.channel, saved.notes, saved.version) == ("in_person", "Agreed a check-in routine.", 2)
    assert second.post(url, {**theirs, "version": 2}).status_code == 302
    assert Contact.objects.get(pk=contact.pk).notes == "Second editor's careful account."


def test_the_history_names_changed_fields_and_never_shows_free_text(client, world, sign_in):
    sign_in(client, world.lead)
    first = contact_data(notes="CANARY-OLD-NOTE-66 she asked us not to call", place="CANARY-PLACE-55")
    assert client.post(new_url(world), first).status_code == 302
    contact = Contact.objects.get(case=world.case)
    edit_url = reverse("cases:contact_edit", args=[world.case.display_code, contact.uid])
    second = {**first, "version": 1, "occurred_at": typed(contact.occurred_at), "duration_minutes": "60"}
    second.update(notes="CANARY-NOTE-77 call only on Tuesdays", place="Jilin province")
    sign_in(client, world.coworker)
    assert client.post(edit_url, second).status_code == 302

    page = client.get(reverse("cases:contact", args=[world.case.display_code, contact.uid])).content.decode()
    history = page[page.index('id="history"') :]
    notes = page[page.index('id="notes-heading"') : page.index('id="history"')]
    assert page.count("CANARY-NOTE-77") == 1 and "CANARY-NOTE-77" in notes  # the current note, once
    assert "CANARY-OLD-NOTE-66" not in page and "CANARY-PLACE-55" not in page
    assert "CANARY" not in history
    assert "coworker" in history and "lead" in history
    assert "changed: Duration (minutes), Place, Notes" in history
    assert "recorded the contact" in history
    trail = serializers.serialize("json", AuditEntry.objects.all())
    assert "CANARY" not in trail
    change = AuditEntry.objects.filter(event="contact.update").get()
    assert change.changes["notes"] == ["[redacted]", "[redacted]"]


def test_an_untouched_time_is_not_recorded_as_a_change(world, client, sign_in):
    contact = make_contact(world.case, world.lead, occurred_at=ago(days=1))  # with seconds, as the seeder writes
    sign_in(client, world.lead)
    url = reverse("cases:contact_edit", args=[world.case.display_code, contact.uid])
    data = contact_data(version=1, occurred_at=typed(contact.occurred_at), channel="phone", purpose="check_in")
    assert client.post(url, data).status_code == 302
    assert Contact.objects.get(pk=contact.pk).occurred_at == contact.occurred_at
    assert "occurred_at" not in AuditEntry.objects.filter(event="contact.update").get().changes
