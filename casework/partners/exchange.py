"""Packets and answers as files, for partners that run their own server.

A partner on another server is a remote ``Organisation`` here, known by the key card its
administrator gave ours, and trusted once a supervisor has compared its fingerprint aloud
with the partner's supervisor. A packet sent to it, and an answer to a packet it sent us,
leave as a file someone downloads and carries (by whatever safe channel the two agree):

    {"v": 1, "kind": "packet" | "answer", "id": <random message id>,
     "from": <sender's fingerprint>, "to": <recipient's fingerprint>, "created": <time>,
     "epk": <ephemeral X25519 public key>, "nonce": <AES-GCM nonce>, "ct": <ciphertext>,
     "sig": <Ed25519 signature by the sender's organisation key>}

The content key is HKDF-SHA256 over the X25519 secret of the ephemeral key and the
recipient's encryption key, with both fingerprints and the ephemeral key in its info; the
content is AES-256-GCM with the header (everything but ``ct`` and ``sig``) as associated
data; the signature covers the canonical JSON of everything but ``sig``. Identity values
are in the clear only inside the ciphertext. No case code, referral id or person's name
of either side is in a file: a packet is named by its own random uid.

Importing checks, in order: the file's form, that ``from`` is a partner we know, its
signature, that the partnership is confirmed, that ``to`` is us, the decryption, that the
message (and, for a packet, the packet) was not imported before, and the content. Any
refusal imports nothing and is kept in the trail with a reason code, never content.
"""

import datetime
import json
import os
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.models import Membership, Organisation, Role, active_membership
from casework.accounts.models import workspace_is_empty
from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.cases.choices import (
    IDENTITY_CATEGORIES,
    AgeBand,
    Language,
    Nationality,
    ReferralStatus,
    Region,
    RiskLevel,
    ServiceType,
    ShareCategory,
    Urgency,
)
from casework.cases.models import Case
from casework.cases.services.common import require
from casework.cases.services.referrals import moves_from
from casework.identity.models import DATE, FIELDS_BY_NAME, LINES
from casework.partners import keys
from casework.partners import services as partners
from casework.partners.exchange_models import AnswerToSend, FileKind, ReceivedFile
from casework.partners.keys import b64, unb64
from casework.partners.models import DeclineReason, Packet, PacketLink, PacketStatus, Partnership, PartnerSide

VERSION = 1
MAX_FILE_BYTES = 1024 * 1024
SIGNED = b"casework-file-v1 signature\0"
KEY_INFO = b"casework-file-v1 content key\0"
HEADER = ("v", "kind", "id", "from", "to", "created", "epk", "nonce")
# What a packet's file carries besides its uid and identity values.
PACKET_FIELDS = (
    *("categories", "service_type", "urgency", "needs", "risk_level"),
    *("age_band", "nationality", "region", "languages", "note"),
)
ANSWERS = (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.STARTED, ReferralStatus.COMPLETED)


class FileRefused(ValidationError):
    """A file refused on import: the message says why, in words; ``code`` is what the audit
    entry keeps (never content)."""


@dataclass(frozen=True)
class ExportedFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class Imported:
    kind: str
    packet: Packet
    partner: Organisation


# Who may do what -----------------------------------------------------------------------------


def _holds(membership: Membership | None, *roles: str, shown: bool = False) -> bool:
    """Whether ``membership`` holds one of ``roles`` here; while her workspace is emptied
    (frozen, travelling, under duress) she holds none, unless ``shown``: what a page offers,
    which looks the same then as on any day."""
    if membership is None or not membership.is_active or not membership.is_vouched:
        return False
    return membership.role in roles and (shown or not workspace_is_empty(membership.user))


def keeps_keys(membership: Membership | None, *, shown: bool = False) -> bool:
    """Administrators set partnerships up, supervisors confirm them: both see the key card."""
    return _holds(membership, Role.ADMIN, Role.SUPERVISOR, shown=shown)


def adds_partners(membership: Membership | None, *, shown: bool = False) -> bool:
    return _holds(membership, Role.ADMIN, shown=shown)


