"""Writing, revealing and matching identities. Every function checks the permission itself
and records what it did; none ever puts a value into an entry, a message or a log line."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.cases.models import Case
from casework.cases.services.common import EditConflict, require
from casework.identity import blind, crypto
from casework.identity.models import FIELDS_BY_NAME, DuplicateAlert, Identity, IdentityIndex

# What the blind index is computed from.
INDEXED_FIELDS = ["legal_name", "other_names", "date_of_birth", "phones"]


@transaction.atomic
def identity_save(*, by: User, case: Case, values: Mapping[str, Any], version: int | None = None) -> list[Case]:
    """Store ``values`` ({field: clear value}) for ``case``; an empty value erases its field,
    a field left out keeps what is on record. Needs the reveal permission (who may write
    an identity may read it back). Returns the cases that now look like duplicates."""
    require(by, case, "reveal")
    unknown = set(values) - set(FIELDS_BY_NAME)
    if unknown:
        raise TypeError(f"Not identity fields: {sorted(unknown)}")
    identity = Identity.objects.select_for_update().filter(case=case).first()
    if identity is None:
        identity = Identity(case=case, updated_by=by)
    elif version is not None and identity.version != version:
        raise EditConflict(identity)
    current = identity.read() if identity.pk else {}
    changed = {
        name: value for name, value in values.items() if value != current.get(name, FIELDS_BY_NAME[name].empty())
    }
    if identity.pk and not changed:
        return []
    if identity.pk:
        identity.version += 1
    # Every field is sealed again under the new version, so no token of an older one
    # (an operator's copy from last month) decrypts in this row any more.
    identity.write({**current, **changed})
    identity.updated_by, identity.updated_at = by, timezone.now()
    identity.save()
    return _reindex(by=by, identity=identity)


def index_rebuild(identity: Identity) -> set[tuple[str, str]]:
    """Make the blind index rows of ``identity`` those of its values under the current key
    (IdentityIndex is derived data, not audited row by row); returns the digests."""
    found: set[tuple[str, str]] = blind.digests(identity.read(INDEXED_FIELDS))
    if set(IdentityIndex.objects.filter(identity=identity).values_list("kind", "digest")) != found:
        IdentityIndex.objects.filter(identity=identity).delete()
        IdentityIndex.objects.bulk_create(
            IdentityIndex(identity=identity, organisation_id=identity.case.organisation_id, kind=kind, digest=digest)
            for kind, digest in found
        )
    return found


def _reindex(*, by: User, identity: Identity) -> list[Case]:
    """Rebuild the blind index of ``identity`` and flag the cases it now matches."""
    case = identity.case
    found = index_rebuild(identity)
    matches: dict[int, set[str]] = {}
    rows = IdentityIndex.objects.filter(
        organisation_id=case.organisation_id, digest__in=[digest for _kind, digest in found]
    ).exclude(identity=identity)
    for case_id, kind in rows.values_list("identity__case_id", "kind"):
        matches.setdefault(case_id, set()).add(kind)
    others = list(Case.objects.filter(pk__in=matches).order_by("code"))
    for other in others:
        _, created = DuplicateAlert.objects.get_or_create(
            case=case, other_case=other, defaults={"found_by": by, "kinds": sorted(matches[other.pk])}
        )
        if created:
            # Both codes, what kind of match, never the values that matched.
            details = {"other_case": other.code, "matched_on": sorted(matches[other.pk])}
            record(event=events.IDENTITY_DUPLICATE, actor=by, case=case, details=details)
    return others


def identity_reveal(*, by: User, case: Case, fields: Iterable[str], purpose: str, reason: str) -> dict[str, Any]:
    """Decrypt ``fields`` of the identity of ``case`` for ``by``, and record it: who, which
    case, which fields (names), why. A value that will not decrypt is recorded as an error
    and raises crypto.DecryptionError: nothing unreal is ever shown."""
    require(by, case, "reveal")
    identity = Identity.objects.filter(case=case).first()
    names = [name for name in fields if name in FIELDS_BY_NAME]
    details = {"fields": names, "purpose": purpose}
    try:
        values: dict[str, Any] = identity.read(names) if identity is not None else {}
    except crypto.DecryptionError:
        record(event=events.IDENTITY_REVEAL, actor=by, case=case, outcome=Outcome.ERROR, reason=reason, details=details)
        raise
    record(event=events.IDENTITY_REVEAL, actor=by, case=case, reason=reason, details=details)
    return values


def identity_reveal_refused(*, by: User, case: Case, fields: Iterable[str], purpose: str, reason: str) -> None:
    """A reveal asked for and refused (a wrong or missing second factor)."""
    details = {"fields": [name for name in fields if name in FIELDS_BY_NAME], "purpose": purpose}
    record(event=events.IDENTITY_REVEAL, actor=by, case=case, outcome=Outcome.DENIED, reason=reason, details=details)


@transaction.atomic
def identity_change_refused(*, by: User, case: Case | None = None, fields: Iterable[str] = ()) -> None:
    """An identity write refused for want of a fresh second factor (at intake, before the
    case exists, without a case). Field names only."""
    details = {"fields": sorted(name for name in fields if name in FIELDS_BY_NAME)}
    record(event=events.IDENTITY_CHANGE, actor=by, case=case, outcome=Outcome.DENIED, details=details)


def duplicates_seen_by(user: User, limit: int = 20) -> tuple[list[DuplicateAlert], set[str]]:
    """The latest possible duplicates involving a case ``user`` manages (a supervisor of
    either team), with the set of codes among them she may open; not those she found
    herself that involve a case she may not open."""
    managed = Case.objects.restrict(user, "manage").values("pk")
    alerts = list(
        DuplicateAlert.objects.filter(Q(case__in=managed) | Q(other_case__in=managed)).select_related(
            "case", "other_case"
        )[:limit]
    )
    codes = {alert.case.code for alert in alerts} | {alert.other_case.code for alert in alerts}
    visible = set(Case.objects.restrict(user, "view").filter(code__in=codes).values_list("code", flat=True))
    # What she typed herself must not tell her of a case she cannot see: other supervisors hear of it.
    alerts = [
        alert for alert in alerts if alert.found_by_id != user.pk or {alert.case.code, alert.other_case.code} <= visible
    ]
    return alerts, visible
