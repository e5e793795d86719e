"""Flags for unusual patterns in the part of the trail a reviewer may see.

Computed from the entries each time (a few aggregate queries over a window), never stored;
what is stored is a reviewer's note on a flag (FlagReview), found again by the flag's key:
kind, person and clock hour for the bursts, a keyed digest of the entry's seq for single entries.
"""

import bisect
import datetime
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractHour, TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import keys
from casework.audit import events
from casework.audit.models import FlagKind, FlagReview, Outcome
from casework.audit.review import entries_for, reviewer
from casework.audit.services import record
from casework.cases import codes

DEFAULT_DAYS = 7
# At most this many flags of each kind: a flood of flags is itself the finding.
SHOWN_PER_KIND = 200


@dataclass
class Flag:
    kind: str
    key: str
    actor_id: int | None
    when: datetime.datetime
    count: int | None = None
    event: str = ""
    case_code: str = ""
    outcome: str = ""
    seq: int | None = None
    actor_name: str = ""
    review: FlagReview | None = field(default=None)

    def get_kind_display(self):
        return FlagKind(self.kind).label

    def get_outcome_display(self):
        return Outcome(self.outcome).label if self.outcome else ""

    @property
    def label(self):
        return events.label(self.event) if self.event else ""

    @property
    def display_code(self):
        return codes.display(self.case_code) if self.case_code else ""


def flags_for(user, days=DEFAULT_DAYS, now=None):
    """The flags over the last ``days`` days of what ``user`` may review, newest first,
    each with its review if it has one; None if she reviews nothing.

    Supervisors get every kind. Administrators get bursts of refused sign-ins
    and exports (supervisors' exports have no case code, so only admins see them); the
    other kinds are about case content, which they never see.
    """
    role = reviewer(user, as_offered=True)  # emptied, she reviews nothing: no entries, no flags
    entries = entries_for(user)
    if role is None or entries is None:
        return None
    recent = entries.filter(timestamp__gte=(now or timezone.now()) - timedelta(days=days))
    if role.is_admin:
        flags = [*denial_bursts(recent.filter(event__in=events.names(kind=events.SIGN_IN))), *exports(recent)]
    else:
        flags = [
            *case_bursts(recent),
            *denial_bursts(recent),
            *night_reveals(recent),
            *exports(recent),
            *identity_in_text(recent),
            *identity_write_bursts(recent),
            *duress_sign_ins(recent),
        ]
    _attach_people(flags)
    _attach_reviews(flags, role.organisation_id)
    return sorted(flags, key=lambda flag: (flag.when, flag.key), reverse=True)


def _hour_key(kind, actor_id, hour):
    return f"{kind}:{actor_id}:{hour.astimezone(datetime.UTC):%Y%m%dT%H%MZ}"


def _bursts(entries, kind, threshold, counted):
    rows = (
        entries.filter(actor__isnull=False)
        .annotate(hour=TruncHour("timestamp"))
        .order_by()
        .values("actor_id", "hour")
        .annotate(n=counted)
        .filter(n__gt=threshold)
        .order_by("-hour", "actor_id")[:SHOWN_PER_KIND]
    )
    return [
        Flag(
            kind=kind,
            key=_hour_key(kind, row["actor_id"], row["hour"]),
            actor_id=row["actor_id"],
            when=row["hour"],
            count=row["n"],
        )
        for row in rows
    ]


def case_bursts(entries):
    """More than AUDIT_FLAG_CASES_PER_HOUR distinct cases opened by one person in one clock hour."""
    opened = entries.filter(event=events.CASE_VIEW.name, outcome=Outcome.OK).exclude(case_code="")
    counted = Count("case_code", distinct=True)
    return _bursts(opened, FlagKind.CASES_PER_HOUR, settings.AUDIT_FLAG_CASES_PER_HOUR, counted)


def denial_bursts(entries):
    """More than AUDIT_FLAG_DENIALS_PER_HOUR refusals of one person in one clock hour."""
    refused = entries.filter(outcome=Outcome.DENIED)
    return _bursts(refused, FlagKind.DENIALS_PER_HOUR, settings.AUDIT_FLAG_DENIALS_PER_HOUR, Count("pk"))


def outside_working_hours():
    """The local hours outside settings.WORKING_HOURS, as a condition on ``local_hour``."""
    start, end = settings.WORKING_HOURS
    if start <= end:
        return Q(local_hour__lt=start) | Q(local_hour__gte=end)
    return Q(local_hour__lt=start) & Q(local_hour__gte=end)  # a working day across midnight


