"""Partnerships and packets: every act checks who may do it and records it on its own side.

Each side's trail holds only what is its own: the sender's entries are about the sender's
case (under its code), the receiver's about the receiver's (under its code, once there is
one); an entry one side's act writes into the other side's trail names no actor. No entry,
message or page on either side carries the other side's case code.
"""

import datetime
import re
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.models import Membership, Organisation, Role, Team, active_membership
from casework.access.services.cases import case_open
from casework.accounts.models import workspace_is_empty
from casework.audit import events
from casework.audit.context import without_actor
from casework.audit.services import record
from casework.cases import codes
from casework.cases.choices import IDENTITY_CATEGORIES, IntakeSource, ReferralStatus, ShareCategory
from casework.cases.models import UNRESOLVED_NEED, Case, Referral
from casework.cases.services.common import require
from casework.cases.services.needs import need_add
from casework.cases.services.referrals import consent_problem, referral_partner_answer, referral_transition
from casework.identity.models import FIELDS_BY_NAME, Identity
from casework.identity.services import identity_save
from casework.keystore import services as keystore
from casework.partners.models import (
    LIVE_PACKET,
    OPEN_PACKET,
    Answer,
    ConsentNotice,
    DeclineReason,
    Packet,
    PacketLink,
    PacketStatus,
    Partnership,
    PartnerSide,
)

# The profile fields a packet copies from the case, each under its own category.
PROFILE_CATEGORIES = {
    ShareCategory.RISK: "risk_level",
    ShareCategory.AGE_BAND: "age_band",
    ShareCategory.NATIONALITY: "nationality",
    ShareCategory.REGION: "region",
    ShareCategory.LANGUAGES: "languages",
}
DIRECTORY_FIELDS = ("services", "regions", "languages", "reach")


# Who may do what ----------------------------------------------------------------------------


def _membership(user: User, *roles: str) -> Membership:
    membership: Membership | None = active_membership(user)
    if membership is None or membership.role not in roles or not membership.is_vouched or workspace_is_empty(user):
        raise PermissionDenied(_("You may not do this."))
    return membership


def works_intake(membership: Membership | None, *, shown: bool = False) -> bool:
    """Whether she works her organisation's partner intake inbox: its supervisors, and the
    caseworkers they named. Frozen, travelling or under duress she works nothing, unless
    ``shown``: the pages she is offered, which open then as on any day, with nothing in them."""
    if membership is None or not membership.is_active or not membership.is_vouched:
        return False
    if workspace_is_empty(membership.user) and not shown:
        return False
    return membership.role == Role.SUPERVISOR or (membership.role == Role.CASEWORKER and membership.receives_packets)


def _require_intake(by: User) -> Membership:
    membership: Membership | None = active_membership(by)
    if not works_intake(membership):
        raise PermissionDenied(_("You may not do this."))
    assert membership is not None
    return membership


# Partnerships -------------------------------------------------------------------------------


def partnerships_of(organisation: Organisation) -> QuerySet[Partnership]:
    partnerships: QuerySet[Partnership] = Partnership.objects.of(organisation)
    return partnerships.prefetch_related("sides__organisation")


@transaction.atomic
def partnership_propose(*, by: User, partner: Organisation, **directory: Any) -> Partnership:
    """An administrator proposes (or agrees to) a partnership with ``partner``; it becomes
    active once a supervisor of each side has confirmed it. ``directory``: her own side's
    entry in the partner's directory."""
    membership = _membership(by, Role.ADMIN)
    own = membership.organisation
    if partner.pk == own.pk or partner.is_remote:
        raise ValidationError(_("Choose another organisation on this server."))
    partnership = _live_partnership(own, partner)
    side = partnership.sides.get(organisation=own)
    if side.proposed_at is not None:
        raise ValidationError(_("Your organisation has already proposed this partnership."))
    side.proposed_by, side.proposed_at = by, timezone.now()
    _set_directory(side, directory)
    side.save()
    record(event=events.PARTNERSHIP_PROPOSE, actor=by, organisation=own.pk, details={"partner": partner.slug})
    _tell_partner(partnership, own, events.PARTNERSHIP_PROPOSE)
    return partnership


