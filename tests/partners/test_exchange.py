"""Packets and answers as files between partners that each run their own server.

What this simulates: two servers. One test database holds both, but neither organisation
sees the other as a local one: north (the sender) and south (the receiver) are each local,
and each knows the other only as a remote organisation made from the other's key card
(``remote_south`` at north, ``remote_north`` at south), with the partnership confirmed by
a supervisor at each end after comparing fingerprints. Everything crossing between them
goes through the bytes of a file; nothing is read across from the other's rows. ``east``,
a third server, knows north as a partner (so north's files verify there) but is never
their addressee.
"""

import base64
import copy
import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from casework.audit.guard import unaudited_writes
from casework.audit.models import AuditEntry
from casework.cases.choices import ConsentGiver, ConsentMethod, ReferralStatus, ShareCategory
from casework.cases.models import Case, Referral
from casework.identity import crypto
from casework.identity.models import Identity
from casework.identity.services import identity_save
from casework.partners import exchange, keys
from casework.partners import services as partners
from casework.partners import urls_exchange as exchange_urls
from casework.partners.exchange_models import AnswerToSend, ReceivedFile
from casework.partners.models import Packet, PacketStatus, PartnerSide
from tests.conftest import FAST_HASHERS, rolled_back
from tests.factories import (
    make_admin,
    make_case,
    make_caseworker,
    make_need,
    make_org,
    make_referral,
    make_supervisor,
    make_team,
)

pytestmark = pytest.mark.django_db

LEGAL_NAME = "CANARY-LEGAL-김별"
PHONE = "+86 139 0000 7171"
IMPORT_URL = "/partners/exchange/import/"


def _server(slug):
    """One organisation with what it needs to send and receive: a team, a lead caseworker,
    an intake caseworker, a supervisor and an administrator."""
    org = make_org(slug)
    team = make_team(org, f"{slug}-a")
    people = SimpleNamespace(org=org, team=team)
    people.lead = make_caseworker(org, team, username=f"{slug}_lead")
    people.intake = make_caseworker(org, team, username=f"{slug}_intake")
    people.supervisor = make_supervisor(org, team, username=f"{slug}_supervisor")
    people.admin = make_admin(org, username=f"{slug}_admin")
    partners.intake_name(by=people.supervisor, member=people.intake.membership, receives=True)
    return people


def _knows(server, other):
    """``server`` sets up a partnership with ``other`` from its key card, fingerprint compared."""
    partnership = exchange.remote_partnership_add(by=server.admin, card=keys.key_card(other.org))
    exchange.remote_partnership_confirm(by=server.supervisor, partnership=partnership, compared=True)
    return partnership.other_side(server.org).organisation


def build_servers():
    w = SimpleNamespace()
    w.north, w.south, w.east = _server("north"), _server("south"), _server("east")
    w.remote_south = _knows(w.north, w.south)
    w.remote_north = _knows(w.south, w.north)
    _knows(w.east, w.north)
    w.case = make_case(w.north.lead, risk_level="high", age_band="18-24", region="CN-JL", languages=["ko"])
    identity_save(by=w.north.lead, case=w.case, values={"legal_name": LEGAL_NAME, "phones": [PHONE]})
    w.shelter = make_need(w.case, w.north.lead, category="shelter", urgency="urgent")
    w.referral = make_referral(
        w.case,
        w.north.lead,
        partner=w.remote_south,
        service_type="shelter",
        consent_given_by=ConsentGiver.SURVIVOR,
        consent_given_on=timezone.localdate() - timedelta(days=1),
        consent_method=ConsentMethod.WRITTEN,
        consent_scope=[ShareCategory.NEEDS, ShareCategory.LEGAL_NAME, ShareCategory.PHONES, ShareCategory.NOTE],
        consent_recipient="South",
    )
    return w


@pytest.fixture(scope="module")
def _servers_of_the_module(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), rolled_back():
        yield build_servers()


@pytest.fixture
def w(_servers_of_the_module, db):
    return copy.deepcopy(_servers_of_the_module)