def _single(entries, kind):
    rows = entries.order_by("-seq").values("seq", "actor_id", "timestamp", "event", "case_code", "outcome")
    return [
        Flag(
            kind=kind,
            # Named by a keyed digest of its seq, never the seq: reviewers must not see the numbering.
            key=f"{kind}:{keys.keyed_hash(keys.AUDIT_REFERENCE, str(row['seq']).encode())[:24]}",
            actor_id=row["actor_id"],
            when=row["timestamp"],
            event=row["event"],
            case_code=row["case_code"],
            outcome=row["outcome"],
            seq=row["seq"],
        )
        for row in rows[:SHOWN_PER_KIND]
    ]


def night_reveals(entries):
    """Identity reveals (asked for: allowed, refused or failed) outside working hours, local time."""
    reveals = entries.filter(event=events.IDENTITY_REVEAL.name).annotate(local_hour=ExtractHour("timestamp"))
    return _single(reveals.filter(outside_working_hours()), FlagKind.REVEAL_OUT_OF_HOURS)


def exports(entries):
    return _single(entries.filter(event__in=events.names(kind=events.EXPORT)), FlagKind.EXPORT)


def identity_in_text(entries):
    """Free text that quoted a case's identity, typed by someone who may not reveal it: she
    was answered as if nothing matched, so a reviewer is the only one who hears of it."""
    return _single(
        entries.filter(event=events.IDENTITY_IN_TEXT.name, additional_data__told=False), FlagKind.IDENTITY_IN_TEXT
    )


def duress_sign_ins(entries):
    """Sign-ins with a duress password: she may be signing in with someone standing over her.
    Her account was frozen underneath; she sees nothing of this (she reviews nothing while frozen)."""
    return _single(entries.filter(event=events.ACCOUNT_DURESS.name), FlagKind.DURESS_SIGN_IN)


def identity_write_bursts(entries):
    """More than AUDIT_FLAG_IDENTITY_WRITES_PER_HOUR identity writes by one person within
    any sixty minutes (a sliding window, not a clock hour: identity writes are few, and
    someone typing phone numbers to find other teams' clients would straddle the hour)."""
    rows = (
        entries.filter(event__in=IDENTITY_WRITES, actor__isnull=False)
        .order_by("actor_id", "timestamp")
        .values_list("actor_id", "timestamp")[:IDENTITY_WRITES_READ]
    )
    times = {}
    for actor_id, at in rows:
        times.setdefault(actor_id, []).append(at)
    flags = [flag for actor_id, seen in times.items() for flag in _write_bursts(actor_id, seen)]
    return sorted(flags, key=lambda flag: flag.when, reverse=True)[:SHOWN_PER_KIND]


# Model changes of the identity record (auditlog's registry): every write, intake included.
IDENTITY_WRITES = ("identity.create", "identity.update", "identity.delete")
IDENTITY_WRITES_READ = 20_000


def _write_bursts(actor_id, times):
    """Each burst once: from a write followed within the hour by more than the threshold,
    keyed by that first write so that a review stays attached to it."""
    threshold, kind = settings.AUDIT_FLAG_IDENTITY_WRITES_PER_HOUR, FlagKind.IDENTITY_WRITES_PER_HOUR
    flags, start = [], 0
    while start + threshold < len(times):
        if times[start + threshold] - times[start] >= timedelta(hours=1):
            start += 1
            continue
        end = bisect.bisect_left(times, times[start] + timedelta(hours=1), lo=start)
        key = f"{kind}:{actor_id}:{times[start].astimezone(datetime.UTC):%Y%m%dT%H%M%S.%fZ}"
        flags.append(Flag(kind=kind, key=key, actor_id=actor_id, when=times[start], count=end - start))
        start = end
    return flags


def _attach_people(flags):
    ids = {flag.actor_id for flag in flags if flag.actor_id is not None}
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")) if ids else {}
    for flag in flags:
        flag.actor_name = names.get(flag.actor_id, "")


def _attach_reviews(flags, organisation_id):
    if not flags:
        return
    reviews = FlagReview.objects.filter(organisation_id=organisation_id, key__in=[flag.key for flag in flags])
    by_key = {review.key: review for review in reviews.select_related("reviewed_by")}
    for flag in flags:
        flag.review = by_key.get(flag.key)


@transaction.atomic
def flag_review(*, by, flag, note):
    """Mark ``flag`` reviewed by ``by`` with ``note``, audited as ``audit.flag_review``."""
    role = reviewer(by)
    review, created = FlagReview.objects.get_or_create(
        organisation_id=role.organisation_id,
        key=flag.key,
        defaults={"kind": flag.kind, "reviewed_by": by, "note": note},
    )
    if not created:
        raise ValidationError(_("Someone has already reviewed this flag."))
    record(
        event=events.AUDIT_FLAG_REVIEW,
        actor=by,
        reason=note,
        case_code=flag.case_code,
        organisation=role.organisation_id,
        details={"flag": flag.key},
    )
    return review