def _live_partnership(own: Organisation, partner: Organisation) -> Partnership:
    """The live partnership of the pair, locked; made (with its two sides) if there is none.
    Both administrators proposing at the same moment: the second finds the first's."""
    low, high = sorted([own.pk, partner.pk])
    live = Partnership.objects.select_for_update().live().filter(first_id=low, second_id=high)
    partnership: Partnership | None = live.first()
    if partnership is not None:
        return partnership
    try:
        with transaction.atomic():
            partnership = Partnership.objects.create(first_id=low, second_id=high)
            PartnerSide.objects.create(partnership=partnership, organisation=partner)
            PartnerSide.objects.create(partnership=partnership, organisation=own)
    except IntegrityError:  # partnership_one_live_per_pair: the other one was first
        found: Partnership = live.get()
        return found
    return partnership


def _set_directory(side: PartnerSide, directory: dict[str, Any]) -> None:
    unknown = set(directory) - set(DIRECTORY_FIELDS)
    if unknown:
        raise TypeError(f"Not directory fields: {sorted(unknown)}")
    for name, value in directory.items():
        setattr(side, name, value)


def _tell_partner(partnership: Partnership, acting: Organisation, event: events.Event) -> None:
    """The same act, in the other side's trail: what its own reviewers must know."""
    _tell(partnership.other_side(acting).organisation, event, about=acting, by_partner=True)


def _tell(organisation: Organisation, event: events.Event, *, about: Organisation, **details: Any) -> None:
    """An entry in ``organisation``'s trail about an act of ``about`` (its partner), with no
    actor: the person who acted is not the other organisation's to know. A partner on another
    server keeps its own trail."""
    if organisation.is_remote:
        return
    with without_actor():
        record(event=event, actor=None, organisation=organisation.pk, details={"partner": about.slug, **details})


@transaction.atomic
def partnership_confirm(*, by: User, partnership: Partnership, fingerprint_compared: bool = False) -> Partnership:
    """A supervisor confirms her organisation's side, once both administrators have proposed
    it. The partnership is active when both sides have confirmed. With a partner on another
    server, her having compared its fingerprint aloud (``fingerprint_compared``) is its side's
    confirmation (casework.partners.exchange)."""
    membership = _membership(by, Role.SUPERVISOR)
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if partnership.ended_at is not None:
        raise ValidationError(_("This partnership has ended."))
    side = partnership.side_of(membership.organisation_id)
    other = partnership.other_side(membership.organisation_id)
    if side.proposed_at is None or (other.proposed_at is None and not other.organisation.is_remote):
        raise ValidationError(_("An administrator of each organisation must propose the partnership first."))
    if side.confirmed_at is not None:
        raise ValidationError(_("Your organisation has already confirmed this partnership."))
    if other.organisation.is_remote and not fingerprint_compared:
        raise ValidationError(
            _("Compare the partner's fingerprint aloud with its supervisor first, and say it matches.")
        )
    side.confirmed_by, side.confirmed_at = by, timezone.now()
    side.save(update_fields=["confirmed_by", "confirmed_at", "updated_at"])
    if other.organisation.is_remote:
        other.confirmed_by, other.confirmed_at = by, side.confirmed_at
        other.save(update_fields=["confirmed_by", "confirmed_at", "updated_at"])
    if other.confirmed_at is not None:
        partnership.active_since = timezone.now()
        partnership.save(update_fields=["active_since"])
    details = {"partner": other.organisation.slug, "active": partnership.is_active}
    record(event=events.PARTNERSHIP_CONFIRM, actor=by, organisation=membership.organisation_id, details=details)
    _tell_partner(partnership, membership.organisation, events.PARTNERSHIP_CONFIRM)
    return partnership