def _sent_packet(w):
    packet = partners.packet_build(
        by=w.north.lead,
        referral=w.referral,
        categories=[ShareCategory.NEEDS, ShareCategory.LEGAL_NAME, ShareCategory.PHONES, ShareCategory.NOTE],
        needs=[w.shelter],
        note="Needs a quiet room; speaks Korean.",
    )
    return partners.packet_approve(by=w.north.supervisor, packet=packet)


def _packet_file(w):
    return exchange.packet_export(by=w.north.lead, packet=_sent_packet(w)).content


def _answer_file(w):
    answer = exchange.answers_to_send(w.south.intake).filter(downloaded_at__isnull=True).get()
    return exchange.answer_export(by=w.south.intake, answer=answer).content


def _state(server):
    """What an import could change at ``server``: its inbox, its received files, its cases."""
    org = server.org
    return (
        Packet.objects.filter(recipient=org).count(),
        ReceivedFile.objects.filter(organisation=org).count(),
        Case.objects.filter(organisation=org).count(),
    )


def _refused(server, data, code):
    before = _state(server)
    with pytest.raises(exchange.FileRefused) as refusal:
        exchange.file_import(by=server.intake, data=data)
    assert refusal.value.code == code
    assert _state(server) == before  # nothing imported
    entry = AuditEntry.objects.filter(event="packet.file_import", organisation=server.org).latest("seq")
    assert (entry.outcome, entry.additional_data) == ("denied", {"refused": code})
    return refusal.value


def _edit(data, **changes):
    envelope = json.loads(data)
    envelope.update(changes)
    return json.dumps(envelope).encode()