def confirms_partners(membership: Membership | None, *, shown: bool = False) -> bool:
    return _holds(membership, Role.SUPERVISOR, shown=shown)


def carries_files(membership: Membership | None, *, shown: bool = False) -> bool:
    """Caseworkers and supervisors: packets of the cases they work on, answers of the intake."""
    return _holds(membership, Role.CASEWORKER, Role.SUPERVISOR, shown=shown)


def imports_files(membership: Membership | None, *, shown: bool = False) -> bool:
    """Whoever works the partner intake imports files (packets, and answers to ours)."""
    return partners.works_intake(membership, shown=shown)


def _require(by: User, allowed: Any) -> Membership:
    membership = active_membership(by)
    if not allowed(membership):
        raise PermissionDenied(_("You may not do this."))
    assert membership is not None
    return membership


# Remote partnerships -------------------------------------------------------------------------


def side_fingerprint(side: PartnerSide) -> str:
    return keys.fingerprint(unb64(side.signing_key), unb64(side.agreement_key))


def remote_sides(organisation_id: int, *, live: bool = True) -> list[PartnerSide]:
    """The remote partners' sides of this organisation's partnerships (live ones first)."""
    partnerships = Partnership.objects.of(organisation_id)
    if live:
        partnerships = partnerships.live()
    return list(
        PartnerSide.objects.filter(partnership__in=partnerships, organisation__is_remote=True)
        .select_related("organisation", "partnership")
        .order_by(F("partnership__ended_at").asc(nulls_first=True), "-partnership__created_at")
    )


@transaction.atomic
def remote_partnership_add(*, by: User, card: str) -> Partnership:
    """An administrator pastes a partner's key card: a remote organisation with its public
    keys, and a partnership her side has proposed. It becomes active when a supervisor
    has compared the fingerprint aloud (``remote_partnership_confirm``)."""
    membership = _require(by, adds_partners)
    own = membership.organisation
    card_read = keys.read_card(card)
    if card_read.fingerprint == keys.organisation_key(own).fingerprint:
        raise ValidationError(_("This is your own organisation's key card: paste the partner's."))
    if any(side_fingerprint(side) == card_read.fingerprint for side in remote_sides(own.pk)):
        raise ValidationError(_("A partnership with the owner of this key is already set up or waiting."))
    remote = Organisation.objects.create(name=card_read.name, slug=f"remote-{secrets.token_hex(5)}", is_remote=True)
    now = timezone.now()
    partnership = Partnership.objects.create(first_id=own.pk, second_id=remote.pk)  # the remote row is newer
    PartnerSide.objects.create(partnership=partnership, organisation=own, proposed_by=by, proposed_at=now)
    PartnerSide.objects.create(
        partnership=partnership,
        organisation=remote,
        proposed_at=now,  # its key card is its proposal
        signing_key=b64(card_read.signing),
        agreement_key=b64(card_read.agreement),
    )
    record(event=events.PARTNERSHIP_PROPOSE, actor=by, organisation=own.pk, details={"partner": remote.slug})
    return partnership


def remote_partnership_confirm(*, by: User, partnership: Partnership, compared: bool) -> Partnership:
    """A supervisor confirms a partnership with a partner on another server, having read
    both fingerprints aloud with its supervisor (``compared``): it is then active."""
    return partners.partnership_confirm(by=by, partnership=partnership, fingerprint_compared=compared)


def remote_partnership_of(user: User, uid: str) -> Partnership | None:
    """A live partnership of her organisation with a remote partner, by uid; None otherwise."""
    membership = active_membership(user)
    try:
        key = uuid.UUID(str(uid))
    except ValueError:
        return None
    if membership is None:
        return None
    found = Partnership.objects.of(membership.organisation_id).live().filter(uid=key).first()
    if found is None or not found.other_side(membership.organisation_id).organisation.is_remote:
        return None
    return found


