"""Referrals: creating and editing them, the consent they rest on, and their workflow.

Nothing leaves for a provider without consent: a referral is sent only when consent is
recorded, not withdrawn and not expired on the day it is sent. Every move through the
workflow is dated and attributed in a ``ReferralStep``.
"""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casework.access.models import Organisation
from casework.audit.context import without_actor
from casework.cases.choices import ConsentMethod, NeedStatus, ReferralStatus, ShareCategory
from casework.cases.models import UNRESOLVED_NEED, Case, Referral, ReferralStep, ServiceProvider, SupportNeed
from casework.cases.services.common import apply, require, save_versioned
from casework.partners.models import Partnership

Status = ReferralStatus

# Sent inside the transaction that records a withdrawal of consent (``referral=``, ``on=``, ``by=``):
# casework.partners tells a partner that accepted a packet of this referral.
consent_withdrawn = Signal()
# Sent when someone withdraws a referral (``referral=``, ``by=``): a packet of it still on its
# way to a partner organisation is withdrawn with it.
referral_withdrawn = Signal()

# Where a referral may go from each status; a status not listed here is final.
MOVES: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (Status.SENT, Status.WITHDRAWN),
    Status.SENT: (Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN),
    Status.ACCEPTED: (Status.STARTED, Status.COMPLETED, Status.WITHDRAWN),
    Status.STARTED: (Status.COMPLETED, Status.WITHDRAWN),
}

# The date field each move sets (as the demo data does: a declined referral is answered, not closed).
MOVE_DATE: dict[str, str] = {  # starting a service sets no date of its own: its step has it
    Status.SENT: "sent_on",
    Status.ACCEPTED: "responded_on",
    Status.DECLINED: "responded_on",
    Status.COMPLETED: "closed_on",
    Status.WITHDRAWN: "closed_on",
}

PROVIDER_FIELDS = ("provider", "external_provider", "partner")
DETAIL_FIELDS = ("service_type", "urgency", "next_step", "data_shared", "outcome")
CONSENT_FIELDS = (
    "consent_given_by",
    "consent_given_on",
    "consent_method",
    "consent_witness",
    "consent_scope",
    "consent_recipient",
    "consent_expires_on",
)


# The moves of a referral to a partner organisation that the partner makes, by answering
# its packet; the packet itself sends it.
PARTNER_ANSWERS = (Status.SENT, Status.ACCEPTED, Status.DECLINED, Status.STARTED)


def moves_from(status: str) -> tuple[str, ...]:
    return MOVES.get(status, ())


def move_refusal(status: str) -> str:
    """Why a referral in ``status`` cannot make the move asked for, naming the moves it can make."""
    label = Status(status).label
    allowed = moves_from(status)
    if not allowed:
        return _("This referral is %(status)s: it cannot move any further.") % {"status": label}
    names = ", ".join(str(Status(move).label) for move in allowed)
    return _("A referral that is %(status)s can only become: %(moves)s.") % {"status": label, "moves": names}


def _check_provider(
    case: Case,
    provider: ServiceProvider | None,
    external: str,
    current: ServiceProvider | None = None,
    partner: Organisation | None = None,
) -> None:
    """Exactly one recipient: an active provider from the case organisation's directory, a
    named other, or an active partner organisation."""
    if [provider is not None, bool(external), partner is not None].count(True) != 1:
        message = _(
            "Choose one recipient: a provider from the directory, a partner organisation, "
            "or another one named in “Other provider”."
        )
        raise ValidationError({"provider": message})
    if partner is not None:
        if not is_partner(case.organisation_id, partner):
            raise ValidationError({"partner": _("Choose one of your organisation's active partners.")})
        return
    if provider is None or provider == current:
        return  # a referral keeps pointing to its provider even after the provider is deactivated
    if provider.organisation_id != case.organisation_id or not provider.is_active:
        raise ValidationError({"provider": _("Choose an active provider from your organisation's directory.")})