def _flip(text):
    """One byte of a base64url field flipped, still valid base64url."""
    raw = bytearray(keys.unb64(text))
    raw[len(raw) // 2] ^= 0x01
    return keys.b64(bytes(raw))


# The whole path ----------------------------------------------------------------------------


def test_a_packet_travels_as_a_file_and_its_answers_come_back(w):
    data = _packet_file(w)
    imported = exchange.file_import(by=w.south.intake, data=data)
    assert (imported.kind, imported.partner) == ("packet", w.remote_north)
    assert list(partners.inbox(w.south.intake)) == [imported.packet]
    assert imported.packet.referral is None and imported.packet.imported
    assert LEGAL_NAME not in json.dumps(imported.packet.identity)  # encrypted at rest again

    case = partners.packet_accept(by=w.south.intake, packet=imported.packet, team=w.south.team)
    assert case.organisation == w.south.org and case.code != w.case.code
    assert Identity.objects.get(case=case).read(["legal_name", "phones"]) == {
        "legal_name": LEGAL_NAME,
        "phones": [PHONE],
    }
    assert sorted(case.needs.values_list("category", "urgency")) == [("shelter", "urgent")]

    answered = exchange.file_import(by=w.north.intake, data=_answer_file(w))
    assert (answered.kind, answered.partner) == ("answer", w.remote_south)
    w.referral.refresh_from_db()
    step = w.referral.steps.order_by("at", "pk").last()
    assert (w.referral.status, step.status, step.by, step.by_organisation) == (
        ReferralStatus.ACCEPTED,
        ReferralStatus.ACCEPTED,
        None,
        w.remote_south,
    )
    sent = Packet.objects.get(referral=w.referral)
    assert (sent.status, sent.identity, sent.note) == (PacketStatus.ACCEPTED, {}, "")

    partners.packet_answer(by=w.south.supervisor, case=case, answer="started")
    exchange.file_import(by=w.north.intake, data=_answer_file(w))
    w.referral.refresh_from_db()
    assert w.referral.status == ReferralStatus.STARTED


def test_a_declined_packet_answers_with_its_reason(w):
    imported = exchange.file_import(by=w.south.intake, data=_packet_file(w))
    partners.packet_decline(by=w.south.supervisor, packet=imported.packet, reason="no_capacity")
    exchange.file_import(by=w.north.supervisor, data=_answer_file(w))
    w.referral.refresh_from_db()
    sent = Packet.objects.get(referral=w.referral)
    assert (w.referral.status, sent.status, sent.decline_reason) == ("declined", "declined", "no_capacity")


def test_the_file_holds_no_case_code_and_no_identity_value_in_clear(w):
    data = _packet_file(w)
    for secret in (w.case.code, str(w.referral.uid), LEGAL_NAME, "김별", PHONE, "quiet room"):
        assert secret.encode() not in data
        assert json.dumps(secret).strip('"').encode() not in data  # nor JSON-escaped
    assert base64.b64encode(LEGAL_NAME.encode()) not in data
    entry = AuditEntry.objects.filter(event="packet.file_export").latest("seq")
    assert (entry.case_code, entry.additional_data) == (w.case.code, {"partner": w.remote_south.slug, "kind": "packet"})


def test_the_answer_file_names_no_case_of_the_receiver(w):
    imported = exchange.file_import(by=w.south.intake, data=_packet_file(w))
    case = partners.packet_accept(by=w.south.intake, packet=imported.packet, team=w.south.team)
    data = _answer_file(w)
    assert case.code.encode() not in data and str(imported.packet.uid).encode() not in data


# Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["ct", "nonce", "epk", "id", "sig"])
def test_a_tampered_file_is_refused_and_nothing_imported(w, field):
    data = _packet_file(w)
    envelope = json.loads(data)
    refusal = _refused(w.south, _edit(data, **{field: _flip(envelope[field])}), "tampered")
    assert "changed after it was signed" in refusal.messages[0]


@pytest.mark.parametrize("field", ["created", "kind", "to"])
def test_a_changed_header_is_refused(w, field):
    data = _packet_file(w)
    envelope = json.loads(data)
    changed = {
        "created": envelope["created"].replace("20", "19", 1),
        "kind": "answer",
        "to": _flip_text(envelope["to"]),
    }
    _refused(w.south, _edit(data, **{field: changed[field]}), "tampered")


def _flip_text(fingerprint):
    return ("1" if fingerprint[0] != "1" else "2") + fingerprint[1:]


def test_a_replayed_file_is_refused(w):
    data = _packet_file(w)
    exchange.file_import(by=w.south.intake, data=data)
    refusal = _refused(w.south, data, "replay")
    assert "already imported" in refusal.messages[0]
    assert partners.inbox(w.south.intake).count() == 1


def test_the_same_packet_downloaded_twice_imports_once(w):
    packet = _sent_packet(w)
    first = exchange.packet_export(by=w.north.lead, packet=packet).content
    second = exchange.packet_export(by=w.north.lead, packet=packet).content
    assert json.loads(first)["id"] != json.loads(second)["id"]
    exchange.file_import(by=w.south.intake, data=first)
    _refused(w.south, second, "replay")


def test_a_replayed_answer_is_refused(w):
    imported = exchange.file_import(by=w.south.intake, data=_packet_file(w))
    partners.packet_accept(by=w.south.intake, packet=imported.packet, team=w.south.team)
    answer = _answer_file(w)
    exchange.file_import(by=w.north.intake, data=answer)
    steps = w.referral.steps.count()
    _refused(w.north, answer, "replay")
    assert w.referral.steps.count() == steps


def test_the_same_answer_downloaded_twice_imports_once(w):
    imported = exchange.file_import(by=w.south.intake, data=_packet_file(w))
    partners.packet_accept(by=w.south.intake, packet=imported.packet, team=w.south.team)
    answer = exchange.answers_to_send(w.south.intake).get()
    first = exchange.answer_export(by=w.south.intake, answer=answer).content
    second = exchange.answer_export(by=w.south.intake, answer=answer).content
    exchange.file_import(by=w.north.intake, data=first)
    refusal = _refused(w.north, second, "replay")
    assert "answer was already imported" in refusal.messages[0]


def test_a_file_for_another_organisation_is_refused(w):
    # east knows north's key (the signature verifies there) but the file is south's.
    refusal = _refused(w.east, _packet_file(w), "wrong_recipient")
    assert "addressed to another organisation" in refusal.messages[0]


def test_a_file_from_an_unknown_sender_is_refused(w):
    # east signs a packet for south with south's real keys; south never confirmed east.
    south_card = keys.read_card(keys.key_card(w.south.org))
    side = PartnerSide(signing_key=keys.b64(south_card.signing), agreement_key=keys.b64(south_card.agreement))
    body = {"uid": "00000000-0000-4000-8000-000000000001", "categories": [], "service_type": "shelter"}
    data = exchange._seal(kind="packet", sender=w.east.org, side=side, body=body)
    refusal = _refused(w.south, data, "unknown_sender")
    assert "not your partner" in refusal.messages[0]


def test_a_forged_from_is_refused(w):
    data = _packet_file(w)
    east_fingerprint = keys.organisation_key(w.east.org).fingerprint
    _refused(w.south, _edit(data, **{"from": east_fingerprint}), "unknown_sender")


@pytest.mark.parametrize("data", [b"", b"not json", b"[]", b'{"v": 1}', b"{}" * 10])
def test_what_is_not_a_file_is_refused(w, data):
    _refused(w.south, data, "malformed")


def test_an_answer_about_a_packet_never_sent_is_refused(w):
    imported = exchange.file_import(by=w.south.intake, data=_packet_file(w))
    partners.packet_accept(by=w.south.intake, packet=imported.packet, team=w.south.team)
    answer = exchange.answers_to_send(w.south.intake).get()
    ReceivedFile.objects.filter(packet=answer.packet).update(remote_uid="00000000-0000-4000-8000-000000000002")
    data = exchange.answer_export(by=w.south.intake, answer=answer).content
    _refused(w.north, data, "unknown_packet")


def test_only_the_intake_imports_and_only_the_case_exports(w):
    data = _packet_file(w)
    with pytest.raises(Exception, match="may not"):
        exchange.file_import(by=w.south.admin, data=data)
    with pytest.raises(Exception):  # noqa: B017 (the permission layer's refusal)
        exchange.packet_export(by=w.south.lead, packet=Packet.objects.get(referral=w.referral))
    assert AnswerToSend.objects.count() == 0


# Keys and confirmation -------------------------------------------------------------------------


def test_the_key_card_reads_back_and_its_fingerprint_is_read_aloud_in_groups(w):
    card = keys.read_card(keys.key_card(w.south.org))
    assert card.name == "South"
    assert card.fingerprint == keys.organisation_key(w.south.org).fingerprint
    groups = keys.grouped(card.fingerprint).split(" ")
    assert len(groups) == 8 and all(len(group) == 4 for group in groups)
    assert keys.organisation_key(w.south.org).signing_private.startswith("cw2:")  # never in the clear


def test_a_damaged_or_own_key_card_is_refused(w):
    card = keys.key_card(w.south.org)
    with pytest.raises(ValidationError, match="damaged"):
        exchange.remote_partnership_add(by=w.east.admin, card=card[:-6])
    with pytest.raises(ValidationError, match="key card"):
        exchange.remote_partnership_add(by=w.east.admin, card="hello")
    with pytest.raises(ValidationError, match="own organisation"):
        exchange.remote_partnership_add(by=w.east.admin, card=keys.key_card(w.east.org))
    with pytest.raises(ValidationError, match="already"):
        exchange.remote_partnership_add(by=w.east.admin, card=keys.key_card(w.north.org))


def test_a_remote_partnership_is_active_only_once_the_fingerprint_is_compared(w):
    partnership = exchange.remote_partnership_add(by=w.east.admin, card=keys.key_card(w.south.org))
    assert not partnership.is_active
    with pytest.raises(ValidationError, match="fingerprint"):
        exchange.remote_partnership_confirm(by=w.east.supervisor, partnership=partnership, compared=False)
    partnership = exchange.remote_partnership_confirm(by=w.east.supervisor, partnership=partnership, compared=True)
    assert partnership.is_active
    events = AuditEntry.objects.filter(organisation=w.east.org, event__startswith="partnership.")
    assert list(events.order_by("seq").values_list("event", flat=True))[-2:] == [
        "partnership.propose",
        "partnership.confirm",
    ]


def test_a_file_from_a_partner_not_yet_confirmed_is_refused(w):
    partnership = exchange.remote_partnership_add(by=w.east.admin, card=keys.key_card(w.south.org))
    assert not partnership.is_active
    # south addresses a file to east through a side holding east's keys.
    east_card = keys.read_card(keys.key_card(w.east.org))
    side = PartnerSide(signing_key=keys.b64(east_card.signing), agreement_key=keys.b64(east_card.agreement))
    data = exchange._seal(kind="packet", sender=w.south.org, side=side, body={})
    _refused(w.east, data, "not_confirmed")


# Through the whole stack ------------------------------------------------------------------------


def test_uploading_a_tampered_file_answers_400_with_the_message(w, client, sign_in):
    data = _packet_file(w)
    envelope = json.loads(data)
    tampered = _edit(data, ct=_flip(envelope["ct"]))
    sign_in(client, w.south.intake)
    before = _state(w.south)
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("packet.cwp", tampered)})
    assert response.status_code == 400
    assert "changed after it was signed" in response.content.decode()
    assert _state(w.south) == before
    assert AuditEntry.objects.filter(event="packet.file_import", outcome="denied", organisation=w.south.org).exists()