@transaction.atomic
def partnership_end(*, by: User, partnership: Partnership, reason: str) -> Partnership:
    """Either side's administrator or supervisor ends it: no new packets; packets already
    sent can still be answered."""
    membership = _membership(by, Role.ADMIN, Role.SUPERVISOR)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why, for the record.")})
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if membership.organisation_id not in (partnership.first_id, partnership.second_id):
        raise PermissionDenied(_("You may not do this."))
    if partnership.ended_at is not None:
        raise ValidationError(_("This partnership has already ended."))
    partnership.ended_at, partnership.ended_by = timezone.now(), by
    partnership.save(update_fields=["ended_at", "ended_by"])
    # Packets still waiting for a supervisor's approval will never leave now.
    waiting = Packet.objects.filter(
        partnership=partnership, status=PacketStatus.AWAITING_APPROVAL, referral__isnull=False
    )
    for packet in waiting.select_related("referral__case", "recipient", "sender"):
        _withdraw(packet, by=None, why="partnership_end")
    other = partnership.other_side(membership.organisation_id).organisation
    record(
        event=events.PARTNERSHIP_END,
        actor=by,
        organisation=membership.organisation_id,
        reason=reason.strip(),
        details={"partner": other.slug},
    )
    _tell_partner(partnership, membership.organisation, events.PARTNERSHIP_END)
    return partnership


@transaction.atomic
def directory_update(*, by: User, side: PartnerSide, version: int, **directory: Any) -> PartnerSide:
    """Her organisation's own entry in a partner's directory (or, for a partner on another
    server, the entry her organisation keeps about it): administrators and supervisors."""
    membership = _membership(by, Role.ADMIN, Role.SUPERVISOR)
    side = PartnerSide.objects.select_for_update().select_related("organisation").get(pk=side.pk)
    partnership = side.partnership
    own_side = side.organisation_id == membership.organisation_id
    keeps_remote = side.organisation.is_remote and membership.organisation_id in (
        partnership.first_id,
        partnership.second_id,
    )
    if not (own_side or keeps_remote):
        raise PermissionDenied(_("You may not do this."))
    if side.version != version:
        raise ValidationError(_("Someone changed this entry while you were editing it: look at it again."))
    _set_directory(side, directory)
    side.version += 1
    side.save()
    record(
        event=events.PARTNERSHIP_DIRECTORY,
        actor=by,
        organisation=membership.organisation_id,
        details={"entry": side.organisation.slug, "fields": sorted(directory)},
    )
    return side


@transaction.atomic
def approval_setting(*, by: User, required: bool) -> Organisation:
    """A supervisor sets whether packets need a supervisor's approval before they leave."""
    membership = _membership(by, Role.SUPERVISOR)
    organisation: Organisation = Organisation.objects.select_for_update().get(pk=membership.organisation_id)
    if organisation.packets_need_approval != required:
        organisation.packets_need_approval = required
        organisation.save(update_fields=["packets_need_approval"])
    return organisation


@transaction.atomic
def intake_name(*, by: User, member: Membership, receives: bool) -> Membership:
    """A supervisor names a caseworker of her organisation to the partner intake (or takes
    her off it)."""
    membership = _membership(by, Role.SUPERVISOR)
    member = Membership.objects.select_for_update().get(pk=member.pk)
    if member.organisation_id != membership.organisation_id or member.role != Role.CASEWORKER:
        raise PermissionDenied(_("You may not do this."))
    if member.receives_packets != receives:
        member.receives_packets = receives
        member.save(update_fields=["receives_packets"])
    return member


# Building and sending a packet ---------------------------------------------------------------


class Refusal(ValidationError):
    """A packet refused before anything left: the message says why; ``code`` is what the
    audit entry records (never content)."""


def packet_problem(referral: Referral, today: datetime.date | None = None) -> Refusal | None:
    """Why no packet can leave for ``referral`` now, or None."""
    today = today or timezone.localdate()
    partner = referral.partner
    if partner is None:
        return Refusal(_("This referral is not to a partner organisation."), code="not_partner")
    partnership = Partnership.objects.active().between(referral.case.organisation_id, referral.partner_id).first()
    if partnership is None:
        return Refusal(
            _("%(partner)s is not an active partner of your organisation: nothing can be sent to it.")
            % {"partner": partner.name},
            code="not_partner",
        )
    if referral.status not in (ReferralStatus.DRAFT, ReferralStatus.SENT):
        return Refusal(_("Only a referral that is a draft or sent can carry a packet."), code="status")
    if Packet.objects.filter(referral=referral, status__in=LIVE_PACKET).exists():
        return Refusal(_("A packet of this referral is already on its way or accepted."), code="open_packet")
    problem = consent_problem(referral, today)
    if problem:
        return Refusal(problem, code="consent")
    if not referral.consent_scope:
        return Refusal(
            _("Her consent was recorded before consent named categories of data: record it again."), code="consent"
        )
    return None