def is_partner(organisation_id: int, partner: Organisation) -> bool:
    """Whether ``partner`` is an active partner of the organisation (casework.partners)."""
    found: bool = Partnership.objects.active().between(organisation_id, partner.pk).exists()
    return found


def _check_needs(case: Case, needs: Iterable[SupportNeed]) -> None:
    if any(need.case_id != case.pk for need in needs):
        raise ValidationError({"needs": _("Link only needs of this case.")})


@transaction.atomic
def referral_create(
    *,
    by: User,
    case: Case,
    needs: Iterable[SupportNeed] = (),
    provider: ServiceProvider | None = None,
    external_provider: str = "",
    partner: Organisation | None = None,
    **details: Any,
) -> Referral:
    """A draft referral of ``case``; it is sent later, through ``referral_transition`` (or,
    to a partner organisation, as a packet: casework.partners)."""
    require(by, case, "change")
    _check_provider(case, provider, external_provider, partner=partner)
    _check_needs(case, needs)
    referral = Referral(
        case=case, created_by=by, provider=provider, external_provider=external_provider, partner=partner
    )
    apply(referral, details, DETAIL_FIELDS)
    referral.full_clean(
        exclude=["case", "created_by", "provider", "partner"], validate_unique=False, validate_constraints=False
    )
    referral.save()
    referral.needs.set(needs)
    return referral


def _check_provider_change(referral: Referral, changes: Mapping[str, Any]) -> None:
    # Compared with the saved row: a model form has already copied its input onto ``referral``.
    saved = Referral.objects.select_related("provider", "partner").get(pk=referral.pk)
    provider = changes.get("provider", saved.provider)
    external = changes.get("external_provider", saved.external_provider)
    partner = changes.get("partner", saved.partner)
    was = (saved.provider, saved.external_provider, saved.partner)
    if (provider, external, partner) != was and saved.status != Status.DRAFT:
        raise ValidationError(_("The provider cannot change once the referral is sent: withdraw it, then refer again."))
    if partner is not None and partner == saved.partner and provider is None and not external:
        return  # an ended partnership does not unmake a referral already recorded
    _check_provider(referral.case, provider, external, current=saved.provider, partner=partner)


@transaction.atomic
def referral_update(
    *, by: User, referral: Referral, version: int, needs: Iterable[SupportNeed] | None = None, **changes: Any
) -> Referral:
    """Change what the referral is about. Its provider can change only while it is a draft."""
    case = referral.case
    require(by, case, "change")
    if needs is not None:
        _check_needs(case, needs)
    if set(changes) & set(PROVIDER_FIELDS):
        _check_provider_change(referral, changes)
    fields = apply(referral, changes, (*PROVIDER_FIELDS, *DETAIL_FIELDS))
    save_versioned(referral, version=version, fields=fields)
    if needs is not None:
        referral.needs.set(needs)
    return referral


