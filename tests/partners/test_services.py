"""The packet's life through the services: built within consent, accepted into a new case, answered."""

import pytest
from django.core.exceptions import ValidationError

from casework.cases.choices import ReferralStatus, ShareCategory
from casework.cases.models import Case
from casework.identity.models import Identity
from casework.partners import services as partners
from casework.partners.models import PacketStatus
from tests.partners.conftest import LEGAL_NAME

pytestmark = pytest.mark.django_db


def build(pw, categories=(ShareCategory.NEEDS, ShareCategory.LEGAL_NAME)):
    return partners.packet_build(
        by=pw.haven_lead, referral=pw.referral, categories=list(categories), needs=[pw.shelter, pw.medical]
    )


def test_a_packet_waits_for_approval_then_reaches_the_inbox(pw):
    packet = build(pw)
    assert packet.status == PacketStatus.AWAITING_APPROVAL
    assert list(partners.inbox(pw.bridge_intake)) == []
    partners.packet_approve(by=pw.haven_supervisor, packet=packet)
    assert list(partners.inbox(pw.bridge_intake)) == [packet]
    assert list(partners.inbox(pw.bridge_worker)) == []  # not named to the intake
    pw.referral.refresh_from_db()
    assert pw.referral.status == ReferralStatus.SENT


def test_accepting_opens_a_new_case_with_only_what_was_shared(pw):
    packet = build(pw)
    partners.packet_approve(by=pw.haven_supervisor, packet=packet)
    case = partners.packet_accept(by=pw.bridge_intake, packet=packet, team=pw.bridge_team)
    assert case.code != pw.case.code and case.organisation == pw.bridge
    assert sorted(case.needs.values_list("category", "urgency")) == [("medical", "normal"), ("shelter", "urgent")]
    identity = Identity.objects.get(case=case)
    assert identity.filled() == ["legal_name"]
    assert identity.read(["legal_name"]) == {"legal_name": LEGAL_NAME}
    assert case.risk_level == Case._meta.get_field("risk_level").default  # risk was not shared
    pw.referral.refresh_from_db()
    step = pw.referral.steps.order_by("at", "pk").last()
    assert (pw.referral.status, step.by, step.by_organisation) == (ReferralStatus.ACCEPTED, None, pw.bridge)
    packet.refresh_from_db()
    assert (packet.identity, packet.status) == ({}, PacketStatus.ACCEPTED)


def test_a_category_outside_her_consent_is_refused_by_name(pw):
    with pytest.raises(ValidationError, match="Phone numbers"):
        build(pw, categories=(ShareCategory.NEEDS, ShareCategory.PHONES))
    assert not pw.referral.packets.exists()