def _check_scope(referral: Referral, categories: Iterable[str]) -> None:
    outside = [category for category in categories if category not in (referral.consent_scope or [])]
    if outside:
        names = ", ".join(str(ShareCategory(category).label) for category in outside)
        raise Refusal(
            _("Her consent does not cover: %(categories)s. Leave it out, or record her consent to share it first.")
            % {"categories": names},
            code="scope",
        )


@transaction.atomic
def packet_build(
    *,
    by: User,
    referral: Referral,
    categories: Sequence[str],
    needs: Iterable[Any] = (),
    note: str = "",
) -> Packet:
    """Build the packet of ``referral`` for its partner organisation from ``categories``
    (ShareCategory values), each checked against her consent: anything outside it is
    refused by name, and nothing leaves. Identity categories need the reveal permission.
    With the organisation's approval setting on it waits for a supervisor; else it is sent.
    """
    case = referral.case
    require(by, case, "change")
    # Two clicks at once: the second waits here, then finds the first's packet (and the
    # database's one-live-packet constraint stands behind this).
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("case__organisation", "partner")
        .get(pk=referral.pk)
    )
    categories = list(dict.fromkeys(categories))
    unknown = set(categories) - set(ShareCategory.values)
    if unknown:
        raise TypeError(f"Not share categories: {sorted(unknown)}")
    problem = packet_problem(referral)
    if problem is not None:
        raise problem
    _check_scope(referral, categories)
    identity_fields = [category for category in categories if category in IDENTITY_CATEGORIES]
    # Identity, and free text that leaves the organisation, only from someone who may see
    # the identity: the free-text guard tells her when her note quotes it, and tells
    # anyone else nothing (so a note from her could carry a name unseen).
    if (identity_fields or ShareCategory.NOTE in categories) and not case.allows(by, "reveal"):
        raise Refusal(
            _("Only someone who may reveal her identity can send identity details or a handover note."),
            code="reveal",
        )
    if note.strip() and ShareCategory.NOTE not in categories:
        raise Refusal(_("Tick “A handover note” to send one."), code="scope")
    if quotes_a_case_code(note):
        raise Refusal(_("Leave case codes out of the note: the partner never sees yours."), code="code_in_note")
    needs = list(needs)
    if needs and ShareCategory.NEEDS not in categories:
        raise Refusal(_("Tick “Needs” to send them."), code="scope")
    if any(need.case_id != case.pk for need in needs):
        raise ValidationError({"needs": _("Link only needs of this case.")})
    assert referral.partner is not None  # packet_problem() refuses a referral without one
    partnership = Partnership.objects.active().between(case.organisation_id, referral.partner.pk).get()
    packet = Packet(
        partnership=partnership,
        sender_id=case.organisation_id,
        recipient=referral.partner,
        referral=referral,
        status=PacketStatus.AWAITING_APPROVAL,
        categories=categories,
        service_type=referral.service_type,
        urgency=referral.urgency,
        needs=[{"category": need.category, "urgency": need.urgency} for need in needs],
        note=note.strip() if ShareCategory.NOTE in categories else "",
        created_by=by,
    )
    for category, field in PROFILE_CATEGORIES.items():
        if category in categories:
            setattr(packet, field, getattr(case, field))
    packet.identity = _sealed_identity(packet, case, identity_fields)  # its uid, the seal's context, is set already
    packet.save()
    record(event=events.PACKET_BUILD, actor=by, case=case, details=_what(packet))
    if not case.organisation.packets_need_approval:
        _send(packet, by=by)
    return packet


# Ten characters of a case code, with or without the dashes and spaces it is written with.
# (A lookahead, so that every start is tried: "file 7X3-QM9P-DK4" holds one after "file".)
CODE_SHAPED = re.compile(r"(?=((?<![0-9A-Za-z])[0-9A-Za-z](?:[-\s]?[0-9A-Za-z]){9}(?![0-9A-Za-z])))")


def quotes_a_case_code(text: str) -> bool:
    """Whether ``text`` holds something a case code's check character accepts."""
    return any(codes.normalise(found) is not None for found in CODE_SHAPED.findall(text or ""))


