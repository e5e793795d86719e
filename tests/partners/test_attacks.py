"""Ways to break the promises of partner referrals, each tried and each now held.

A name in the handover note from someone who may not see it, the sender's code in the note,
a refusal that leaves no trace, a packet that keeps what it carried after it closed, answers
replayed into the sender's trail, an erasure that takes the receiver's own findings, a packet
accepted on consent that lapsed in the inbox, key rotation that strands a packet, two
organisations' exports that pair their entries through the hash chain.
"""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.audit.guard import unaudited_writes
from casework.audit.models import AuditEntry
from casework.cases.choices import ShareCategory
from casework.cases.models import Case, Referral
from casework.cases.services.referrals import referral_consent_withdraw, referral_transition
from casework.identity import crypto
from casework.identity.models import Identity
from casework.identity.services import identity_save
from casework.keystore import services as keystore
from casework.keystore.models import CaseKey
from casework.partners import services as partners
from casework.partners.models import Packet
from casework.retention import services as retention
from casework.retention.models import OrganisationErasure
from tests.factories import make_supervisor
from tests.partners.conftest import CONSENT, LEGAL_NAME
from tests.signing import sign_in

pytestmark = pytest.mark.django_db


def client(user):
    return sign_in(Client(), user)


def packet_url(pw, name="packet_new"):
    return reverse(f"partners:{name}", args=[pw.case.display_code, pw.referral.uid])


def consent_also_covers(pw, *categories):
    pw.referral.consent_scope = [*CONSENT["consent_scope"], *categories]
    pw.referral.save(update_fields=["consent_scope"])


def sent_packet(pw, categories=(ShareCategory.NEEDS, ShareCategory.LEGAL_NAME)):
    packet = partners.packet_build(
        by=pw.haven_lead, referral=pw.referral, categories=list(categories), needs=[pw.shelter]
    )
    partners.packet_approve(by=pw.haven_supervisor, packet=packet)
    packet.refresh_from_db()
    return packet


def refused(pw):
    entries = AuditEntry.objects.filter(event="packet.build", outcome="denied", case_code=pw.case.code)
    return [entry.additional_data["refused"] for entry in entries.order_by("seq")]


def test_someone_who_may_not_reveal_her_identity_sends_no_note_whatever_it_says(pw):
    # The guard could not tell her that her note quotes the name (that would confirm a
    # guess): so a note, like an identity field, needs the reveal permission, and the
    # refusal is the same for a harmless note as for one that names her.
    consent_also_covers(pw, ShareCategory.NOTE)
    partners.approval_setting(by=pw.haven_supervisor, required=False)
    coworker = client(pw.haven_coworker)
    answers = []
    for note in (f"Call {LEGAL_NAME} after dark", "Prefers mornings"):
        response = coworker.post(
            packet_url(pw), {"categories": [ShareCategory.NEEDS, ShareCategory.NOTE], "note": note}
        )
        answers.append((response.status_code, "Only someone who may reveal her identity" in response.content.decode()))
    assert answers == [(400, True), (400, True)]
    assert not Packet.objects.exists()
    assert refused(pw) == ["reveal", "reveal"]


def test_an_identity_field_refused_for_want_of_reveal_is_audited(pw):
    response = client(pw.haven_coworker).post(
        packet_url(pw), {"categories": [ShareCategory.NEEDS, ShareCategory.LEGAL_NAME]}
    )
    assert response.status_code == 400
    assert refused(pw) == ["reveal"]


@pytest.mark.parametrize("written", ["{grouped}", "{plain}", "{plain_lower}"])
def test_the_senders_case_code_never_travels_in_the_note(pw, written):
    consent_also_covers(pw, ShareCategory.NOTE)
    code = pw.case.code
    note = "Our file " + written.format(grouped=pw.case.display_code, plain=code, plain_lower=code.lower())
    response = client(pw.haven_lead).post(
        packet_url(pw), {"categories": [ShareCategory.NEEDS, ShareCategory.NOTE], "note": note}
    )
    assert response.status_code == 400
    assert "Leave case codes out of the note" in response.content.decode()
    assert not Packet.objects.exists()
    assert refused(pw) == ["code_in_note"]


def test_a_note_with_ordinary_words_of_ten_letters_still_goes(pw):
    consent_also_covers(pw, ShareCategory.NOTE)
    note = "Interpreter needed, afternoons only"
    response = client(pw.haven_lead).post(
        packet_url(pw), {"categories": [ShareCategory.NEEDS, ShareCategory.NOTE], "note": note}
    )
    assert response.status_code == 302
    assert Packet.objects.get().note == note


