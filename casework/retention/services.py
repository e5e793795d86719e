"""Erasing cases for real, holding them against it, and the retention rules that erase them.

An erasure, in one transaction of the main database: open packets of the case are
withdrawn, a content-free stub (``ErasedCase``) is written, the case and everything under
it are deleted without one audit entry per row, and ONE tombstone entry (``case.erased``:
the code, who, why, which rule, the confirming supervisor) is linked into the chain. Once
that commits, the key store destroys the case's key, which reaches every backup.

A case on legal hold is never erased, by hand or by the rules: the refusal is audited.
"""

import calendar
import copy
import datetime
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.access import services as access
from casework.access.models import Membership, Organisation
from casework.audit import chain, events
from casework.audit.context import without_actor
from casework.audit.guard import unaudited_writes
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.cases.choices import CaseStatus, NeedStatus
from casework.cases.models import Case
from casework.cases.services.common import EditConflict, require
from casework.keystore import services as keystore
from casework.partners import services as partner_services
from casework.retention.choices import ErasureReason, RetentionRuleKind
from casework.retention.models import (
    MIN_WARNING_DAYS,
    ErasedCase,
    ErasureRequest,
    LegalHold,
    OrganisationErasure,
    RetentionNotice,
    RetentionRule,
)

HELD = gettext_lazy("This case is on legal hold: it cannot be erased until a supervisor lifts the hold.")
CONFIRMATIONS_NEEDED = 2


# Dates ---------------------------------------------------------------------------------------


def month_of(day: datetime.date) -> datetime.date:
    """The first of ``day``'s month: what a stub keeps of a date."""
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved ``months`` on; the 31st becomes the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


# Legal hold ----------------------------------------------------------------------------------


def is_held(case: Case) -> bool:
    return LegalHold.objects.filter(case_id=case.pk).exists()


@transaction.atomic
def hold_place(*, by: User, case: Case, reason: str) -> LegalHold:
    """A supervisor of the case's team keeps it against erasure, for a reason from the list."""
    require(by, case, "manage")
    _lock(case)
    if is_held(case):
        raise ValidationError(_("This case is already on legal hold."))
    try:
        with transaction.atomic():
            hold = LegalHold.objects.create(case=case, reason=reason, placed_by=by)
    except IntegrityError:  # placed by someone else a moment ago
        raise ValidationError(_("This case is already on legal hold.")) from None
    record(event=events.CASE_HOLD, actor=by, case=case, details={"hold": reason})
    return hold


@transaction.atomic
def hold_lift(*, by: User, case: Case) -> None:
    require(by, case, "manage")
    _lock(case)
    hold = LegalHold.objects.filter(case=case).first()
    if hold is None:
        raise ValidationError(_("This case is not on legal hold: someone lifted the hold already."))
    reason = hold.reason
    hold.delete()
    record(event=events.CASE_HOLD_LIFT, actor=by, case=case, details={"hold": reason})


# Erasure by a supervisor -----------------------------------------------------------------------


def erasure_refused(*, by: User, case: Case, why: str) -> None:
    """An erasure refused (a hold, a wrong code): kept in the trail, outside the refused act's
    transaction so that its rollback does not take the entry with it."""
    record(event=events.CASE_ERASE, actor=by, outcome=Outcome.DENIED, case=case, details={"refused": why})


def case_erase(*, by: User, case: Case, reason: str) -> bool:
    """A supervisor of the case's team erases it for ``reason`` (an ``ErasureReason``).

    Where the organisation asks for a second supervisor, the erasure waits for one
    (``erasure_confirm``) and this returns False; otherwise the case is erased now (True).
    A held case is refused (ValidationError), and the refusal audited."""
    require(by, case, "manage")
    if reason not in ErasureReason.values or reason == ErasureReason.ORGANISATION_LEFT:
        raise ValidationError(_("Choose why the case is erased."))
    if is_held(case):
        erasure_refused(by=by, case=case, why="held")
        raise ValidationError(HELD)
    return _erase_or_ask(by=by, case=case, reason=reason)


