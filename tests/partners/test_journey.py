"""A referral from haven to bridge through the pages, as the people at each end do it.

haven's lead caseworker sends a packet whose consent covers "needs; legal name"; haven's
supervisor approves it; bridge's intake caseworker accepts it into a new case of her own;
bridge answers back. Every step with real sign-in, through the whole middleware stack.
"""

import pytest
from django.test import Client
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.audit.verification import verify_chain
from casework.cases.choices import ShareCategory
from casework.cases.models import Case
from casework.identity.models import Identity
from casework.partners.models import Packet, PacketStatus
from tests.identity.conftest import current_code, mark_fresh
from tests.partners.conftest import LEGAL_NAME
from tests.signing import sign_in

pytestmark = pytest.mark.django_db


def client_of(user):
    return sign_in(Client(), user)


def referral_url(pw):
    return reverse("cases:referral", args=[pw.case.display_code, pw.referral.uid])


def packet_url(pw, name="packet_new"):
    return reverse(f"partners:{name}", args=[pw.case.display_code, pw.referral.uid])


def send_packet(pw, categories=(ShareCategory.NEEDS, ShareCategory.LEGAL_NAME), note=""):
    """haven's lead builds the packet, haven's supervisor approves it: it waits in bridge's inbox."""
    lead = client_of(pw.haven_lead)
    data = {"categories": list(categories), "needs": [pw.shelter.pk, pw.medical.pk], "note": note}
    response = lead.post(packet_url(pw), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    approve = client_of(pw.haven_supervisor).post(packet_url(pw, "packet_approve"))
    assert approve.status_code == 302
    packet = Packet.objects.get(referral=pw.referral)
    assert packet.status == PacketStatus.SENT
    return packet


def accept(pw, packet):
    intake = client_of(pw.bridge_intake)
    response = intake.post(reverse("partners:accept", args=[packet.uid]), {"team": pw.bridge_team.pk})
    assert response.status_code == 302
    return intake, Case.objects.get(organisation=pw.bridge)


def test_a_packet_becomes_a_new_case_at_bridge_with_exactly_what_she_consented_to(pw):
    packet = send_packet(pw)
    intake = client_of(pw.bridge_intake)
    inbox = intake.get(reverse("partners:inbox")).content.decode()
    assert "Haven" in inbox and str(packet.uid) in inbox
    assert LEGAL_NAME not in inbox  # what it contains, never who

    intake, case = accept(pw, packet)
    assert case.code != pw.case.code
    page = intake.get(reverse("cases:detail", args=[case.display_code])).content.decode()
    assert "Referred by Haven" in page
    assert sorted(case.needs.values_list("category", "urgency")) == [("medical", "normal"), ("shelter", "urgent")]

    # The reveal offers the legal name and nothing else, and shows it after a fresh code.
    reveal_url = reverse("cases:identity", args=[case.display_code])
    form = intake.get(reveal_url).content.decode()
    assert 'value="legal_name"' in form and 'value="phones"' not in form
    assert Identity.objects.get(case=case).filled() == ["legal_name"]
    mark_fresh(intake, seconds_ago=3600)
    asked = {"purpose": "contact", "reason": "Arranging the first visit", "fields": ["legal_name"]}
    shown = intake.post(reveal_url, {**asked, "code": current_code(pw.bridge_intake)}).content.decode()
    assert LEGAL_NAME in shown

    # haven's referral shows the answer, by bridge (the organisation, not a person of it).
    referral_page = client_of(pw.haven_lead).get(referral_url(pw)).content.decode()
    assert "Accepted" in referral_page and "Bridge" in referral_page
    assert "bridge_intake" not in referral_page
    assert verify_chain().ok


def test_the_partner_answers_service_started_and_completed(pw):
    packet = send_packet(pw, categories=[ShareCategory.NEEDS])
    intake, case = accept(pw, packet)
    for answer in ("started", "completed"):
        response = intake.post(reverse("partners:answer", args=[case.display_code]), {"answer": answer})
        assert response.status_code == 302
    pw.referral.refresh_from_db()
    steps = list(pw.referral.steps.order_by("at", "pk").values_list("status", "by_organisation__slug"))
    assert steps[-3:] == [("accepted", "bridge"), ("started", "bridge"), ("completed", "bridge")]
    assert pw.referral.status == "completed"


def test_a_withdrawal_before_acceptance_takes_the_packet_out_of_the_inbox(pw):
    packet = send_packet(pw)
    intake = client_of(pw.bridge_intake)
    assert intake.get(reverse("partners:packet", args=[packet.uid])).status_code == 200

    response = client_of(pw.haven_lead).post(packet_url(pw, "packet_withdraw"))
    assert response.status_code == 302
    assert intake.get(reverse("partners:packet", args=[packet.uid])).status_code == 404
    assert intake.post(reverse("partners:accept", args=[packet.uid]), {"team": pw.bridge_team.pk}).status_code == 404
    assert str(packet.uid) not in intake.get(reverse("partners:inbox")).content.decode()
    assert not Case.objects.filter(organisation=pw.bridge).exists()
    packet.refresh_from_db()
    assert (packet.status, packet.identity) == (PacketStatus.WITHDRAWN, {})


def test_a_declined_packet_comes_back_with_its_reason_and_leaves_nothing_at_bridge(pw):
    packet = send_packet(pw)
    intake = client_of(pw.bridge_intake)
    response = intake.post(reverse("partners:decline", args=[packet.uid]), {"reason": "no_capacity"})
    assert response.status_code == 302
    packet.refresh_from_db()
    assert (packet.status, packet.identity) == (PacketStatus.DECLINED, {})
    page = client_of(pw.haven_lead).get(referral_url(pw)).content.decode()
    assert "Declined" in page and "No capacity at the moment" in page
    assert not Case.objects.filter(organisation=pw.bridge).exists()


def test_consent_withdrawn_after_acceptance_shows_on_bridges_case_and_its_supervisor_decides(pw):
    packet = send_packet(pw)
    _intake, case = accept(pw, packet)
    lead = client_of(pw.haven_lead)
    withdraw = reverse("cases:referral_consent_withdraw", args=[pw.case.display_code, pw.referral.uid])
    pw.referral.refresh_from_db()
    assert (
        lead.post(
            withdraw, {"version": pw.referral.version, "consent_withdrawn_on": str(pw.referral.consent_given_on)}
        ).status_code
        == 302
    )

    supervisor = client_of(pw.bridge_supervisor)
    page = supervisor.get(reverse("cases:detail", args=[case.display_code])).content.decode()
    assert "withdrew her consent" in page
    decide = reverse("partners:consent_decision", args=[case.display_code])
    response = supervisor.post(decide, {"decision": "erase", "reason": "Her wish, as the partner reports it"})
    assert response.status_code == 302
    assert Identity.objects.get(case=case).filled() == []
    assert AuditEntry.objects.filter(event="packet.consent_decision", case_code=case.code).exists()


def test_bridges_other_caseworker_not_named_to_the_intake_sees_no_inbox(pw):
    packet = send_packet(pw)
    worker = client_of(pw.bridge_worker)
    assert worker.get(reverse("partners:inbox")).status_code == 404
    assert worker.get(reverse("partners:packet", args=[packet.uid])).status_code == 404


def test_a_caseworker_without_reveal_cannot_send_identity_fields(pw):
    coworker = client_of(pw.haven_coworker)
    response = coworker.post(packet_url(pw), {"categories": [ShareCategory.NEEDS, ShareCategory.LEGAL_NAME]})
    assert response.status_code == 400
    assert not Packet.objects.exists()


def test_today_tells_the_supervisor_what_to_approve_and_the_intake_what_waits(pw):
    lead = client_of(pw.haven_lead)
    assert lead.post(packet_url(pw), {"categories": [ShareCategory.NEEDS]}).status_code == 302
    assert "1 packet to approve before it leaves" in client_of(pw.haven_supervisor).get("/").content.decode()
    assert "packet" not in client_of(pw.bridge_intake).get("/").content.decode().lower()
    assert client_of(pw.haven_supervisor).post(packet_url(pw, "packet_approve")).status_code == 302
    assert "1 packet waiting in the intake inbox" in client_of(pw.bridge_intake).get("/").content.decode()
    assert "intake inbox" not in client_of(pw.bridge_worker).get("/").content.decode()