def test_the_approver_reads_the_note_she_approves(pw):
    consent_also_covers(pw, ShareCategory.NOTE)
    data = {"categories": [ShareCategory.NEEDS, ShareCategory.NOTE], "note": "Prefers a female interpreter"}
    assert client(pw.haven_lead).post(packet_url(pw), data).status_code == 302
    page = client(pw.haven_supervisor).get(reverse("cases:referral", args=[pw.case.display_code, pw.referral.uid]))
    assert "Prefers a female interpreter" in page.content.decode()


@pytest.mark.parametrize("how", ["accept", "decline", "withdraw"])
def test_a_closed_packet_keeps_no_value_of_what_it_carried(pw, how):
    consent_also_covers(pw, ShareCategory.REGION)
    packet = sent_packet(pw, categories=(ShareCategory.NEEDS, ShareCategory.REGION, ShareCategory.LEGAL_NAME))
    assert packet.region == "CN-JL" and packet.needs
    if how == "accept":
        partners.packet_accept(by=pw.bridge_intake, packet=packet, team=pw.bridge_team)
    elif how == "decline":
        partners.packet_decline(by=pw.bridge_intake, packet=packet, reason="no_capacity")
    else:
        partners.packet_withdraw(by=pw.haven_lead, packet=packet)
    packet.refresh_from_db()
    kept = {name: getattr(packet, name) for name in ("identity", "note", "needs", "region", "age_band", "languages")}
    assert kept == {"identity": {}, "note": "", "needs": [], "region": "", "age_band": "", "languages": []}
    assert sorted(packet.categories) == ["legal_name", "needs", "region"]  # what kinds, for the record


def test_an_answer_that_changes_nothing_leaves_nothing_in_the_senders_trail(pw):
    packet = sent_packet(pw)
    case = partners.packet_accept(by=pw.bridge_intake, packet=packet, team=pw.bridge_team)
    intake, url = client(pw.bridge_intake), reverse("partners:answer", args=[case.display_code])
    for _ in range(3):
        intake.post(url, {"answer": "started"})
    answers = AuditEntry.objects.filter(
        event="packet.answer", case_code=pw.case.code, additional_data__answer="started"
    )
    assert answers.count() == 1
    pw.referral.refresh_from_db()
    referral_transition(
        by=pw.haven_lead, referral=pw.referral, to="withdrawn", on=timezone.localdate(), version=pw.referral.version
    )
    page = intake.post(url, {"answer": "completed"}, follow=True).content.decode()
    assert "closed or already at this step" in page
    assert not AuditEntry.objects.filter(event="packet.answer", additional_data__answer="completed").exists()


def test_erasing_after_consent_is_withdrawn_takes_only_what_came_with_the_packet(pw):
    packet = sent_packet(pw)
    case = partners.packet_accept(by=pw.bridge_supervisor, packet=packet, team=pw.bridge_team)
    identity_save(by=pw.bridge_supervisor, case=case, values={"phones": ["+82 10 5555 0101"]})  # bridge's own finding
    pw.referral.refresh_from_db()
    referral_consent_withdraw(
        by=pw.haven_lead, referral=pw.referral, on=timezone.localdate(), version=pw.referral.version
    )
    partners.consent_decide(by=pw.bridge_supervisor, case=case, erase_identity=True, reason="Her wish")
    assert Identity.objects.get(case=case).filled() == ["phones"]


def test_there_is_no_consent_decision_page_on_a_case_that_has_nothing_to_decide(pw):
    url = reverse("partners:consent_decision", args=[pw.case.display_code])
    assert client(pw.haven_supervisor).get(url).status_code == 404


def test_consent_withdrawn_while_the_packet_waits_withdraws_the_referral_and_tells_the_partner(pw):
    sent_packet(pw)
    pw.referral.refresh_from_db()
    referral_consent_withdraw(
        by=pw.haven_lead, referral=pw.referral, on=timezone.localdate(), version=pw.referral.version
    )
    pw.referral.refresh_from_db()
    assert pw.referral.status == "withdrawn"
    assert not partners.inbox(pw.bridge_intake).exists()
    assert AuditEntry.objects.filter(event="packet.withdraw", organisation=pw.bridge).count() == 1


def test_withdrawing_the_referral_by_its_status_withdraws_its_packet(pw):
    packet = sent_packet(pw)
    pw.referral.refresh_from_db()
    referral_transition(
        by=pw.haven_lead, referral=pw.referral, to="withdrawn", on=timezone.localdate(), version=pw.referral.version
    )
    packet.refresh_from_db()
    assert packet.status == "withdrawn"
    assert client(pw.bridge_intake).get(reverse("partners:packet", args=[packet.uid])).status_code == 404