@transaction.atomic
def _erase_or_ask(*, by: User, case: Case, reason: str) -> bool:
    case = _lock(case)
    if is_held(case):
        raise ValidationError(HELD)
    if Organisation.objects.get(pk=case.organisation_id).erasure_needs_second_supervisor:
        if ErasureRequest.objects.filter(case=case).exists():
            raise ValidationError(_("An erasure of this case is already waiting for a second supervisor."))
        ErasureRequest.objects.create(case=case, reason=reason, requested_by=by)
        record(event=events.CASE_ERASE, actor=by, case=case, details={"because": reason, "waiting": True})
        return False
    erase(case, by=by, reason=reason)
    return True


def erasure_confirm(*, by: User, case: Case) -> None:
    """A different supervisor of the case's team confirms the erasure that waits on it."""
    require(by, case, "manage")
    if is_held(case):
        erasure_refused(by=by, case=case, why="held")
        raise ValidationError(HELD)
    _confirm(by=by, case=case)


@transaction.atomic
def _confirm(*, by: User, case: Case) -> None:
    case = _lock(case)
    waiting = ErasureRequest.objects.filter(case=case).select_related("requested_by").first()
    if waiting is None:
        raise ValidationError(_("No erasure of this case is waiting any more: it was cancelled."))
    if waiting.requested_by_id == by.pk:
        raise ValidationError(_("A different supervisor of the team must confirm the erasure you asked for."))
    if is_held(case):
        raise ValidationError(HELD)
    erase(case, by=waiting.requested_by, reason=waiting.reason, confirmed_by=by)


@transaction.atomic
def erasure_cancel(*, by: User, case: Case) -> None:
    """Either supervisor (or any other of the team) cancels the erasure waiting on the case."""
    require(by, case, "manage")
    _lock(case)
    waiting = ErasureRequest.objects.filter(case=case).first()
    if waiting is None:
        raise ValidationError(_("No erasure of this case is waiting any more."))
    reason = waiting.reason
    waiting.delete()
    record(event=events.CASE_ERASE_CANCEL, actor=by, case=case, details={"because": reason})


def pending_erasures(user: User) -> QuerySet[ErasureRequest]:
    """The erasures waiting on the cases she supervises."""
    scope = Case.objects.restrict(user, "manage").values("pk")
    return ErasureRequest.objects.filter(case__in=scope).select_related("case", "requested_by").order_by("requested_at")


def _lock(case: Case) -> Case:
    """The case, locked; a clear refusal if it was erased meanwhile (a double click, two
    supervisors at once), never a crash."""
    locked: Case | None = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None:
        raise ValidationError(_("This case no longer exists: it was erased meanwhile."))
    return locked


# The erasure itself ----------------------------------------------------------------------------


def erase(case: Case, *, by: User | None, reason: str, confirmed_by: User | None = None, rule: str = "") -> ErasedCase:
    """Erase ``case`` (locked, not held, checked by the caller) inside the caller's
    transaction; ``by`` None is the retention rules or the operator (no actor)."""
    for referral in case.referrals.all():
        partner_services.withdraw_open_packets(referral, by=None, why="erased")
    stub = ErasedCase.objects.create(
        organisation_id=case.organisation_id,
        code=case.code,
        opened_month=month_of(case.opened_on),
        closed_month=month_of(case.closed_on) if case.closed_on else None,
        status_reached=case.status,
        needs_met=sorted(set(case.needs.filter(status=NeedStatus.MET).values_list("category", flat=True))),
        erased_month=month_of(timezone.localdate()),
        key_ref=case.key_ref,
    )
    details: dict[str, str] = {"because": reason}
    if rule:
        details["rule"] = rule
    if confirmed_by is not None:
        details["confirmed_by"] = confirmed_by.username
    with without_actor() if by is None else nullcontext():
        record(event=events.CASE_ERASED, actor=by, case=case, details=details)
    gone = copy.copy(case)  # delete() clears the instance's pk; the key store is told the case's
    # One tombstone stands for every row removed: no entry per row, no value of a row.
    with disable_auditlog(), unaudited_writes("erasure: the tombstone entry stands for every row"):
        case.delete()
    transaction.on_commit(lambda: _destroy_key(gone))
    return stub


def _destroy_key(case: Case) -> None:
    keystore.destroy_case_key(case)


# Retention rules -------------------------------------------------------------------------------