# Sealing and opening files ---------------------------------------------------------------


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _content_key(shared: bytes, header: dict[str, Any]) -> bytes:
    info = KEY_INFO + "\0".join([header["from"], header["to"], header["epk"]]).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def _seal(*, kind: str, sender: Organisation, side: PartnerSide, body: dict[str, Any]) -> bytes:
    """``body`` encrypted to the partner of ``side`` and signed by ``sender``'s key."""
    own = keys.organisation_key(sender)
    ephemeral = X25519PrivateKey.generate()
    nonce = os.urandom(12)
    header = {
        "v": VERSION,
        "kind": kind,
        "id": b64(os.urandom(16)),
        "from": own.fingerprint,
        "to": side_fingerprint(side),
        "created": timezone.now().isoformat(timespec="seconds"),
        "epk": b64(ephemeral.public_key().public_bytes_raw()),
        "nonce": b64(nonce),
    }
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(unb64(side.agreement_key)))
    except ValueError:  # a key no card could bring in now (read_card refuses it): nothing is sealed
        raise ValidationError(_("The partner's key cannot be used: set the partnership up again.")) from None
    ciphertext = AESGCM(_content_key(shared, header)).encrypt(nonce, _canonical(body), _canonical(header))
    envelope = {**header, "ct": b64(ciphertext)}
    envelope["sig"] = b64(own.signer().sign(SIGNED + _canonical(envelope)))
    return json.dumps(envelope, sort_keys=True, indent=1).encode()


def _refused(message: str, code: str) -> FileRefused:
    return FileRefused(message, code=code)


def _parse(data: bytes) -> dict[str, Any]:
    malformed = _refused(_("This is not a casework file, or it is damaged: nothing was imported."), "malformed")
    if len(data) > MAX_FILE_BYTES:
        raise malformed
    try:
        envelope = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise malformed from None
    if not isinstance(envelope, dict) or set(envelope) != {*HEADER, "ct", "sig"}:
        raise malformed
    if type(envelope["v"]) is not int or envelope["v"] != VERSION or envelope["kind"] not in FileKind.values:
        raise _refused(_("This file was made by another version of casework: nothing was imported."), "version")
    if not all(isinstance(envelope[name], str) for name in (*HEADER[1:], "ct", "sig")):
        raise malformed
    if not _well_formed_header(envelope):
        raise malformed
    return envelope


# The sizes a header's values have when casework wrote them (bytes, once decoded).
HEADER_BYTES = {"id": 16, "epk": 32, "nonce": 12, "sig": 64}


def _well_formed_header(envelope: dict[str, Any]) -> bool:
    try:
        sizes = all(len(unb64(envelope[name])) == size for name, size in HEADER_BYTES.items())
        created = datetime.datetime.fromisoformat(envelope["created"])
    except ValueError:
        return False
    return sizes and created is not None and len(envelope["from"]) < 100 and len(envelope["to"]) < 100


def _sides_of(organisation_id: int, fingerprint: str) -> list[PartnerSide]:
    """The remote sides holding the keys of ``fingerprint``, the live partnership first."""
    return [side for side in remote_sides(organisation_id, live=False) if side_fingerprint(side) == fingerprint]


def _sender_side(organisation_id: int, envelope: dict[str, Any]) -> PartnerSide:
    sides = _sides_of(organisation_id, envelope["from"])
    if sides:
        return sides[0]
    raise _refused(
        _("This file comes from an organisation that is not your partner: nothing was imported."), "unknown_sender"
    )


def _verify(envelope: dict[str, Any], side: PartnerSide) -> None:
    signed = {name: value for name, value in envelope.items() if name != "sig"}
    try:
        Ed25519PublicKey.from_public_bytes(unb64(side.signing_key)).verify(
            unb64(envelope["sig"]), SIGNED + _canonical(signed)
        )
    except (InvalidSignature, ValueError):
        raise _tampered() from None


def _tampered() -> FileRefused:
    return _refused(
        _(
            "This file was changed after it was signed, or it is damaged: nothing was imported. "
            "Ask the partner to send it again."
        ),
        "tampered",
    )