def test_ending_the_partnership_leaves_an_entry_on_each_case_whose_packet_will_not_leave(pw):
    partners.packet_build(by=pw.haven_lead, referral=pw.referral, categories=[ShareCategory.NEEDS])
    partners.partnership_end(by=pw.bridge_admin, partnership=pw.partnership, reason="Closing the office")
    entry = AuditEntry.objects.get(event="packet.withdraw", case_code=pw.case.code)
    assert entry.actor is None  # bridge's administrator is not named in haven's trail
    assert entry.additional_data["cause"] == "partnership_end"


def test_a_packet_whose_consent_lapsed_in_the_inbox_can_no_longer_be_taken(pw):
    packet = sent_packet(pw)
    today = timezone.localdate()
    with unaudited_writes("the test moves the consent's dates, as time passing would"):
        Referral.objects.filter(pk=pw.referral.pk).update(
            consent_given_on=today - timedelta(days=10), consent_expires_on=today - timedelta(days=1)
        )
    intake = client(pw.bridge_intake)
    assert partners.waiting_counts(pw.bridge_intake) == (0, 0)  # Today counts what the inbox lists
    assert "intake inbox" not in intake.get("/").content.decode()
    assert intake.get(reverse("partners:packet", args=[packet.uid])).status_code == 404
    assert intake.post(reverse("partners:accept", args=[packet.uid]), {"team": pw.bridge_team.pk}).status_code == 404
    assert not Case.objects.filter(organisation=pw.bridge).exists()


def test_rotating_the_field_keys_keeps_packets_on_their_way_readable(pw, settings):
    packet = sent_packet(pw)
    new = crypto.new_key()
    settings.FIELD_KEYS = [new, *settings.FIELD_KEYS]
    call_command("rotate_field_keys", stdout=io.StringIO())
    settings.FIELD_KEYS = [new]  # the old key retired, as the README says to
    case = partners.packet_accept(by=pw.bridge_intake, packet=packet, team=pw.bridge_team)
    assert Identity.objects.get(case=case).read(["legal_name"]) == {"legal_name": LEGAL_NAME}


def test_one_organisations_audit_export_carries_no_hash_that_names_a_partners_entry(pw):
    packet = sent_packet(pw)
    partners.packet_accept(by=pw.bridge_intake, packet=packet, team=pw.bridge_team)
    for slug in ("haven", "bridge"):
        out = io.StringIO()
        call_command("audit_export", organisation=slug, stdout=out)
        rows = [json.loads(line) for line in out.getvalue().splitlines()]
        assert rows and all("prev_hash" not in row and "entry_hash" not in row for row in rows)
    whole = io.StringIO()
    call_command("audit_export", stdout=whole)  # the operator's whole trail keeps them, to verify
    assert all("entry_hash" in json.loads(line) for line in whole.getvalue().splitlines())


def test_a_packet_has_a_key_of_its_own_destroyed_when_it_closes(pw, django_capture_on_commit_callbacks):
    packet = partners.packet_build(
        by=pw.haven_lead,
        referral=pw.referral,
        categories=[ShareCategory.NEEDS, ShareCategory.LEGAL_NAME],
        needs=[pw.shelter],
    )
    token = Packet.objects.get(pk=packet.pk).identity["legal_name"]
    assert CaseKey.objects.filter(ref=packet.uid).exists()
    assert Packet.objects.get(pk=packet.pk).open_identity("legal_name") == f'"{LEGAL_NAME}"'
    with django_capture_on_commit_callbacks(execute=True):
        partners.packet_withdraw(by=pw.haven_lead, packet=packet)
    assert not CaseKey.objects.filter(ref=packet.uid).exists()
    # A copy of the packet from before (a backup) opens no more.
    keystore.forget()
    copy = Packet.objects.get(pk=packet.pk)
    copy.identity = {"legal_name": token}
    with pytest.raises(keystore.KeyErased):
        copy.open_identity("legal_name")


def test_a_packet_on_its_way_to_an_organisation_that_leaves_is_answered_to_the_sender(
    pw, django_capture_on_commit_callbacks
):
    packet = sent_packet(pw)
    bridge_second = make_supervisor(pw.bridge, pw.bridge_team, username="bridge_second")
    for supervisor in (pw.bridge_supervisor, bridge_second):
        OrganisationErasure.objects.create(organisation=pw.bridge, confirmed_by=supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        counts = retention.organisation_erase(organisation=pw.bridge)
    assert counts["packets"] == 1
    packet.refresh_from_db()
    assert packet.status == "declined" and packet.identity == {}
    assert not CaseKey.objects.filter(ref=packet.uid).exists()
    referral = Referral.objects.get(pk=pw.referral.pk)
    assert referral.status == "declined"  # her referral says so: she can look for another provider
    assert AuditEntry.objects.filter(event="packet.answer", case_code=pw.case.code).exists()