def _check_consent(referral: Referral) -> None:
    errors = {}
    given_on, expires_on = referral.consent_given_on, referral.consent_expires_on
    if given_on and given_on > timezone.localdate():
        errors["consent_given_on"] = _("Consent cannot be given in the future.")
    if given_on and expires_on and expires_on < given_on:
        errors["consent_expires_on"] = _("Consent must last until the day it was given or later.")
    if referral.consent_method == ConsentMethod.VERBAL_WITNESSED and not referral.consent_witness.strip():
        errors["consent_witness"] = _("Verbal consent needs a witness: give the witness's role, never a name.")
    for name in ("consent_given_by", "consent_given_on", "consent_method", "consent_scope", "consent_recipient"):
        if not getattr(referral, name):
            errors[name] = _("This is required to record consent.")
    unknown = set(referral.consent_scope or []) - set(ShareCategory.values)
    if unknown:
        errors["consent_scope"] = _("Choose what may be shared from the list.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def referral_consent_record(*, by: User, referral: Referral, version: int, **consent: Any) -> Referral:
    """Record the consent a draft referral rests on (replacing an earlier or withdrawn one).

    Once a referral is sent, the consent it was sent on is history: it can be withdrawn,
    never rewritten.
    """
    require(by, referral.case, "change")
    if referral.status != Status.DRAFT:
        raise ValidationError(
            _("Consent can be recorded only before the referral is sent. To stop sharing, withdraw consent.")
        )
    fields = apply(referral, consent, CONSENT_FIELDS)
    if referral.consent_method != ConsentMethod.VERBAL_WITNESSED:
        referral.consent_witness = ""  # a witness belongs to verbal consent only
    _check_consent(referral)
    referral.consent_recorded_by, referral.consent_withdrawn_on = by, None
    extra = ["consent_witness", "consent_recorded_by", "consent_withdrawn_on"]
    return save_versioned(referral, version=version, fields=sorted({*fields, *extra}))


@transaction.atomic
def referral_consent_withdraw(*, by: User, referral: Referral, on: datetime.date, version: int) -> Referral:
    """Record that consent was withdrawn on ``on``: the referral can no longer be sent."""
    require(by, referral.case, "change")
    if referral.consent_given_on is None:
        raise ValidationError(_("No consent is recorded for this referral, so there is none to withdraw."))
    if referral.consent_withdrawn_on is not None:
        raise ValidationError(_("Consent for this referral was already withdrawn."))
    if on > timezone.localdate():
        raise ValidationError({"consent_withdrawn_on": _("This cannot be in the future.")})
    if on < referral.consent_given_on:
        raise ValidationError({"consent_withdrawn_on": _("Consent cannot be withdrawn before it was given.")})
    referral.consent_withdrawn_on = on
    save_versioned(referral, version=version, fields=["consent_withdrawn_on"])
    consent_withdrawn.send(sender=Referral, referral=referral, on=on, by=by)
    return referral


def consent_problem(referral: Referral, on: datetime.date) -> str | None:
    """Why ``referral`` may not be sent on ``on`` for want of consent, or None if it may."""
    if referral.consent_withdrawn_on is not None:
        return _(
            "Consent was withdrawn, so this referral cannot be sent. "
            "If she consents again, record the new consent first."
        )
    if referral.consent_given_on is None or not referral.consent_given_by or not referral.consent_method:
        return _("Record her consent before sending: who gave it, when, how, and what may be shared with whom.")
    if referral.consent_expires_on is not None and referral.consent_expires_on < on:
        return _("The consent expired on %(date)s. Ask her again and record the new consent before sending.") % {
            "date": date_format(referral.consent_expires_on)
        }
    return None


def _check_move(referral: Referral, to: str, on: datetime.date) -> None:
    if to not in moves_from(referral.status):
        raise ValidationError(move_refusal(referral.status))
    if on > timezone.localdate():
        raise ValidationError({"on": _("This cannot be in the future.")})
    # Each move sets one of these dates, so the latest of them is the previous step's date
    # (also for referrals recorded before steps were kept).
    last_step = referral.steps.order_by("-on").values_list("on", flat=True).first()
    previous = max(filter(None, (referral.sent_on, referral.responded_on, referral.closed_on, last_step)), default=None)
    if previous is not None and on < previous:
        raise ValidationError(
            {"on": _("This cannot be before the previous step, on %(date)s.") % {"date": date_format(previous)}}
        )
    if to == Status.SENT:
        problem = consent_problem(referral, on)
        if problem:
            raise ValidationError(problem)
        assert referral.consent_given_on is not None  # consent_problem() refuses a referral without it
        if on < referral.consent_given_on:
            raise ValidationError({"on": _("A referral cannot be sent before consent was given.")})


def _mark_needs_met(referral: Referral, on: datetime.date) -> None:
    """Close each linked need still open as met on ``on`` (one audited save per need)."""
    for need in referral.needs.filter(status__in=UNRESOLVED_NEED).select_for_update():
        need.status, need.closed_on, need.version = NeedStatus.MET, on, need.version + 1
        need.save(update_fields=["status", "closed_on", "version", "updated_at"])


@transaction.atomic
def referral_transition(
    *,
    by: User,
    referral: Referral,
    to: str,
    on: datetime.date,
    note: str = "",
    version: int,
    mark_needs_met: bool = False,
    _packet_move: bool = False,
) -> Referral:
    """Move ``referral`` to status ``to`` on day ``on``, and record the step.

    Only the moves in ``MOVES`` are allowed, never back in time, and a referral is sent
    only on valid consent. Completing it with ``mark_needs_met`` closes its linked open
    needs as met on the same day.
    """
    require(by, referral.case, "change")
    _check_move(referral, to, on)
    if referral.partner_id is not None and to in PARTNER_ANSWERS and not _packet_move:
        raise ValidationError(
            _("A referral to a partner organisation is sent as a packet, and the partner answers it itself.")
        )
    if mark_needs_met and to != Status.COMPLETED:
        raise ValidationError({"mark_needs_met": _("Only completing a referral can mark its needs met.")})
    _move(referral, to, on, version=version, by=by, note=note)
    if mark_needs_met:
        _mark_needs_met(referral, on)
    if to == Status.WITHDRAWN and referral.partner_id is not None:
        referral_withdrawn.send(sender=Referral, referral=referral, by=by)
    return referral


def _move(
    referral: Referral,
    to: str,
    on: datetime.date,
    *,
    version: int,
    by: User | None = None,
    partner: Organisation | None = None,
    note: str = "",
) -> None:
    date_field = MOVE_DATE.get(to)
    referral.status = to
    if date_field:
        setattr(referral, date_field, on)
    save_versioned(referral, version=version, fields=["status", *([date_field] if date_field else [])])
    ReferralStep.objects.create(referral=referral, status=to, on=on, by=by, by_organisation=partner, note=note)


@transaction.atomic
def referral_partner_answer(*, referral: Referral, partner: Organisation, to: str, on: datetime.date) -> bool:
    """A partner organisation's answer to the packet of ``referral`` (accepted, declined,
    service started, completed), as a step whose author is the partner organisation.
    Returns whether the referral moved.

    Written for the partner, not by anyone of the case's organisation: the entries it
    leaves in this organisation's trail name no actor (the person who answered works
    for the partner, and her name stays there). A move that no longer fits (the sender
    withdrew or closed the referral meanwhile, or it is already there) changes nothing.
    """
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if to not in moves_from(referral.status):
        return False
    with without_actor():
        _move(referral, to, on, version=referral.version, partner=partner)
    return True


@transaction.atomic
def referral_send_now(
    *,
    by: User,
    case: Case,
    on: datetime.date,
    needs: Iterable[SupportNeed] = (),
    provider: ServiceProvider | None = None,
    external_provider: str = "",
    **fields: Any,
) -> Referral:
    """Refer, record her consent and send, in one step: when her consent is at hand.

    The three steps of the longer path (``referral_create``, ``referral_consent_record``,
    ``referral_transition`` to sent), with their checks and their audit entries, in one
    transaction: if any step refuses, nothing of the referral is kept.
    """
    consent = {name: fields.pop(name) for name in CONSENT_FIELDS if name in fields}
    referral = referral_create(
        by=by, case=case, needs=needs, provider=provider, external_provider=external_provider, **fields
    )
    if referral.partner_id is not None:
        raise ValidationError(_("A referral to a partner organisation is sent as a packet, from its page."))
    referral_consent_record(by=by, referral=referral, version=referral.version, **consent)
    return referral_transition(by=by, referral=referral, to=Status.SENT, on=on, version=referral.version)
