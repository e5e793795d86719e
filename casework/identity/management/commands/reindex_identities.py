"""Rebuild the blind index of every identity under the current blind-index key.

Needed once after upgrading to per-purpose keys (casework.keys), and after changing
CASEWORK_INDEX_KEY: digests made under another key never match new ones, so duplicates
between old and new identities would go unnoticed. Idempotent: an identity whose index
already matches is left alone, and a second run changes nothing. Works in batches, each
committed on its own; prints counts only, never a value. One ``identity.reindex`` entry
records a run that changed something.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.identity import crypto
from casework.identity.models import Identity
from casework.identity.services import index_rebuild


class Command(BaseCommand):
    help = "Rebuild the blind index of every identity under the current key (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=200, help="identities per transaction (default 200)")

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        seen = rebuilt = 0
        finished = False
        try:
            for batch_seen, batch_rebuilt in self._batches(batch_size):
                seen, rebuilt = seen + batch_seen, rebuilt + batch_rebuilt
                self.stdout.write(f"checked {seen:,} identities, {rebuilt:,} re-indexed")
            finished = True
        finally:
            if rebuilt:
                outcome = Outcome.OK if finished else Outcome.ERROR
                record(event=events.IDENTITY_REINDEX, actor=None, outcome=outcome, details={"reindexed": rebuilt})
        self.stdout.write(f"Done: {rebuilt:,} of {seen:,} identities re-indexed; the others were up to date.")

    def _batches(self, batch_size):
        last_pk = 0
        while True:
            pks = list(Identity.objects.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not pks:
                return
            with transaction.atomic():
                rows = Identity.objects.filter(pk__in=pks).order_by("pk").select_for_update()
                changed = [self._rebuild(identity) for identity in rows]
            last_pk = pks[-1]
            yield len(pks), sum(changed)

    def _rebuild(self, identity):
        """Re-index ``identity`` (locked by the caller); True if its digests changed."""
        before = set(identity.index_entries.values_list("kind", "digest"))
        try:
            return index_rebuild(identity) != before
        except crypto.DecryptionError as error:
            raise CommandError(
                f"Identity {identity.pk}: {error} The identities before this one are re-indexed; "
                "fix the keys and run reindex_identities again."
            ) from None