def _what(packet: Packet) -> dict[str, Any]:
    """What an entry says of a packet: to whom, which categories. Never a value, never a code of the other side."""
    return {"partner": packet.recipient.slug, "categories": sorted(packet.categories)}


def _sealed_identity(packet: Packet, case: Case, names: list[str]) -> dict[str, str]:
    """The identity values ``names`` of ``case``, encrypted and bound to ``packet``."""
    identity = Identity.objects.filter(case=case).first() if names else None
    values = identity.read(names) if identity is not None else {}
    return {
        name: packet.seal_identity(name, FIELDS_BY_NAME[name].dump(value)) for name, value in values.items() if value
    }


def packet_refused(*, by: User, referral: Referral, code: str) -> None:
    """A packet refused before anything left (outside her consent, not a partner, consent
    withdrawn or expired): for the sender's supervisors."""
    record(
        event=events.PACKET_BUILD,
        actor=by,
        case=referral.case,
        outcome="denied",
        details={"refused": code, "partner": referral.partner.slug if referral.partner is not None else ""},
    )


def _send(packet: Packet, *, by: User) -> None:
    """The packet leaves: it waits in the partner's inbox (or, for a partner on another
    server, is ready to download as a file), and the referral is sent."""
    packet.status, packet.sent_at = PacketStatus.SENT, timezone.now()
    packet.save(update_fields=["status", "sent_at", "approved_by", "updated_at"])
    referral = packet.referral
    assert referral is not None
    if referral.status == ReferralStatus.DRAFT:
        referral_transition(
            by=by,
            referral=referral,
            to=ReferralStatus.SENT,
            on=timezone.localdate(),
            version=referral.version,
            _packet_move=True,
        )
    record(event=events.PACKET_SEND, actor=by, case=referral.case, details=_what(packet))
    _tell(packet.recipient, events.PACKET_ARRIVE, about=packet.sender, categories=sorted(packet.categories))


@transaction.atomic
def packet_approve(*, by: User, packet: Packet) -> Packet:
    """A supervisor of the case's team approves a packet waiting for her: it is sent."""
    packet = _lock_sender_packet(packet)
    assert packet.referral is not None
    require(by, packet.referral.case, "manage")
    if packet.status != PacketStatus.AWAITING_APPROVAL:
        raise ValidationError(_("This packet is not waiting for approval."))
    problem = packet_problem_after_build(packet)
    if problem is not None:
        raise problem
    packet.approved_by = by
    _send(packet, by=by)
    return packet


def packet_problem_after_build(packet: Packet) -> Refusal | None:
    """Consent and partnership checked again when a waiting packet is approved."""
    referral = packet.referral
    assert referral is not None
    if not Partnership.objects.active().filter(pk=packet.partnership_id).exists():
        return Refusal(_("The partnership has ended: this packet cannot leave."), code="not_partner")
    problem = consent_problem(referral, timezone.localdate())
    if problem:
        return Refusal(problem, code="consent")
    outside = set(packet.categories) - set(referral.consent_scope or [])
    if outside:
        return Refusal(_("Her consent no longer covers everything in this packet."), code="scope")
    return None


def _lock_sender_packet(packet: Packet) -> Packet:
    # Only the packet's row: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    locked: Packet = (
        Packet.objects.select_for_update(of=("self",)).select_related("referral__case__organisation").get(pk=packet.pk)
    )
    return locked


# What a closed packet forgets (each field's empty value): everything it carried.
WIPED_ON_CLOSE: dict[str, Any] = {
    "identity": dict,
    "note": str,
    "needs": list,
    "risk_level": str,
    "age_band": str,
    "nationality": str,
    "region": str,
    "languages": list,
}


def _close(packet: Packet, status: str) -> None:
    """Close a packet and wipe what it carried: its categories, service, status and dates
    stay, for the record; no value does."""
    packet.status, packet.answered_at = status, timezone.now()
    for name, empty in WIPED_ON_CLOSE.items():
        setattr(packet, name, empty())
    packet.save(update_fields=["status", "answered_at", "decline_reason", *WIPED_ON_CLOSE, "updated_at"])
    # Its key too: the copies of what it carried in backups made meanwhile open no more.
    uid = packet.uid
    transaction.on_commit(lambda: keystore.destroy_key(uid))