def _decrypt(envelope: dict[str, Any], own: keys.OrganisationKey) -> dict[str, Any]:
    header = {name: envelope[name] for name in HEADER}
    try:
        shared = own.agreement().exchange(X25519PublicKey.from_public_bytes(unb64(envelope["epk"])))
        key = _content_key(shared, header)
        plaintext = AESGCM(key).decrypt(unb64(envelope["nonce"]), unb64(envelope["ct"]), _canonical(header))
        body = json.loads(plaintext.decode("utf-8"))
    except (InvalidTag, ValueError, UnicodeDecodeError, RecursionError):
        raise _tampered() from None
    if not isinstance(body, dict):
        raise _refused(_("This is not a casework file, or it is damaged: nothing was imported."), "malformed")
    return body


# Packets as files ------------------------------------------------------------------------------


def packets_to_send(user: User) -> QuerySet[Packet]:
    """Packets of the cases she may change, sent to partners on another server and not yet
    answered: each waits for someone to download its file and carry it."""
    cases = Case.objects.restrict(user, "change").values("pk")
    return (
        Packet.objects.filter(status=PacketStatus.SENT, recipient__is_remote=True, referral__case__in=cases)
        .filter(partnership__ended_at__isnull=True)
        .exclude(partners.consent_lapsed())
        .select_related("referral__case", "recipient")
        .order_by("sent_at", "pk")
    )


def _packet_body(packet: Packet) -> dict[str, Any]:
    # The packet's own uid names it to the partner; the sender's case and referral stay here.
    body: dict[str, Any] = {name: getattr(packet, name) for name in PACKET_FIELDS}
    body["uid"] = str(packet.uid)
    body["identity"] = {name: packet.open_identity(name) for name in packet.identity}
    return body


@transaction.atomic
def packet_export(*, by: User, packet: Packet) -> ExportedFile:
    """The file of a packet sent to a partner on another server, for someone who may change
    the case it comes from. It may be downloaded again (a file lost on the way); the
    partner imports it once."""
    packet = Packet.objects.select_related("referral__case", "recipient", "sender", "partnership").get(pk=packet.pk)
    if packet.referral is None:
        raise PermissionDenied(_("You may not do this."))
    case = packet.referral.case
    require(by, case, "change")
    if packet.status != PacketStatus.SENT or not packet.recipient.is_remote:
        raise ValidationError(
            _("Only a packet sent to a partner on another server, not yet answered, leaves as a file.")
        )
    # A partnership ended (its key may have leaked), or her consent lapsed since it was sent:
    # nothing more is sealed to the partner.
    if packet.partnership.ended_at is not None:
        raise ValidationError(_("The partnership has ended: this packet cannot leave."))
    if Packet.objects.filter(pk=packet.pk).filter(partners.consent_lapsed()).exists():
        raise ValidationError(_("Her consent has lapsed since the packet was sent: it cannot leave."))
    side = packet.partnership.side_of(packet.recipient_id)
    content = _seal(kind=FileKind.PACKET, sender=packet.sender, side=side, body=_packet_body(packet))
    details = {"partner": packet.recipient.slug, "kind": FileKind.PACKET.value}
    record(event=events.PACKET_FILE_EXPORT, actor=by, case=case, details=details)
    return ExportedFile(name=f"packet-{secrets.token_hex(6)}.cwp", content=content)


def _choice(value: Any, choices: Any, blank: bool = False) -> str:
    if not isinstance(value, str) or not (value in choices.values or (blank and value == "")):
        raise ValueError("not a choice")
    return value


# No more than a form takes: an identity value (as stored, JSON), the needs of one packet.
IDENTITY_VALUE_MAX = 4000
NEEDS_MAX = 50