def _require_supervisor(by: User, organisation_id: int) -> Membership:
    membership = access.confirming_membership(by, organisation_id)
    if membership is None:
        raise PermissionDenied(_("Only a supervisor of the organisation can do this."))
    return membership


def rules_of(organisation: Organisation) -> RetentionRule:
    """Her organisation's rules (unsaved and empty if none were ever set)."""
    return RetentionRule.objects.filter(organisation=organisation).first() or RetentionRule(organisation=organisation)


@transaction.atomic
def rules_save(
    *,
    by: User,
    organisation: Organisation,
    version: int,
    months_after_closure: int | None,
    months_without_contact: int | None,
    warning_days: int,
    second_supervisor: bool,
) -> RetentionRule:
    """A supervisor sets her organisation's retention rules and whether an erasure needs a
    second supervisor. Racing edits: the second gets ``EditConflict``."""
    _require_supervisor(by, organisation.pk)
    Organisation.objects.select_for_update().filter(pk=organisation.pk).values_list("pk", flat=True).get()
    rules = RetentionRule.objects.filter(organisation=organisation).first() or RetentionRule(organisation=organisation)
    if rules.version != version:
        raise EditConflict(rules)
    if warning_days < MIN_WARNING_DAYS:
        raise ValidationError(
            _("The warning period is at least %(days)s days: the supervisors of every team must see a case due.")
            % {"days": MIN_WARNING_DAYS}
        )
    rules.months_after_closure, rules.months_without_contact = months_after_closure, months_without_contact
    rules.warning_days = warning_days
    rules.version = version + 1
    organisation = Organisation.objects.get(pk=organisation.pk)
    second = _second_supervisor(by, organisation, rules, wanted=second_supervisor)
    rules.full_clean(exclude=["organisation", "second_supervisor_off_asked_by"])
    rules.save()
    needed = second != "off"  # "waiting": still needed
    if organisation.erasure_needs_second_supervisor != needed:
        organisation.erasure_needs_second_supervisor = needed
        organisation.save(update_fields=["erasure_needs_second_supervisor"])
    details = {
        "months_after_closure": months_after_closure,
        "months_without_contact": months_without_contact,
        "warning_days": warning_days,
        "second_supervisor": second,
    }
    record(event=events.RETENTION_RULES, actor=by, organisation=organisation.pk, details=details)
    return rules


def _second_supervisor(by: User, organisation: Organisation, rules: RetentionRule, *, wanted: bool) -> str:
    """Whether erasures need a second supervisor after this save: "on", "off", or "waiting"
    (on still: she asked to turn it off, and a different supervisor must ask the same)."""
    if wanted or not organisation.erasure_needs_second_supervisor:
        rules.second_supervisor_off_asked_by = None
        return "on" if wanted else "off"
    asked = rules.second_supervisor_off_asked_by
    if asked is not None and asked.pk != by.pk and access.confirming_membership(asked, organisation.pk) is not None:
        rules.second_supervisor_off_asked_by = None
        return "off"
    rules.second_supervisor_off_asked_by = by
    return "waiting"


def notices_seen_by(user: User) -> QuerySet[RetentionNotice]:
    """The cases of her teams that the retention rules will erase, soonest first."""
    scope = Case.objects.restrict(user, "manage").values("pk")
    return (
        RetentionNotice.objects.filter(case__in=scope)
        .select_related("case", "case__legal_hold")
        .order_by("due_on", "pk")
    )


@transaction.atomic
def notice_extend(*, by: User, case: Case, version: int) -> RetentionNotice:
    """Postpone a case's erasure under the rules by the rule's period once more."""
    require(by, case, "manage")
    notice = RetentionNotice.objects.select_for_update().filter(case=case).first()
    if notice is None:
        raise ValidationError(_("This case is not due for erasure any more."))
    if notice.version != version:
        raise EditConflict(notice)
    months = rules_of(case.organisation).months(notice.rule) or 1
    notice.postponed_to = notice.due_on = add_months(notice.due_on, months)
    notice.version += 1
    notice.save(update_fields=["postponed_to", "due_on", "version"])
    details = {"rule": notice.rule, "due": notice.due_on.isoformat()}
    record(event=events.RETENTION_EXTEND, actor=by, case=case, details=details)
    return notice