def test_uploading_a_good_file_puts_the_packet_in_the_inbox(w, client, sign_in):
    data = _packet_file(w)
    sign_in(client, w.south.intake)
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("packet.cwp", data)})
    assert response.status_code == 302
    assert partners.inbox(w.south.intake).count() == 1


def test_whoever_does_not_work_the_intake_gets_404_from_the_import(w, client, sign_in):
    sign_in(client, w.south.admin)
    assert client.get(IMPORT_URL).status_code == 404


def test_uploading_an_answer_records_it_on_the_referral(w, client, sign_in):
    imported = exchange.file_import(by=w.south.intake, data=_packet_file(w))
    partners.packet_accept(by=w.south.intake, packet=imported.packet, team=w.south.team)
    data = _answer_file(w)
    sign_in(client, w.north.intake)
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("answer.cwp", data)})
    assert response.status_code == 302
    w.referral.refresh_from_db()
    assert w.referral.status == ReferralStatus.ACCEPTED


def test_private_keys_are_resealed_under_a_new_field_key_and_keep_their_fingerprint(w, settings):
    before = keys.organisation_key(w.south.org).fingerprint
    settings.FIELD_KEYS = [crypto.new_key(), *settings.FIELD_KEYS]
    assert keys.reseal_private_keys() >= 3
    key = keys.OrganisationKey.objects.get(organisation=w.south.org)
    assert crypto.token_key_id(key.signing_private) == crypto.newest_key_id()
    assert key.fingerprint == before
    settings.FIELD_KEYS = settings.FIELD_KEYS[:1]  # the old key gone: the private keys still open
    assert keys.b64(key.signer().public_key().public_bytes_raw()) == key.signing_public
    assert keys.b64(key.agreement().public_key().public_bytes_raw()) == key.agreement_public