def _packet_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The packet's fields from a file's content, each checked as a form would; ValueError otherwise."""
    categories = body["categories"]
    if not isinstance(categories, list) or not all(_choice(category, ShareCategory) for category in categories):
        raise ValueError("categories")
    needs = body["needs"]
    if (
        not isinstance(needs, list)
        or len(needs) > NEEDS_MAX
        or not all(isinstance(need, dict) and set(need) == {"category", "urgency"} for need in needs)
    ):
        raise ValueError("needs")
    for need in needs:
        _choice(need["category"], ServiceType), _choice(need["urgency"], Urgency)
    languages = body["languages"]
    if not isinstance(languages, list) or not all(_choice(language, Language) for language in languages):
        raise ValueError("languages")
    note = body["note"]
    if not isinstance(note, str) or len(note) > 500:
        raise ValueError("note")
    return {
        "uid": uuid.UUID(body["uid"]),
        "categories": categories,
        "service_type": _choice(body["service_type"], ServiceType),
        "urgency": _choice(body["urgency"], Urgency),
        "needs": needs,
        "risk_level": _choice(body["risk_level"], RiskLevel, blank=True),
        "age_band": _choice(body["age_band"], AgeBand, blank=True),
        "nationality": _choice(body["nationality"], Nationality, blank=True),
        "region": _choice(body["region"], Region, blank=True),
        "languages": languages,
        "note": note,
        "identity": _identity_values(body["identity"], categories),
    }


def _identity_values(identity: Any, categories: list[str]) -> dict[str, str]:
    """Identity values as the packet carries them (each field's dump), only for categories it holds."""
    if not isinstance(identity, dict):
        raise ValueError("identity")
    for name, text in identity.items():
        if name not in IDENTITY_CATEGORIES or name not in categories or not isinstance(text, str):
            raise ValueError("identity")
        if len(text) > IDENTITY_VALUE_MAX:
            raise ValueError("identity")
        if not _fits(FIELDS_BY_NAME[name].kind, FIELDS_BY_NAME[name].load(text)):
            raise ValueError("identity")
    return identity


def _fits(kind: str, value: Any) -> bool:
    """Whether a loaded identity value has its field's shape (a date, lines of text, text)."""
    if kind == DATE:
        return isinstance(value, datetime.date)
    if kind == LINES:
        return isinstance(value, list) and all(isinstance(line, str) for line in value)
    return isinstance(value, str)


def _import_packet(
    *, by: User, own: Organisation, side: PartnerSide, envelope: dict[str, Any], body: dict[str, Any]
) -> Packet:
    if side.partnership.ended_at is not None:
        raise _refused(
            _("The partnership with this organisation has ended: it cannot send new packets."), "not_partner"
        )
    try:
        fields = _packet_fields(body)
    except (KeyError, ValueError, TypeError, AttributeError, RecursionError):
        raise _refused(
            _("This packet's content is not what casework sends: nothing was imported."), "malformed"
        ) from None
    remote_uid, identity = fields.pop("uid"), fields.pop("identity")
    seen = ReceivedFile.objects.filter(
        organisation=own, sender__in=_same_keys(own, envelope), kind=FileKind.PACKET, remote_uid=remote_uid
    )
    if seen.exists():
        raise _refused(_("This packet was already imported, from another copy of its file."), "replay")
    packet = Packet(
        partnership=side.partnership,
        sender=side.organisation,
        recipient=own,
        referral=None,
        status=PacketStatus.SENT,
        sent_at=timezone.now(),
        imported=True,
        **fields,
    )
    # Stored as a packet built here stores them: encrypted at rest, bound to this packet.
    packet.identity = {name: packet.seal_identity(name, text) for name, text in identity.items()}
    packet.save()
    _keep_received(by=by, own=own, side=side, envelope=envelope, packet=packet, remote_uid=remote_uid)
    details = {
        "partner": side.organisation.slug,
        "kind": FileKind.PACKET.value,
        "categories": sorted(packet.categories),
    }
    # The import is also the packet's arrival: one entry, by whoever imported it.
    record(event=events.PACKET_FILE_IMPORT, actor=by, organisation=own.pk, details=details)
    return packet


def _same_keys(own: Organisation, envelope: dict[str, Any]) -> list[int]:
    """Every remote organisation row of the sender's keys: a partnership ended and set up
    again makes a new row, and what was imported under the old one stays imported."""
    return [side.organisation_id for side in _sides_of(own.pk, envelope["from"])]


def _keep_received(
    *, by: User, own: Organisation, side: PartnerSide, envelope: dict[str, Any], packet: Packet, remote_uid: Any = None
) -> None:
    """The message id, kept so that the file never imports twice (the unique constraint
    decides between two imports of the same file at the same moment)."""
    try:
        with transaction.atomic():
            ReceivedFile.objects.create(
                organisation=own,
                message_id=envelope["id"],
                kind=envelope["kind"],
                sender=side.organisation,
                packet=packet,
                remote_uid=remote_uid,
                received_by=by,
            )
    except IntegrityError:
        raise _replay() from None


def _replay() -> FileRefused:
    return _refused(_("This file was already imported: nothing was imported again."), "replay")


# Importing --------------------------------------------------------------------------------------


def file_import(*, by: User, data: bytes) -> Imported:
    """Import a file from a partner on another server: a packet into this organisation's
    inbox, or an answer to a packet it sent. FileRefused says why a file is refused; then
    nothing is imported and the refusal is kept in the trail (reason code only).

    Not one transaction on purpose: the import is (and rolls back whole), the refusal's
    entry is written after it, so that the trail keeps it. In a request, the view answers
    the refusal (rather than raising it) so that the request's transaction commits it.
    """
    membership = _require(by, imports_files)
    try:
        return _import(by=by, membership=membership, data=data)
    except FileRefused as refusal:
        details = {"refused": refusal.code or "refused"}
        record(
            event=events.PACKET_FILE_IMPORT,
            actor=by,
            outcome=Outcome.DENIED,
            organisation=membership.organisation_id,
            details=details,
        )
        raise


@transaction.atomic
def _import(*, by: User, membership: Membership, data: bytes) -> Imported:
    own = membership.organisation
    envelope = _parse(data)
    side = _sender_side(own.pk, envelope)
    _verify(envelope, side)
    if side.confirmed_at is None or side.partnership.active_since is None:
        raise _refused(
            _("The fingerprint of this partner has not been compared and confirmed yet: nothing was imported."),
            "not_confirmed",
        )
    own_key = keys.organisation_key(own)
    if envelope["to"] != own_key.fingerprint:
        raise _refused(_("This file is addressed to another organisation: nothing was imported."), "wrong_recipient")
    body = _decrypt(envelope, own_key)
    if ReceivedFile.objects.filter(organisation=own, message_id=envelope["id"]).exists():
        raise _replay()
    if envelope["kind"] == FileKind.PACKET:
        packet = _import_packet(by=by, own=own, side=side, envelope=envelope, body=body)
    else:
        packet = _import_answer(by=by, own=own, side=side, envelope=envelope, body=body)
    return Imported(kind=envelope["kind"], packet=packet, partner=side.organisation)


# Answers as files --------------------------------------------------------------------------------


def answer_queue(packet: Packet, status: str) -> None:
    """An answer to a packet imported from another server, kept to download as a file
    (``_answer_sender`` calls this where it would write a step on a local sender's referral)."""
    if not packet.imported:
        return
    if AnswerToSend.objects.filter(packet=packet, answer=status).exists():
        raise ValidationError(_("This answer was already given: it waits to be carried, or has been."))
    reason = packet.decline_reason if status == ReferralStatus.DECLINED else ""
    AnswerToSend.objects.create(packet=packet, answer=status, reason=reason, on=timezone.localdate())


def answers_to_send(user: User) -> QuerySet[AnswerToSend]:
    """Answers of her organisation waiting to go back, if she works the partner intake."""
    membership = active_membership(user)
    if not imports_files(membership):
        return AnswerToSend.objects.none()
    assert membership is not None
    return AnswerToSend.objects.filter(packet__recipient_id=membership.organisation_id).select_related("packet__sender")


@transaction.atomic
def answer_export(*, by: User, answer: AnswerToSend) -> ExportedFile:
    """The file of an answer, encrypted to the partner that sent the packet, signed by ours."""
    membership = _require(by, imports_files)
    locked = (
        AnswerToSend.objects.select_for_update(of=("self",))
        .select_related("packet__sender", "packet__partnership")
        .filter(pk=answer.pk, packet__recipient_id=membership.organisation_id)
        .first()
    )
    if locked is None:
        raise PermissionDenied(_("You may not do this."))
    answer, packet = locked, locked.packet
    received = ReceivedFile.objects.get(organisation=membership.organisation, packet=packet, kind=FileKind.PACKET)
    body = {
        "uid": str(answer.uid),
        "packet": str(received.remote_uid),
        "answer": answer.answer,
        "reason": answer.reason,
        "on": answer.on.isoformat(),
    }
    side = packet.partnership.side_of(packet.sender_id)
    content = _seal(kind=FileKind.ANSWER, sender=membership.organisation, side=side, body=body)
    answer.downloaded_at, answer.downloaded_by = timezone.now(), by
    answer.save(update_fields=["downloaded_at", "downloaded_by"])
    link = PacketLink.objects.filter(packet=packet).select_related("case").first()
    details = {"partner": packet.sender.slug, "kind": FileKind.ANSWER.value, "answer": answer.answer}
    if link is not None:
        record(event=events.PACKET_FILE_EXPORT, actor=by, case=link.case, details=details)
    else:
        record(event=events.PACKET_FILE_EXPORT, actor=by, organisation=membership.organisation_id, details=details)
    return ExportedFile(name=f"answer-{secrets.token_hex(6)}.cwp", content=content)


def _answer_fields(body: dict[str, Any]) -> tuple[uuid.UUID, uuid.UUID, str, str]:
    answer, reason = body["answer"], body["reason"]
    if answer not in ANSWERS or not isinstance(reason, str):
        raise ValueError("answer")
    if reason and (answer != ReferralStatus.DECLINED or reason not in DeclineReason.values):
        raise ValueError("reason")
    return uuid.UUID(body["uid"]), uuid.UUID(body["packet"]), answer, reason


def _import_answer(
    *, by: User, own: Organisation, side: PartnerSide, envelope: dict[str, Any], body: dict[str, Any]
) -> Packet:
    """The partner's answer, with the same effect as a local partner's: a step on our
    referral by the partner organisation, and the packet closed once accepted or declined."""
    try:
        answer_uid, remote_uid, answer, reason = _answer_fields(body)
    except (KeyError, ValueError, TypeError, AttributeError, RecursionError):
        raise _refused(
            _("This answer's content is not what casework sends: nothing was imported."), "malformed"
        ) from None
    packet = (
        Packet.objects.select_for_update(of=("self",))
        .select_related("referral__case", "recipient")
        .filter(uid=remote_uid, sender=own, referral__isnull=False)
        # Any remote row of the same keys: the packet may predate a partnership set up anew.
        .filter(recipient__in=[other.organisation_id for other in _sides_of(own.pk, envelope["from"])])
        .first()
    )
    if packet is None:
        raise _refused(
            _("This answer is about a packet your organisation did not send to this partner."), "unknown_packet"
        )
    seen = ReceivedFile.objects.filter(organisation=own, sender__in=_same_keys(own, envelope), kind=FileKind.ANSWER)
    if seen.filter(remote_uid=answer_uid).exists():
        raise _refused(_("This answer was already imported, from another copy of its file."), "replay")
    closes = answer in (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED)
    assert packet.referral is not None
    if (closes and packet.status != PacketStatus.SENT) or answer not in moves_from(packet.referral.status):
        # Withdrawn meanwhile (the partner was not told in time), or out of order: it
        # changes nothing here, and the refusal is in the trail.
        raise _refused(
            _("This answer no longer fits the referral (withdrawn, closed or already further): nothing was imported."),
            "out_of_order",
        )
    _keep_received(by=by, own=own, side=side, envelope=envelope, packet=packet, remote_uid=answer_uid)
    if closes and packet.status == PacketStatus.SENT:
        packet.decline_reason = reason
        partners._close(packet, answer)
    partners._answer_sender(packet, answer)
    details = {"partner": side.organisation.slug, "kind": FileKind.ANSWER.value, "answer": answer}
    record(event=events.PACKET_FILE_IMPORT, actor=by, case=packet.referral.case, details=details)
    return packet
