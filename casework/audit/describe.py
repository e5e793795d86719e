"""An audit entry in words a supervisor reads: what happened (the catalogue's label), its
details with translated names, and whether it deserves a look before the routine.

Never shows a changed value, only which fields changed; never a raw event key or field name
when the catalogue or the model knows a word for it.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.access.models import GrantLevel, Role
from casework.audit import events
from casework.audit.models import AuditEntry, ChainVerification, Outcome
from casework.cases import codes
from casework.cases.choices import AssignmentRole, JourneyStage
from casework.identity.forms import Purpose
from casework.identity.models import FIELDS_BY_NAME
from casework.retention.choices import ErasureReason, HoldReason, RetentionRuleKind

MODEL_CHANGES = (AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE, AuditEntry.Action.DELETE)
LIST_SHOWN = 5
# Details that repeat a column, name a view function or a form class, or hold a key id.
HIDDEN_DETAILS = {"organisation_id", "case_code", "page", "form", "record", "uid", "key", "bulk", "seed"}
DETAIL_LABELS = {
    "fields": _("Fields"),
    "purpose": _("Purpose"),
    "changed": _("Changed"),
    "user": _("Person"),
    "role": _("Role"),
    "level": _("Level"),
    "expires": _("Until"),
    "from": _("From"),
    "to": _("To"),
    "other_case": _("Other case"),
    "matched_on": _("Matched on"),
    "cases": _("Cases"),
    "codes": _("Cases shown"),
    "rows": _("Rows"),
    "generalised": _("Rows made coarser"),
    "left_out": _("Cases left out"),
    "min_count": _("Smallest group"),
    "filters": _("Filters"),
    "ended": _("Sessions ended"),
    "remaining": _("Recovery codes left"),
    "reason": _("Why"),
    "flag": _("Flag"),
    "week": _("Week"),
    "teams": _("Teams"),
    "rotated": _("Identities"),
    "rewrapped": _("Organisation keys re-wrapped"),
    "sealed": _("Identities sealed under their case's key"),
    "days": _("Days"),
    "what": _("What"),
    "event": _("Event"),
    "outcome": _("Outcome"),
    "code": _("Case code"),
    "date_from": _("From"),
    "date_to": _("To"),
    "before": _("Older than entry"),
    "page": _("Page"),
    "unassign": _("Taken off its cases"),
    "sessions_ended": _("Sessions ended"),
    "requests_withdrawn": _("Requests withdrawn"),
    "grants_revoked": _("Grants revoked"),
    "replaced_temporary": _("Replaced a temporary password"),
    "levels": _("Levels"),
    "failures": _("Failed attempts"),
    "supervises": _("Supervises"),
    "by": _("By"),
    "scope": _("Scope"),
    "kind": _("Kind"),
    "entries": _("Entries read"),
    "broken_at": _("Broken at entry"),
    "problem": _("Problem"),
    "reindexed": _("Identities re-indexed"),
    "data_bytes": _("Main database (bytes)"),
    "keys_bytes": _("Key store (bytes)"),
    "key_backups_removed": _("Key-store backups removed"),
    "told": _("The writer was warned"),
    "request": _("Request"),
    "cause": _("Because of"),
    "partner": _("Partner organisation"),
    "categories": _("What it holds"),
    "answer": _("Answer"),
    "refused": _("Refused because"),
    "active": _("Now active"),
    "by_partner": _("Done by the partner"),
    "entry": _("Directory entry of"),
    "consent": _("Because consent was withdrawn"),
    "erased": _("Erased"),
    "partner_left": _("The partner organisation left"),
    "kept": _("Kept"),
    "because": _("Because"),
    "rule": _("Retention rule"),
    "confirmed_by": _("Confirmed by"),
    "waiting": _("Waits for a second supervisor"),
    "hold": _("Held because"),
    "due": _("Due for erasure on"),
    "warned": _("Newly due for erasure"),
    "held": _("Held, not erased"),
    "postponed": _("Postponed"),
    "gone": _("Erased meanwhile"),
    "memberships": _("Accounts deactivated"),
    "packets": _("Packets on their way to it closed"),
    "confirmations": _("Confirmations"),
    "months_after_closure": _("Months after closure"),
    "months_without_contact": _("Months without contact"),
    "warning_days": _("Warning (days)"),
    "second_supervisor": _("Erasing needs a second supervisor"),
    "stage": _("Stage"),
    "since": _("Since"),
    "until": _("Until (last day)"),
    "own": _("By the person herself"),
}
_CHOICES = {
    "purpose": dict(Purpose.choices),
    "role": {**dict(Role.choices), **dict(AssignmentRole.choices)},
    "level": dict(GrantLevel.choices),
    "levels": dict(GrantLevel.choices),
    "outcome": dict(Outcome.choices),
    "kind": dict(ChainVerification.Kind.choices),
    "because": dict(ErasureReason.choices),
    "rule": dict(RetentionRuleKind.choices),
    "hold": dict(HoldReason.choices),
    "stage": dict(JourneyStage.choices),
}


def sensitive() -> Q:
    """The entries a reviewer sees first: sensitive events, and any refusal or failure."""
    return Q(event__in=events.names(sensitive=True)) | ~Q(outcome=Outcome.OK)


def is_sensitive(entry) -> bool:
    event = events.CATALOGUE.get(entry.event)
    return entry.outcome != Outcome.OK or event is None or event.sensitive


def out_of_hours(moment) -> bool:
    start, end = settings.WORKING_HOURS
    hour = timezone.localtime(moment).hour
    return not (start <= hour < end) if start <= end else end <= hour < start


def details(entry) -> list[tuple[str, str]]:
    """What an entry adds to its columns, as (label, value) pairs: its details with short
    values, and for a model change the names of the changed fields (never their values)."""
    shown = []
    for key, value in sorted((entry.additional_data or {}).items()):
        if key not in HIDDEN_DETAILS:
            shown.append((str(DETAIL_LABELS.get(key, key)), _value(key, value)))
    # What a new record holds is no news; what an update changed is.
    if entry.action == AuditEntry.Action.UPDATE and changed_fields(entry):
        names = sorted(field_label(entry, name) for name in changed_fields(entry))
        shown.append((str(DETAIL_LABELS["changed"]), ", ".join(names)))
    return shown


def _value(key, value) -> str:
    if value is None or isinstance(value, bool):
        return {None: "—", True: str(_("yes")), False: str(_("no"))}[value]
    if key == "fields" and isinstance(value, list):
        value = [str(FIELDS_BY_NAME[name].label) if name in FIELDS_BY_NAME else name for name in value]
    elif key == "levels" and isinstance(value, list):
        value = [str(_CHOICES[key].get(level, level)) for level in value]
    elif key == "event":
        value = str(events.label(value))
    elif key in _CHOICES:
        value = str(_CHOICES[key].get(value, value))
    if isinstance(value, list | tuple):
        more = f", … +{len(value) - LIST_SHOWN}" if len(value) > LIST_SHOWN else ""
        return ", ".join(map(str, value[:LIST_SHOWN])) + more
    if isinstance(value, dict):  # the filters of a look at the trail, in words too
        return ", ".join(
            f"{DETAIL_LABELS.get(name, name)}: {_value(name, item)}" for name, item in sorted(value.items())
        )
    return str(value)


def changed_fields(entry) -> list[str]:
    changes = entry.changes_dict if entry.changes else {}
    return list(changes) if isinstance(changes, dict) else []


def field_label(entry, name) -> str:
    """The model's word for a changed field (ContentType's cache: no query per entry)."""
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    try:
        return str(model._meta.get_field(name).verbose_name)
    except (FieldDoesNotExist, AttributeError):
        return name


def described(entries):
    """``entries`` with what the templates show: label, details, display code, sensitivity."""
    for entry in entries:
        entry.label = events.label(entry.event)
        entry.detail_items = details(entry)
        entry.display_code = codes.display(entry.case_code) if entry.case_code else ""
        entry.sensitive = is_sensitive(entry)
        entry.out_of_hours = out_of_hours(entry.timestamp)
    return entries