# The pages -------------------------------------------------------------------------------------

pages = pytest.mark.django_db  # the pages are in the site's URLs
HOME = "/partners/exchange/"


@pages
def test_administrators_see_the_key_card_and_fingerprint(w, client, sign_in):
    sign_in(client, w.south.admin)
    page = client.get(HOME).content.decode()
    assert keys.key_card(w.south.org) in page
    assert keys.grouped(keys.organisation_key(w.south.org).fingerprint) in page
    assert keys.grouped(keys.organisation_key(w.north.org).fingerprint) in page  # the partner's
    sign_in(client, w.south.lead)
    assert keys.key_card(w.south.org) not in client.get(HOME).content.decode()


@pages
def test_an_administrator_adds_a_partner_from_its_card_and_a_supervisor_confirms_it_aloud(w, client, sign_in):
    sign_in(client, w.east.admin)
    response = client.post(f"{HOME}remote/new/", {"card": "casework-key-card-v1:garbage"})
    assert response.status_code == 400 and "damaged" in response.content.decode()
    response = client.post(f"{HOME}remote/new/", {"card": keys.key_card(w.south.org)})
    assert response.status_code == 302
    confirm_url = response["Location"]
    partnership = exchange.remote_sides(w.east.org.pk)[0].partnership
    assert str(partnership.uid) in confirm_url and not partnership.is_active
    assert client.post(confirm_url, {"compared": "on"}).status_code == 404  # administrators do not confirm

    sign_in(client, w.east.supervisor)
    page = client.get(confirm_url).content.decode()
    assert keys.grouped(keys.organisation_key(w.south.org).fingerprint) in page  # theirs
    assert keys.grouped(keys.organisation_key(w.east.org).fingerprint) in page  # ours
    response = client.post(confirm_url, {})
    assert response.status_code == 400 and "Compare the fingerprint aloud first" in response.content.decode()
    partnership.refresh_from_db()
    assert not partnership.is_active
    assert client.post(confirm_url, {"compared": "on"}).status_code == 302
    partnership.refresh_from_db()
    assert partnership.is_active


