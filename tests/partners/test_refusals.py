"""What never leaves: a packet beyond her consent, to an organisation that is not a partner,
after her consent expired or was withdrawn. Each refusal is a clear message, nothing is sent,
and the sender's supervisors find it in the trail."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.audit.models import AuditEntry
from casework.cases.choices import ShareCategory
from casework.cases.services.referrals import referral_consent_withdraw
from casework.partners import services as partners
from casework.partners.models import Packet
from tests.factories import make_referral
from tests.partners.conftest import CONSENT, LEGAL_NAME
from tests.signing import sign_in

pytestmark = pytest.mark.django_db

ASKED = {"categories": [ShareCategory.NEEDS, ShareCategory.LEGAL_NAME]}


def post_packet(pw, referral, data=ASKED):
    client = sign_in(Client(), pw.haven_lead)
    url = reverse("partners:packet_new", args=[pw.case.display_code, referral.uid])
    return client.post(url, data)


def refusals(pw):
    entries = AuditEntry.objects.filter(event="packet.build", outcome="denied", case_code=pw.case.code)
    return [entry.additional_data["refused"] for entry in entries.order_by("seq")]


def assert_nothing_sent(pw):
    assert not Packet.objects.exists()
    assert not partners.inbox(pw.bridge_intake).exists()


def test_a_category_beyond_her_consent_is_refused_by_name(pw):
    response = post_packet(pw, pw.referral, {"categories": [ShareCategory.NEEDS, ShareCategory.PHONES]})
    assert response.status_code == 400
    assert "Her consent does not cover: Phone numbers" in response.content.decode()
    assert_nothing_sent(pw)
    assert refusals(pw) == ["scope"]


def test_a_category_her_consent_does_not_cover_is_not_even_offered(pw):
    form = sign_in(Client(), pw.haven_lead).get(
        reverse("partners:packet_new", args=[pw.case.display_code, pw.referral.uid])
    )
    body = form.content.decode()
    assert 'value="legal_name"' in body and 'value="needs"' in body
    assert 'value="phones"' not in body and 'value="risk"' not in body


def test_nothing_goes_to_an_organisation_that_is_not_a_partner(pw):
    referral = make_referral(pw.case, pw.haven_lead, partner=pw.stranger, **CONSENT)
    response = post_packet(pw, referral)
    assert response.status_code == 400
    assert "is not an active partner of your organisation" in response.content.decode()
    assert_nothing_sent(pw)
    assert refusals(pw) == ["not_partner"]


def test_nothing_goes_once_the_partnership_has_ended(pw):
    partners.partnership_end(by=pw.bridge_supervisor, partnership=pw.partnership, reason="We closed the shelter")
    response = post_packet(pw, pw.referral)
    assert response.status_code == 400
    assert "is not an active partner" in response.content.decode()
    assert_nothing_sent(pw)
    assert refusals(pw) == ["not_partner"]


def test_nothing_goes_after_her_consent_expired(pw):
    pw.referral.consent_expires_on = timezone.localdate() - timedelta(days=1)
    pw.referral.save(update_fields=["consent_expires_on"])
    response = post_packet(pw, pw.referral)
    assert response.status_code == 400
    assert "The consent expired on" in response.content.decode()
    assert_nothing_sent(pw)
    assert refusals(pw) == ["consent"]


def test_nothing_goes_after_she_withdrew_her_consent(pw):
    referral_consent_withdraw(
        by=pw.haven_lead, referral=pw.referral, on=timezone.localdate(), version=pw.referral.version
    )
    response = post_packet(pw, pw.referral)
    assert response.status_code == 400
    assert "Consent was withdrawn" in response.content.decode()
    assert_nothing_sent(pw)
    assert refusals(pw) == ["consent"]


def test_a_waiting_packet_does_not_leave_if_consent_is_withdrawn_before_approval(pw):
    packet = partners.packet_build(by=pw.haven_lead, referral=pw.referral, categories=[ShareCategory.NEEDS])
    pw.referral.refresh_from_db()
    referral_consent_withdraw(
        by=pw.haven_lead, referral=pw.referral, on=timezone.localdate(), version=pw.referral.version
    )
    packet.refresh_from_db()
    assert packet.status == "withdrawn"
    approve = reverse("partners:packet_approve", args=[pw.case.display_code, pw.referral.uid])
    sign_in(Client(), pw.haven_supervisor).post(approve)
    packet.refresh_from_db()
    assert packet.status == "withdrawn"
    assert not partners.inbox(pw.bridge_intake).exists()


def test_a_handover_note_that_names_her_is_refused_and_never_leaves(pw):
    pw.referral.consent_scope = [*CONSENT["consent_scope"], ShareCategory.NOTE]
    pw.referral.save(update_fields=["consent_scope"])
    data = {"categories": [ShareCategory.NEEDS, ShareCategory.NOTE], "note": f"Call {LEGAL_NAME} after dark"}
    response = post_packet(pw, pw.referral, data)
    assert response.status_code == 400
    assert "Leave names and phone numbers out" in response.content.decode()
    assert_nothing_sent(pw)
