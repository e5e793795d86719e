import datetime
import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from casework.access.models import Organisation
from casework.audit import reasons
from casework.audit.models import AuditEntry
from casework.cases import codes


def _date(text):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date: use YYYY-MM-DD.") from None


def as_json(entry, username):
    return {
        "seq": entry.seq,
        "timestamp": entry.timestamp.isoformat(),
        "actor": username,
        "event": entry.event,
        "case_code": entry.case_code,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "organisation": entry.organisation_id,
        "object": f"{entry.content_type.app_label}.{entry.content_type.model}:{entry.object_pk}",
        "changes": entry.changes,
        "details": entry.additional_data,
        "ip_hash": entry.ip_hash,
        "prev_hash": entry.prev_hash,
        "entry_hash": entry.entry_hash,
    }


CHUNK = 2000


def _opened(entries):
    """``entries`` with their sealed reasons opened (or marked erased), a chunk at a time."""
    chunk = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) == CHUNK:
            reasons.open_reasons(chunk)
            yield from chunk
            chunk = []
    reasons.open_reasons(chunk)
    yield from chunk


class Command(BaseCommand):
    help = (
        "Print audit entries as JSON lines, oldest first: --since DATE, --case CODE, --actor USERNAME, "
        "--organisation SLUG (one organisation's own trail, for handing to it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=_date, help="entries from this local date on (YYYY-MM-DD)")
        parser.add_argument("--case", help="entries about this case code")
        parser.add_argument("--actor", help="entries by this username")
        parser.add_argument("--organisation", help="entries of this organisation (its slug)")

    def handle(self, *args, since=None, case=None, actor=None, organisation=None, **options):
        entries = AuditEntry.objects.select_related("actor", "content_type").order_by("seq")
        if since:
            start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
            entries = entries.filter(timestamp__gte=start)
        if case:
            code = codes.normalise(case)
            if code is None:
                raise CommandError(f"{case!r} is not a case code.")
            entries = entries.filter(case_code=code)
        if actor:
            user = get_user_model().objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"No user is called {actor!r}.")
            entries = entries.filter(actor=user)
        if organisation:
            found = Organisation.objects.filter(slug=organisation).first()
            if found is None:
                raise CommandError(f"No organisation has the slug {organisation!r}.")
            entries = entries.filter(organisation=found)
        for entry in _opened(entries.iterator(chunk_size=CHUNK)):
            username = entry.actor.get_username() if entry.actor else None
            row = as_json(entry, username)
            if organisation:
                # One organisation's entries cannot be verified without the others' anyway,
                # and each hash names its neighbour, which may be another organisation's
                # entry: handed to one organisation, the chain would pair its entries with
                # a partner's (and so its cases with the partner's). audit_verify checks it.
                del row["prev_hash"], row["entry_hash"]
            self.stdout.write(json.dumps(row, ensure_ascii=False, sort_keys=True))