@dataclass(frozen=True)
class Due:
    case_id: int
    rule: str
    rule_date: datetime.date


def _past_or_near(rules: RetentionRule, today: datetime.date) -> list[Due]:
    """The cases of the organisation whose rule date is within the warning period (or past):
    the earliest of "N months after closure" and "N months after the last contact (or the
    opening, without one)"."""
    horizon = today + datetime.timedelta(days=rules.warning_days)
    cases = Case.objects.filter(organisation_id=rules.organisation_id).annotate(
        last_contact=Max("contacts__occurred_at")
    )
    found = []
    for case_id, status, closed_on, opened_on, last_contact in cases.values_list(
        "pk", "status", "closed_on", "opened_on", "last_contact"
    ).order_by("pk"):
        candidates = []
        if rules.months_after_closure and status == CaseStatus.CLOSED and closed_on:
            candidates.append((add_months(closed_on, rules.months_after_closure), RetentionRuleKind.AFTER_CLOSURE))
        if rules.months_without_contact:
            since = timezone.localdate(last_contact) if last_contact else opened_on
            candidates.append((add_months(since, rules.months_without_contact), RetentionRuleKind.WITHOUT_CONTACT))
        if candidates:
            rule_date, rule = min(candidates)
            if rule_date <= horizon:
                found.append(Due(case_id, str(rule), rule_date))
    return found


def _refresh_notices(rules: RetentionRule, today: datetime.date, counts: Counter[str]) -> None:
    """Warn about the cases entering the warning period, forget those that left the rules
    (a new contact, a reopening, a rule changed), and keep each due date: never before the
    end of a full warning period from the first warning, nor a postponement."""
    existing = {notice.case_id: notice for notice in RetentionNotice.objects.filter(organisation=rules.organisation_id)}
    warning = datetime.timedelta(days=rules.warning_days)
    for due in _past_or_near(rules, today):
        notice = existing.pop(due.case_id, None)
        if notice is None:
            notice = RetentionNotice(case_id=due.case_id, organisation_id=rules.organisation_id, warned_on=today)
            counts["warned"] += 1
        due_on = max(due.rule_date, notice.warned_on + warning, notice.postponed_to or datetime.date.min)
        if notice.pk is None or (notice.rule, notice.rule_date, notice.due_on) != (due.rule, due.rule_date, due_on):
            notice.rule, notice.rule_date, notice.due_on = due.rule, due.rule_date, due_on
            notice.save()
    for gone in existing.values():
        gone.delete()


def apply_retention(*, today: datetime.date | None = None) -> Counter[str]:
    """Erase every case due under its organisation's rules and not held; returns counts
    (``warned``, ``erased``, ``held``, ``swept``), never codes. Each case in its own
    transaction; a second run finds nothing to do."""
    today = today or timezone.localdate()
    counts: Counter[str] = Counter()
    for rules in RetentionRule.objects.filter(organisation__erased_at__isnull=True).order_by("pk"):
        done: Counter[str] = Counter()
        if not rules.is_set:  # the rules were taken away: nothing is due any more
            with chain.audited_atomic():
                RetentionNotice.objects.filter(organisation=rules.organisation_id).delete()
            continue
        with chain.audited_atomic():
            _refresh_notices(rules, today, done)
        due = RetentionNotice.objects.filter(organisation=rules.organisation_id, due_on__lte=today)
        for notice_id in list(due.values_list("pk", flat=True)):
            with chain.audited_atomic():
                done[_erase_due(notice_id, today)] += 1
        if done["warned"] or done["erased"]:
            with chain.audited_atomic(), without_actor():
                record(event=events.RETENTION_APPLY, actor=None, organisation=rules.organisation_id, details=dict(done))
        counts.update(done)
    counts["swept"] = _sweep()
    return counts


def _erase_due(notice_id: int, today: datetime.date) -> str:
    notice = RetentionNotice.objects.filter(pk=notice_id).first()
    if notice is None:
        return "gone"
    case = _lock(Case.objects.get(pk=notice.case_id))
    notice = RetentionNotice.objects.select_for_update().get(pk=notice_id)
    if notice.due_on > today:
        return "postponed"
    if is_held(case):
        return "held"
    erase(case, by=None, reason=ErasureReason.RETENTION_ENDED, rule=notice.rule)
    return "erased"


