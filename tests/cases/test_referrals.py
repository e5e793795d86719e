"""Referrals: their pages and forms through the view contract, consent, and the workflow."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.cases.models import Referral, ReferralStep, SupportNeed
from casework.cases.services.referrals import referral_transition
from tests.cases.contract import FormContract, PageContract, snapshot
from tests.factories import make_need, make_provider, make_referral

TODAY = timezone.localdate()
CONSENT = {
    "consent_given_by": "survivor",
    "consent_given_on": TODAY - timedelta(days=2),
    "consent_method": "written",
    "consent_scope": ["age_band", "needs"],
    "consent_recipient": "The partner clinic",
}


def subject(w, **fields):
    """The referral a test works on: a draft of ``w.case`` to a provider in the directory."""
    if not hasattr(w, "referral"):
        w.provider = make_provider(w.org, name="Partner clinic")
        w.need = make_need(w.case, w.lead, category="medical")
        w.referral = make_referral(w.case, w.lead, provider=w.provider, service_type="medical", **fields)
        w.referral.needs.add(w.need)
    w.referral.refresh_from_db()
    return w.referral


def consented(w, **fields):
    return subject(w, **{**CONSENT, **fields})


def referral_url(w, name="referral", referral=None):
    referral = referral or subject(w)
    return reverse(f"cases:{name}", args=[w.case.display_code, referral.uid])


def send(client, w, referral, **data):
    data = {"version": referral.version, "status": "sent", "on": TODAY, "note": "", **data}
    return client.post(referral_url(w, "referral_status", referral), data)


class TestReferralPage(PageContract):
    def url(self, w):
        return referral_url(w)


class TestReferralCreate(FormContract):
    max_queries = 29  # the referral, its linked needs, their chained audit entries; the guard reads the identity

    def url(self, w):
        subject(w)
        return reverse("cases:referral_new", args=[w.case.display_code])

    def valid_data(self, w):
        return {
            "provider": w.provider.pk,
            "service_type": "legal",
            "needs": [w.need.pk],
            "urgency": "urgent",
            "next_step": "Ask the lawyer for a first meeting",
        }

    def invalid_data(self, w):
        if not hasattr(w, "foreign_provider"):
            w.foreign_provider = make_provider(w.other_org, name="Another organisation's lawyer")
        return {**self.valid_data(w), "provider": w.foreign_provider.pk}

    def assert_saved(self, w, response):
        referral = Referral.objects.get(service_type="legal")
        assert (referral.provider, referral.status, referral.urgency) == (w.provider, "draft", "urgent")
        assert list(referral.needs.all()) == [w.need]
        assert referral.created_by == w.lead
        assert response["Location"] == referral_url(w, referral=referral)


class TestReferralEdit(FormContract):
    max_queries = 32  # Django checks each of the model's check constraints with a query of its own

    def url(self, w):
        return referral_url(w, "referral_edit")

    def valid_data(self, w):
        referral = subject(w)
        return {
            "version": referral.version,
            "provider": "",
            "external_provider": "A legal aid office",
            "service_type": "legal",
            "needs": [],
            "urgency": "high",
            "next_step": "Call back on Monday",
            "data_shared": "",
            "outcome": "",
        }

    def invalid_data(self, w):
        if not hasattr(w, "foreign_need"):
            w.foreign_need = make_need(w.other_case, w.other_team_worker)
        return {**self.valid_data(w), "needs": [w.foreign_need.pk]}

    def assert_saved(self, w, response):
        referral = Referral.objects.get(pk=w.referral.pk)
        assert (referral.provider, referral.external_provider) == (None, "A legal aid office")
        assert (referral.service_type, referral.urgency, referral.version) == ("legal", "high", w.referral.version + 1)
        assert not referral.needs.exists()


class TestReferralConsent(FormContract):
    max_queries = 30  # as above: three consent constraints, a query each

    def url(self, w):
        return referral_url(w, "referral_consent")

    def valid_data(self, w):
        return {
            **CONSENT,
            "version": subject(w).version,
            "consent_method": "verbal_witnessed",
            "consent_witness": "Interpreter",
            "consent_expires_on": TODAY + timedelta(days=90),
        }

    def invalid_data(self, w):
        return {**self.valid_data(w), "consent_witness": " "}

    def assert_saved(self, w, response):
        referral = Referral.objects.get(pk=w.referral.pk)
        assert (referral.consent_method, referral.consent_witness) == ("verbal_witnessed", "Interpreter")
        assert (referral.consent_given_on, referral.consent_recorded_by) == (CONSENT["consent_given_on"], w.lead)
        assert response["Location"] == referral_url(w)


class TestReferralConsentWithdraw(FormContract):
    def url(self, w):
        return referral_url(w, "referral_consent_withdraw", consented(w))

    def valid_data(self, w):
        return {"version": consented(w).version, "consent_withdrawn_on": TODAY}

    def invalid_data(self, w):
        return {**self.valid_data(w), "consent_withdrawn_on": TODAY + timedelta(days=1)}

    def assert_saved(self, w, response):
        assert Referral.objects.get(pk=w.referral.pk).consent_withdrawn_on == TODAY


class TestReferralStatus(FormContract):
    def url(self, w):
        return referral_url(w, "referral_status", consented(w))

    def valid_data(self, w):
        return {"version": consented(w).version, "status": "sent", "on": TODAY, "note": "By secure messenger"}

    def invalid_data(self, w):
        return {**self.valid_data(w), "status": "completed"}

    def assert_saved(self, w, response):
        referral = Referral.objects.get(pk=w.referral.pk)
        assert (referral.status, referral.sent_on) == ("sent", TODAY)
        step = referral.steps.get()
        assert (step.status, step.on, step.by, step.note) == ("sent", TODAY, w.lead, "By secure messenger")


# The consent gate --------------------------------------------------------------------------


def test_a_referral_cannot_be_sent_without_consent(client, world, sign_in):
    referral = subject(world)
    sign_in(client, world.lead)
    before = snapshot()
    response = send(client, world, referral)
    assert response.status_code == 400
    assert "Record her consent before sending" in response.content.decode()
    assert snapshot() == before


def test_a_referral_cannot_be_sent_after_consent_was_withdrawn(client, world, sign_in):
    referral = consented(world)
    sign_in(client, world.lead)
    withdraw = {"version": referral.version, "consent_withdrawn_on": TODAY}
    assert client.post(referral_url(world, "referral_consent_withdraw"), withdraw).status_code == 302
    referral.refresh_from_db()
    before = snapshot()
    response = send(client, world, referral)
    assert response.status_code == 400
    assert "Consent was withdrawn" in response.content.decode()
    assert snapshot() == before


def test_a_referral_cannot_be_sent_after_consent_expired(client, world, sign_in):
    referral = consented(world, consent_expires_on=TODAY - timedelta(days=1))
    sign_in(client, world.lead)
    before = snapshot()
    response = send(client, world, referral)
    assert response.status_code == 400
    assert "The consent expired on" in response.content.decode()
    assert snapshot() == before


def test_new_consent_after_a_withdrawal_lets_the_referral_go(client, world, sign_in):
    referral = consented(world, consent_withdrawn_on=TODAY)
    sign_in(client, world.lead)
    data = {**CONSENT, "version": referral.version, "consent_given_on": TODAY}
    assert client.post(referral_url(world, "referral_consent"), data).status_code == 302
    referral.refresh_from_db()
    assert referral.consent_withdrawn_on is None
    assert send(client, world, referral).status_code == 302


def test_consent_cannot_be_rewritten_once_the_referral_is_sent(client, world, sign_in):
    referral = consented(world, status="sent", sent_on=TODAY)
    sign_in(client, world.lead)
    before = snapshot()
    data = {**CONSENT, "version": referral.version, "consent_scope": ["age_band", "needs", "risk"]}
    response = client.post(referral_url(world, "referral_consent"), data)
    assert response.status_code == 400
    assert "only before the referral is sent" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("consent_given_on", TODAY + timedelta(days=1), "cannot be given in the future"),
        ("consent_expires_on", TODAY - timedelta(days=5), "until the day it was given or later"),
        ("consent_scope", [], "This field is required"),
    ],
)
def test_consent_is_checked_field_by_field(client, world, field, value, message, sign_in):
    referral = subject(world)
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post(
        referral_url(world, "referral_consent"), {**CONSENT, "version": referral.version, field: value}
    )
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert message in response.content.decode()
    assert snapshot() == before


# The workflow ------------------------------------------------------------------------------


def test_each_move_writes_a_dated_attributed_step(world):
    referral = consented(world)
    moves = [("sent", 2, world.lead, "sent_on"), ("accepted", 1, world.editor, "responded_on")]
    moves.append(("completed", 0, world.supervisor, "closed_on"))
    for status, days_ago, person, date_field in moves:
        on = TODAY - timedelta(days=days_ago)
        referral_transition(by=person, referral=referral, to=status, on=on, note=status, version=referral.version)
        referral.refresh_from_db()
        assert (referral.status, getattr(referral, date_field)) == (status, on)
    steps = [(step.status, step.on, step.by_id, step.note) for step in ReferralStep.objects.filter(referral=referral)]
    assert steps == [(s, TODAY - timedelta(days=d), p.pk, s) for s, d, p, _field in moves]


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("draft", "accepted"),
        ("draft", "completed"),
        ("sent", "completed"),
        ("sent", "draft"),
        ("accepted", "declined"),
        ("declined", "accepted"),
        ("completed", "withdrawn"),
        ("withdrawn", "sent"),
    ],
)
def test_illegal_moves_are_refused_with_a_clear_message(world, start, to):
    referral = consented(world, status=start)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        referral_transition(by=world.lead, referral=referral, to=to, on=TODAY, version=referral.version)
    assert "can only become" in str(refused.value) or "cannot move any further" in str(refused.value)
    assert snapshot() == before


def test_the_form_offers_only_the_moves_the_status_allows(client, world, sign_in):
    consented(world, status="sent", sent_on=TODAY)
    sign_in(client, world.lead)
    page = client.get(referral_url(world, "referral_status")).content.decode()
    assert all(f'value="{status}"' in page for status in ("accepted", "declined", "withdrawn"))
    assert 'value="completed"' not in page and 'value="draft"' not in page
    response = client.post(referral_url(world, "referral_status"), {"version": 1, "status": "completed", "on": TODAY})
    assert "can only become: Accepted, Declined, Withdrawn" in response.content.decode()


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (TODAY + timedelta(days=1), "cannot be in the future"),
        (TODAY - timedelta(days=4), "before the previous step"),
    ],
)
def test_a_move_is_dated_neither_in_the_future_nor_before_the_previous_step(client, world, on, message, sign_in):
    referral = consented(world, status="sent", sent_on=TODAY - timedelta(days=3))
    sign_in(client, world.lead)
    before = snapshot()
    response = send(client, world, referral, status="accepted", on=on)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_a_referral_is_not_sent_before_consent_was_given(world):
    referral = consented(world)
    with pytest.raises(ValidationError, match="before consent was given"):
        referral_transition(
            by=world.lead, referral=referral, to="sent", on=TODAY - timedelta(days=5), version=referral.version
        )


def _accepted_with_needs(w):
    referral = consented(w, status="accepted", sent_on=TODAY - timedelta(days=2), responded_on=TODAY)
    needs = [w.need, make_need(w.case, w.lead, status="in_progress"), make_need(w.case, w.lead, status="unmet")]
    referral.needs.set(needs)
    return referral, needs


def test_completing_with_the_checkbox_marks_the_linked_open_needs_met(client, world, sign_in):
    referral, needs = _accepted_with_needs(world)
    sign_in(client, world.lead)
    response = send(client, world, referral, status="completed", mark_needs_met="on")
    assert response.status_code == 302
    after = {need.pk: (need.status, need.closed_on, need.version) for need in SupportNeed.objects.all()}
    assert after[needs[0].pk] == ("met", TODAY, 2)
    assert after[needs[1].pk] == ("met", TODAY, 2)
    assert after[needs[2].pk] == ("unmet", None, 1)  # already resolved: left as it was


def test_completing_without_the_checkbox_leaves_the_needs_alone(client, world, sign_in):
    referral, needs = _accepted_with_needs(world)
    sign_in(client, world.lead)
    assert send(client, world, referral, status="completed").status_code == 302
    assert [SupportNeed.objects.get(pk=need.pk).status for need in needs] == ["identified", "in_progress", "unmet"]


def test_only_completing_may_mark_needs_met(client, world, sign_in):
    referral, _needs = _accepted_with_needs(world)
    sign_in(client, world.lead)
    before = snapshot()
    response = send(client, world, referral, status="withdrawn", mark_needs_met="on")
    assert response.status_code == 400
    assert snapshot() == before


# What the forms offer ----------------------------------------------------------------------


def test_the_form_offers_only_the_organisations_active_providers(client, world, sign_in):
    subject(world)
    retired = make_provider(world.org, name="Closed shelter")
    retired.is_active = False
    retired.save()
    make_provider(world.other_org, name="Someone else's partner")
    sign_in(client, world.lead)
    page = client.get(reverse("cases:referral_new", args=[world.case.display_code])).content.decode()
    assert "Partner clinic" in page
    assert "Closed shelter" not in page and "Someone else&#x27;s partner" not in page
    before = snapshot()
    response = client.post(
        reverse("cases:referral_new", args=[world.case.display_code]),
        {"provider": retired.pk, "service_type": "shelter", "urgency": "normal"},
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_a_referral_keeps_its_provider_after_the_provider_is_deactivated(client, world, sign_in):
    referral = subject(world)
    world.provider.is_active = False
    world.provider.save()
    sign_in(client, world.lead)
    data = TestReferralEdit().valid_data(world)
    data.update(provider=world.provider.pk, external_provider="", next_step="Find another clinic")
    assert client.post(referral_url(world, "referral_edit"), data).status_code == 302
    referral.refresh_from_db()
    assert (referral.provider, referral.next_step) == (world.provider, "Find another clinic")
    assert "no longer in the directory" in client.get(referral_url(world)).content.decode()


@pytest.mark.parametrize(
    ("provider", "external", "message"),
    [(False, "", "Choose a provider from the directory"), (True, "Also this one", "Choose one recipient")],
)
def test_a_referral_has_exactly_one_provider(client, world, provider, external, message, sign_in):
    subject(world)
    sign_in(client, world.lead)
    data = {"service_type": "shelter", "urgency": "normal", "external_provider": external}
    if provider:
        data["provider"] = world.provider.pk
    before = snapshot()
    response = client.post(reverse("cases:referral_new", args=[world.case.display_code]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_the_provider_is_fixed_once_the_referral_is_sent(client, world, sign_in):
    consented(world, status="sent", sent_on=TODAY)
    sign_in(client, world.lead)
    page = client.get(referral_url(world, "referral_edit")).content.decode()
    assert 'name="provider"' not in page and 'name="external_provider"' not in page


def test_linked_needs_are_only_this_cases_needs(client, world, sign_in):
    subject(world)
    foreign = make_need(world.other_case, world.other_team_worker, category="legal")
    sign_in(client, world.lead)
    url = reverse("cases:referral_new", args=[world.case.display_code])
    assert f'value="{foreign.pk}"' not in client.get(url).content.decode()
    before = snapshot()
    data = {"external_provider": "A clinic", "service_type": "medical", "urgency": "normal", "needs": [foreign.pk]}
    assert client.post(url, data).status_code == 400
    assert snapshot() == before


def test_someone_granted_edit_may_refer(client, world, sign_in):
    subject(world)
    sign_in(client, world.editor)
    data = TestReferralCreate().valid_data(world)
    assert client.post(reverse("cases:referral_new", args=[world.case.display_code]), data).status_code == 302


# What the pages show -----------------------------------------------------------------------


def test_the_referral_page_shows_consent_needs_and_history(client, world, sign_in):
    referral = consented(world)
    referral_transition(by=world.editor, referral=referral, to="sent", on=TODAY, version=referral.version)
    sign_in(client, world.lead)
    page = client.get(referral_url(world)).content.decode()
    assert "Partner clinic" in page and "The partner clinic" in page
    assert "Medical (Identified)" not in page and "Medical" in page
    assert "editor" in page and "Created as a draft" in page
    assert "Record the provider's answer" in page  # no next step typed: a hint from the status


def test_a_draft_without_consent_says_what_to_do_next(client, world, sign_in):
    subject(world)
    sign_in(client, world.lead)
    assert "Record consent before sending" in client.get(referral_url(world)).content.decode()
    page = client.get(reverse("cases:detail", args=[world.case.display_code])).content.decode()
    assert "Record consent before sending" in page
    assert "Save a draft referral" in page and "Make a referral" in page


def test_the_case_page_offers_no_referral_button_to_a_viewer(client, world, sign_in):
    subject(world)
    sign_in(client, world.viewer)
    page = client.get(reverse("cases:detail", args=[world.case.display_code])).content.decode()
    assert "Partner clinic" in page
    assert "Make a referral" not in page and "Save a draft referral" not in page
    assert "/referrals/send/" not in page and "/referrals/new/" not in page
    page = client.get(referral_url(world)).content.decode()
    assert "Partner clinic" in page
    assert "Change status" not in page and "/edit/" not in page


def test_two_people_editing_the_same_referral_see_a_conflict_and_lose_nothing(world, sign_in):
    referral = subject(world)
    url = referral_url(world, "referral_edit")
    first, second = Client(), Client()
    sign_in(first, world.lead)
    sign_in(second, world.coworker)
    assert first.get(url).status_code == second.get(url).status_code == 200
    base = TestReferralEdit().valid_data(world)
    assert first.post(url, {**base, "urgency": "urgent"}).status_code == 302
    theirs = {**base, "next_step": "Her careful wording of the next step"}
    response = second.post(url, theirs)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Her careful wording of the next step" in page  # what she typed is still in the form
    assert "Urgent" in page  # and she sees what the other saved
    referral.refresh_from_db()
    assert (referral.urgency, referral.next_step, referral.version) == (
        "urgent",
        base["next_step"],
        base["version"] + 1,
    )
    assert second.post(url, {**theirs, "version": base["version"] + 1}).status_code == 302
    referral.refresh_from_db()
    assert referral.next_step == "Her careful wording of the next step"


def test_the_services_check_the_permission_again(world):
    from django.core.exceptions import PermissionDenied

    from casework.cases.services.referrals import referral_consent_withdraw, referral_create

    referral = consented(world)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        referral_create(by=world.viewer, case=world.case, external_provider="A clinic", service_type="medical")
    with pytest.raises(PermissionDenied):
        referral_transition(by=world.viewer, referral=referral, to="sent", on=TODAY, version=referral.version)
    with pytest.raises(PermissionDenied):
        referral_consent_withdraw(by=world.outsider, referral=referral, on=TODAY, version=referral.version)
    assert snapshot() == before


def test_a_stale_status_change_shows_the_conflict_page_and_changes_nothing(client, world, sign_in):
    referral = consented(world)
    stale = referral.version
    referral.next_step = "Changed by someone else"
    referral.version += 1
    referral.save()
    sign_in(client, world.lead)
    before = snapshot()
    response = send(client, world, referral, version=stale)
    assert response.status_code == 409
    assert "Someone saved this while you were editing" in response.content.decode()
    assert snapshot() == before


def test_a_closed_referral_offers_no_more_moves(client, world, sign_in):
    consented(world, status="withdrawn", closed_on=TODAY)
    sign_in(client, world.lead)
    response = client.get(referral_url(world, "referral_status"))
    assert response.status_code == 200
    assert "its status cannot change any more" in response.content.decode()
    assert "Change status" not in client.get(referral_url(world)).content.decode()