@pages
def test_a_packet_downloads_as_a_neutral_file_by_post_only(w, client, sign_in):
    packet = _sent_packet(w)
    url = f"{HOME}packets/{packet.uid}/file/"
    sign_in(client, w.north.lead)
    assert w.case.code in client.get(HOME).content.decode()  # listed on her page, for her
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    assert re.fullmatch(r'attachment; filename="packet-[0-9a-f]{12}\.cwp"', response["Content-Disposition"])
    assert exchange.file_import(by=w.south.intake, data=response.content).kind == "packet"
    sign_in(client, w.east.supervisor)
    assert client.post(url).status_code == 404  # not hers: the same as no such packet


@pages
def test_an_answer_downloads_for_the_intake(w, client, sign_in):
    imported = exchange.file_import(by=w.south.intake, data=_packet_file(w))
    partners.packet_decline(by=w.south.intake, packet=imported.packet, reason="not_safe")
    answer = exchange.answers_to_send(w.south.intake).get()
    sign_in(client, w.south.lead)
    assert client.post(f"{HOME}answers/{answer.uid}/file/").status_code == 404  # not in the intake
    sign_in(client, w.south.intake)
    assert "Declined" in client.get(HOME).content.decode()
    response = client.post(f"{HOME}answers/{answer.uid}/file/")
    assert response.status_code == 200
    exchange.file_import(by=w.north.intake, data=response.content)
    assert Packet.objects.get(referral=w.referral).decline_reason == "not_safe"


def test_after_the_partnership_ends_answers_still_arrive_and_new_packets_do_not(w):
    first = exchange.file_import(by=w.south.intake, data=_packet_file(w))
    partners.packet_accept(by=w.south.intake, packet=first.packet, team=w.south.team)
    answer = _answer_file(w)
    north_side = exchange.remote_sides(w.north.org.pk)[0].partnership
    partners.partnership_end(by=w.north.admin, partnership=north_side, reason="Moved on")
    exchange.file_import(by=w.north.intake, data=answer)
    w.referral.refresh_from_db()
    assert w.referral.status == ReferralStatus.ACCEPTED

    # A packet file that reaches south after south ended its side is refused.
    w.referral.refresh_from_db()
    late = Packet.objects.get(referral=w.referral)
    south_side = exchange.remote_sides(w.south.org.pk)[0].partnership
    data = exchange._seal(
        kind="packet",
        sender=w.north.org,
        side=late.partnership.side_of(late.recipient_id),
        body=exchange._packet_body(late),
    )
    partners.partnership_end(by=w.south.admin, partnership=south_side, reason="Moved on")
    _refused(w.south, data, "not_partner")


def test_every_exchange_page_goes_through_its_door():
    assert {pattern.callback.door for pattern in exchange_urls.urlpatterns} == {"partner_exchange"}


@pytest.mark.parametrize(
    "change",
    [
        {"identity": {"phones": '"not a list"'}},  # a field of the wrong shape
        {"identity": {"addresses": '"Somewhere"'}},  # a field her consent (the categories) left out
        {"service_type": "spa"},
        {"note": "x" * 501},
        {"uid": "not-a-uid"},
    ],
)
def test_a_signed_packet_whose_content_is_wrong_is_refused(w, change):
    packet = _sent_packet(w)
    body = {**exchange._packet_body(packet), **change}
    side = packet.partnership.side_of(packet.recipient_id)
    data = exchange._seal(kind="packet", sender=w.north.org, side=side, body=body)
    _refused(w.south, data, "malformed")