@transaction.atomic
def packet_withdraw(*, by: User, packet: Packet) -> Packet:
    """The sender withdraws a packet that has not been accepted yet: it leaves the partner's
    inbox (which then answers as if it never was), and the referral is withdrawn."""
    packet = _lock_sender_packet(packet)
    referral = packet.referral
    assert referral is not None
    require(by, referral.case, "change")
    if packet.status not in OPEN_PACKET:
        raise ValidationError(_("Only a packet not yet accepted or declined can be withdrawn."))
    _withdraw(packet, by=by)
    return packet


def _withdraw(packet: Packet, *, by: User | None, why: str = "") -> None:
    """Close an open packet of this server's ``referral`` as withdrawn: the referral follows
    (if it was sent), the sender's trail says so under her code, and the recipient's (if it
    had it in its inbox) that a packet was withdrawn, with no actor."""
    referral = packet.referral
    assert referral is not None
    was_sent = packet.status == PacketStatus.SENT
    _close(packet, PacketStatus.WITHDRAWN)
    referral.refresh_from_db()
    if was_sent and by is not None and referral.status == ReferralStatus.SENT:
        referral_transition(
            by=by, referral=referral, to=ReferralStatus.WITHDRAWN, on=timezone.localdate(), version=referral.version
        )
    details = {"partner": packet.recipient.slug, **({"cause": why} if why else {})}
    with without_actor() if by is None else nullcontext():
        record(event=events.PACKET_WITHDRAW, actor=by, case=referral.case, details=details)
    if was_sent:
        _tell(packet.recipient, events.PACKET_WITHDRAW, about=packet.sender, by_partner=True)


# The receiving end -------------------------------------------------------------------------


def inbox(user: User) -> QuerySet[Packet]:
    """The packets waiting for her organisation, if she works its partner intake."""
    membership = active_membership(user)
    if not works_intake(membership):
        return Packet.objects.none()
    assert membership is not None
    return (
        Packet.objects.filter(recipient_id=membership.organisation_id, status=PacketStatus.SENT)
        .exclude(consent_lapsed())
        .select_related("sender")
        .order_by("sent_at", "pk")
    )


def consent_lapsed(today: datetime.date | None = None) -> Q:
    """Packets of this server whose consent has lapsed since they left (expired or withdrawn):
    no longer anything the receiver may take. (A packet imported from a file carries no
    consent dates here: its sender withdraws it by telling the partner.)"""
    today = today or timezone.localdate()
    return Q(referral__consent_expires_on__lt=today) | Q(referral__consent_withdrawn_on__isnull=False)


def packet_viewed(*, by: User, packet: Packet) -> None:
    record(
        event=events.PACKET_VIEW,
        actor=by,
        organisation=packet.recipient_id,
        details={"partner": packet.sender.slug, "categories": sorted(packet.categories)},
    )


def _lock_inbox_packet(by: User, packet: Packet) -> tuple[Membership, Packet]:
    membership = _require_intake(by)
    locked = (
        Packet.objects.select_for_update(of=("self",))
        .filter(pk=packet.pk, recipient_id=membership.organisation_id)
        .exclude(consent_lapsed())
        .first()
    )
    if locked is None or locked.status != PacketStatus.SENT:
        raise ValidationError(_("This packet is no longer waiting: it was withdrawn or answered."))
    return membership, locked


@transaction.atomic
def packet_accept(*, by: User, packet: Packet, team: Team, lead: User | None = None) -> Case:
    """Accept a packet: a new case in ``team`` of her organisation, with its own new code,
    the packet's profile, its needs as the case's needs and its identity fields in this
    organisation's vault. The sender's referral shows "Accepted", by this organisation."""
    membership, packet = _lock_inbox_packet(by, packet)
    if team.organisation_id != membership.organisation_id:
        raise PermissionDenied(_("You may not do this."))
    profile: dict[str, Any] = {"intake_source": IntakeSource.PARTNER}
    for field in PROFILE_CATEGORIES.values():
        if getattr(packet, field):
            profile[field] = getattr(packet, field)
    if packet.note:
        profile["summary"] = packet.note
    case = case_open(by=by, team=team, lead=lead, **profile)
    for need in packet.needs:
        need_add(by=by, case=case, category=need["category"], urgency=need["urgency"])
    values = _open_identity(packet)
    if values:
        identity_save(by=by, case=case, values=values)
    PacketLink.objects.create(packet=packet, case=case, identity_fields=sorted(values))
    case.from_packet = True
    case.save(update_fields=["from_packet"])
    _close(packet, PacketStatus.ACCEPTED)
    record(event=events.PACKET_ACCEPT, actor=by, case=case, details={"partner": packet.sender.slug})
    _answer_sender(packet, ReferralStatus.ACCEPTED)
    return case