def _sweep() -> int:
    return keystore.sweep()


# An organisation that leaves ----------------------------------------------------------------------


def organisation_confirmations(organisation: Organisation) -> QuerySet[OrganisationErasure]:
    return OrganisationErasure.objects.filter(organisation=organisation).select_related("confirmed_by")


@transaction.atomic
def organisation_erasure_confirm(*, by: User, organisation: Organisation) -> int:
    """A supervisor confirms that her organisation is to be erased; returns how many have."""
    _require_supervisor(by, organisation.pk)
    try:
        with transaction.atomic():
            OrganisationErasure.objects.create(organisation=organisation, confirmed_by=by)
    except IntegrityError:
        raise ValidationError(_("You have already confirmed: another supervisor must confirm too.")) from None
    count = organisation_confirmations(organisation).count()
    details = {"confirmations": count}
    record(event=events.ORGANISATION_ERASE_CONFIRM, actor=by, organisation=organisation.pk, details=details)
    return count


def organisation_erase(*, organisation: Organisation) -> Counter[str]:
    """The operator erases an organisation that two of its supervisors confirmed leaves:
    every case as by hand (stubs kept, so that no code is issued again), every account
    deactivated and signed out, the organisation marked erased, its keys destroyed.
    Refused (ValidationError) without two confirmations or with a case on legal hold."""
    if confirmed_now(organisation) < CONFIRMATIONS_NEEDED and not _resuming(organisation):
        raise ValidationError(_("Two different supervisors of the organisation must confirm first."))
    if LegalHold.objects.filter(case__organisation=organisation).exists():
        raise ValidationError(_("Some cases are on legal hold: a supervisor must lift each hold first."))
    counts: Counter[str] = Counter()
    # Everyone off first: nobody can place a hold (or open a case) while the cases go.
    with chain.audited_atomic():
        counts["memberships"] = _switch_everyone_off(organisation)
    for case_id in list(Case.objects.filter(organisation=organisation).values_list("pk", flat=True)):
        with chain.audited_atomic():
            try:
                locked = _lock(Case(pk=case_id))
            except ValidationError:
                continue  # erased meanwhile
            if is_held(locked):
                counts["held"] += 1
                continue
            erase(locked, by=None, reason=ErasureReason.ORGANISATION_LEFT)
        counts["erased"] += 1
    if counts["held"]:
        return counts  # not erased whole: the held cases, and the organisation's keys, stay
    with chain.audited_atomic():
        counts["packets"] = partner_services.close_packets_to(organisation)
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        organisation.erased_at = timezone.now()
        organisation.save(update_fields=["erased_at"])
        record(event=events.ORGANISATION_ERASED, actor=None, organisation=organisation.pk, details=dict(counts))
        organisation_id = organisation.pk
        transaction.on_commit(lambda: _destroy_organisation_keys(organisation_id))
    return counts


def _resuming(organisation: Organisation) -> bool:
    """A run that stopped halfway (or one after it): it switched everyone off, its confirmers
    too, once their confirmations were checked; those confirmations still stand."""
    if Membership.objects.active().filter(organisation=organisation).exists():
        return False
    confirmed = organisation_confirmations(organisation).values("confirmed_by").distinct().count()
    return confirmed >= CONFIRMATIONS_NEEDED


def confirmed_now(organisation: Organisation) -> int:
    """How many different supervisors confirmed that the organisation leaves and still are
    its vouched, active supervisors (a confirmation by someone since removed counts no more)."""
    confirmers = {confirmation.confirmed_by for confirmation in organisation_confirmations(organisation)}
    return sum(1 for user in confirmers if access.confirming_membership(user, organisation.pk) is not None)


def _switch_everyone_off(organisation: Organisation) -> int:
    switched = 0
    for membership in Membership.objects.filter(organisation=organisation).select_related("user").order_by("pk"):
        if membership.is_active or membership.user.is_active:
            access.membership_deactivate(by=None, membership=membership, reason=_("The organisation was erased."))
            switched += 1
    return switched


def _destroy_organisation_keys(organisation_id: int) -> None:
    keystore.destroy_organisation_keys(organisation_id)