# Found by trying to break it ------------------------------------------------------------------


def _sealed_packet(w, **changes):
    """A packet file north really signs and seals to south, with ``changes`` to its content."""
    packet = _sent_packet(w)
    body = {**exchange._packet_body(packet), **changes}
    side = packet.partnership.side_of(packet.recipient_id)
    return exchange._seal(kind="packet", sender=w.north.org, side=side, body=body)


def test_no_packet_file_is_sealed_once_the_partnership_has_ended(w):
    packet = _sent_packet(w)
    partners.partnership_end(by=w.north.supervisor, partnership=packet.partnership, reason="The key may have leaked")
    assert list(exchange.packets_to_send(w.north.lead)) == []
    with pytest.raises(ValidationError, match="partnership has ended"):
        exchange.packet_export(by=w.north.lead, packet=packet)


def test_no_packet_file_is_sealed_once_her_consent_has_lapsed(w):
    packet = _sent_packet(w)
    with unaudited_writes("the test moves the consent's dates, as time passing would"):
        Referral.objects.filter(pk=w.referral.pk).update(consent_expires_on=timezone.localdate() - timedelta(days=1))
    assert list(exchange.packets_to_send(w.north.lead)) == []
    with pytest.raises(ValidationError, match="consent has lapsed"):
        exchange.packet_export(by=w.north.lead, packet=packet)


def test_a_packet_imported_once_stays_imported_after_the_partnership_is_set_up_again(w):
    first = exchange.file_import(by=w.south.intake, data=_packet_file(w))
    partners.packet_decline(by=w.south.intake, packet=first.packet, reason="no_capacity")
    partnership = first.packet.partnership
    partners.partnership_end(by=w.south.supervisor, partnership=partnership, reason="Keys exchanged again")
    _knows(w.south, w.north)  # the same card, a new remote row
    again = exchange.packet_export(by=w.north.lead, packet=Packet.objects.get(referral=w.referral)).content
    _refused(w.south, again, "replay")


def test_an_answer_that_no_longer_fits_is_a_refusal_in_the_trail(w):
    imported = exchange.file_import(by=w.south.intake, data=_packet_file(w))
    partners.packet_withdraw(by=w.north.lead, packet=Packet.objects.get(referral=w.referral))  # south not told yet
    partners.packet_accept(by=w.south.intake, packet=imported.packet, team=w.south.team)
    _refused(w.north, _answer_file(w), "out_of_order")
    w.referral.refresh_from_db()
    assert w.referral.status == ReferralStatus.WITHDRAWN


@pytest.mark.parametrize(
    "data",
    [b"[" * 200_000, b'{"v": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"],
    ids=["deep", "deep-inside"],
)
def test_deeply_nested_json_is_refused_not_a_crash(w, data):
    _refused(w.south, data, "malformed")


def test_a_header_id_of_the_wrong_size_is_refused_before_anything_else(w):
    _refused(w.south, _edit(_packet_file(w), id="A" * 60), "malformed")


@pytest.mark.parametrize(
    "changes",
    [
        {"uid": 12345},
        {"identity": {"legal_name": json.dumps("x" * 10_000)}},
        {"needs": [{"category": "shelter", "urgency": "low"}] * 60},
    ],
    ids=["numeric-uid", "long-name", "many-needs"],
)
def test_a_signed_packet_with_content_no_form_would_take_is_refused(w, changes):
    _refused(w.south, _sealed_packet(w, **changes), "malformed")


def test_a_key_card_with_a_key_that_agrees_on_nothing_is_refused(w):
    body = {"name": "Low order", "signing": keys.organisation_key(w.north.org).signing_public}
    body["agreement"] = keys.b64(bytes(32))
    card = keys.CARD_PREFIX + keys.b64(json.dumps(body).encode())
    with pytest.raises(ValidationError, match="damaged or incomplete"):
        keys.read_card(card)