def _open_identity(packet: Packet) -> dict[str, Any]:
    return {name: FIELDS_BY_NAME[name].load(packet.open_identity(name)) for name in packet.identity}


@transaction.atomic
def packet_decline(*, by: User, packet: Packet, reason: str) -> Packet:
    """Decline a packet with a reason from the list: nothing of it stays here."""
    membership, packet = _lock_inbox_packet(by, packet)
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    packet.decline_reason = reason
    _close(packet, PacketStatus.DECLINED)
    record(
        event=events.PACKET_DECLINE,
        actor=by,
        organisation=membership.organisation_id,
        details={"partner": packet.sender.slug, "reason": reason},
    )
    _answer_sender(packet, ReferralStatus.DECLINED)
    return packet


def _answer_sender(packet: Packet, status: str) -> None:
    """The answer, as a step on the sender's referral by the receiving organisation, and in
    the sender's trail under the sender's own code, with no actor."""
    referral = packet.referral
    if referral is None:
        from casework.partners.exchange import answer_queue  # lazy: exchange imports this module

        answer_queue(packet, status)  # imported from another server: the answer travels back as a file
        return
    if not referral_partner_answer(referral=referral, partner=packet.recipient, to=status, on=timezone.localdate()):
        raise ValidationError(
            _("The sending organisation's referral is closed or already at this step: nothing was sent.")
        )
    details = {"partner": packet.recipient.slug, "answer": status}
    if status == ReferralStatus.DECLINED:
        details["reason"] = packet.decline_reason
    with without_actor():
        record(event=events.PACKET_ANSWER, actor=None, case=referral.case, details=details)


def received_packet(case: Case) -> Packet | None:
    """The packet that opened ``case`` at this (receiving) end, if one did: for its page's
    "received from" line, its answers and a consent notice. Never the other end's case."""
    link = PacketLink.objects.filter(case=case).select_related("packet__sender").first()
    return link.packet if link is not None else None


@transaction.atomic
def packet_answer(*, by: User, case: Case, answer: str) -> Packet:
    """Tell the sending organisation that the service started, or is completed."""
    require(by, case, "change")
    if answer not in Answer.values:
        raise ValidationError(_("Choose an answer from the list."))
    link = PacketLink.objects.filter(case=case).first()
    if link is None:
        raise ValidationError(_("This case did not come from a partner's packet."))
    packet = Packet.objects.select_for_update().get(pk=link.packet_id)
    record(
        event=events.PACKET_ANSWER_SEND, actor=by, case=case, details={"partner": packet.sender.slug, "answer": answer}
    )
    _answer_sender(packet, answer)
    return packet


def withdraw_open_packets(referral: Referral, *, by: User | None, why: str = "referral_withdrawn") -> None:
    """Someone withdrew the referral itself (or erased its case: ``why``): a packet of it
    not yet accepted goes with it."""
    open_packets = Packet.objects.select_for_update(of=("self",)).filter(referral=referral, status__in=OPEN_PACKET)
    for packet in open_packets.select_related("recipient", "sender"):
        _withdraw(packet, by=by, why=why)


def close_packets_to(organisation: Organisation) -> int:
    """The receiving organisation left (and is erased): each packet still on its way to it is
    withdrawn at the sender's end, said so in the sender's trail under her own code (waiting
    for approval, or sent: the sender's referral then asks her to consider another provider
    as after any decline). Returns how many."""
    packets = Packet.objects.select_for_update(of=("self",)).select_related("recipient", "sender", "referral")
    closed = 0
    for packet in packets.filter(recipient=organisation, status__in=OPEN_PACKET).order_by("pk"):
        if packet.status == PacketStatus.SENT:
            _close(packet, PacketStatus.DECLINED)
            _answer_sender(packet, ReferralStatus.DECLINED)
        else:
            _withdraw(packet, by=None, why="partner_left")
        closed += 1
    return closed


def notify_consent_withdrawn(referral: Referral, on: datetime.date, by: User | None = None) -> None:
    """The survivor withdrew the consent a packet was sent on. Still waiting: the packet is
    withdrawn (and the referral with it). Accepted: the receiving case shows a notice and
    its supervisors decide."""
    for packet in (
        Packet.objects.select_for_update(of=("self",)).select_related("recipient", "sender").filter(referral=referral)
    ):
        if packet.status in OPEN_PACKET:
            _withdraw(packet, by=by, why="consent")
        elif packet.status == PacketStatus.ACCEPTED and packet.consent_withdrawn_on is None:
            packet.consent_withdrawn_on, packet.consent_notice = on, ConsentNotice.WAITING
            packet.save(update_fields=["consent_withdrawn_on", "consent_notice", "updated_at"])
            link = PacketLink.objects.filter(packet=packet).select_related("case").first()
            if link is not None:
                with without_actor():
                    record(
                        event=events.PACKET_CONSENT_WITHDRAWN,
                        actor=None,
                        case=link.case,
                        details={"partner": packet.sender.slug},
                    )


@transaction.atomic
def consent_decide(*, by: User, case: Case, erase_identity: bool, reason: str) -> Packet:
    """A supervisor of the receiving case decides what a withdrawal of consent means for
    it: erase the identity details that came with the packet, or keep them (a reason)."""
    require(by, case, "manage")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why, for the record.")})
    link = PacketLink.objects.filter(case=case).first()
    packet = Packet.objects.select_for_update().get(pk=link.packet_id) if link is not None else None
    if packet is None or packet.consent_notice != ConsentNotice.WAITING:
        raise ValidationError(_("There is no withdrawal of consent waiting for a decision on this case."))
    fields: list[str] = []
    if erase_identity:
        # Only what came with the packet: what this organisation recorded itself is its own.
        identity = Identity.objects.filter(case=case).first()
        assert link is not None  # a packet was found through it
        fields = [name for name in (identity.filled() if identity is not None else []) if name in link.identity_fields]
        if fields:
            identity_save(by=by, case=case, values={name: FIELDS_BY_NAME[name].empty() for name in fields})
    packet.consent_notice = ConsentNotice.ERASED if erase_identity else ConsentNotice.KEPT
    packet.save(update_fields=["consent_notice", "updated_at"])
    record(
        event=events.PACKET_CONSENT_DECISION,
        actor=by,
        case=case,
        reason=reason.strip(),
        details={"erased": sorted(fields), "kept": not erase_identity},
    )
    return packet


def waiting_approval(user: User) -> QuerySet[Packet]:
    """Packets of the cases she manages that wait for a supervisor's approval."""
    managed = Case.objects.restrict(user, "manage").values("pk")
    return (
        Packet.objects.filter(status=PacketStatus.AWAITING_APPROVAL, referral__case__in=managed)
        .select_related("referral__case", "recipient")
        .order_by("created_at")
    )


def waiting_counts(user: User) -> tuple[int, int]:
    """(packets waiting in her intake inbox, packets of her teams' cases waiting for her
    approval), counted in one query over ``inbox`` and ``waiting_approval`` themselves."""
    membership: Membership | None = active_membership(user)
    supervising = membership is not None and membership.role == Role.SUPERVISOR and membership.is_vouched
    counted = {"waiting": inbox(user), "to_approve": waiting_approval(user) if supervising else Packet.objects.none()}
    filters = {
        name: Q(pk__in=packets.values("pk")) for name, packets in counted.items() if not packets.query.is_empty()
    }
    if not filters:
        return 0, 0
    counts = Packet.objects.aggregate(**{name: Count("pk", filter=where) for name, where in filters.items()})
    return counts.get("waiting", 0), counts.get("to_approve", 0)


def open_needs(case: Case) -> QuerySet[Any]:
    return case.needs.filter(status__in=UNRESOLVED_NEED).order_by("identified_on", "pk")


def describe_identity(packet: Packet) -> list[str]:
    """The identity fields a packet carries, by name (never their values)."""
    return [str(FIELDS_BY_NAME[name].label) for name in packet.identity]
