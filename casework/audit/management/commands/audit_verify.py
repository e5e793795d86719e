from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from casework.audit import chain, checkpoint
from casework.audit.models import AuditEntry

BATCH = 2000


class Command(BaseCommand):
    help = (
        "Walk the audit chain and recompute every hash; exit non-zero naming the first entry that was "
        "edited, removed, inserted or reordered. With --checkpoint FILE, also check the chain against a "
        "signed checkpoint kept outside the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", metavar="FILE", help="a file written by audit_checkpoint")
        parser.add_argument(
            "--from-checkpoint",
            metavar="FILE",
            help="start at a signed checkpoint, for a trail whose older entries were archived",
        )

    def handle(self, *args, checkpoint=None, from_checkpoint=None, **options):
        after = self._load(from_checkpoint) if from_checkpoint else (0, chain.GENESIS)
        entries = AuditEntry.objects.filter(seq__gt=after[0]).order_by("seq").iterator(chunk_size=BATCH)
        try:
            count, problem = chain.verify(entries, after)
        finally:
            entries.close()  # release the server-side cursor now, not when collected
        if problem is not None:
            seq, what = problem
            raise CommandError(
                f"The audit chain is broken at seq {seq}: {what}. {count - 1} entries before it are intact."
            )
        if checkpoint:
            self._check_against(checkpoint)
        self.stdout.write(f"The audit chain is intact: {count:,} entries.")

    def _load(self, path):
        try:
            with open(path, encoding="utf-8") as file:
                return checkpoint.load(file.read())
        except (OSError, checkpoint.CheckpointError, ImproperlyConfigured) as error:
            raise CommandError(f"Cannot use the checkpoint: {error}") from None

    def _check_against(self, path):
        seq, entry_hash = self._load(path)
        found = AuditEntry.objects.filter(seq=seq).values_list("entry_hash", flat=True).first()
        if found is None:
            raise CommandError(
                f"The checkpoint names seq {seq}, which is no longer in the trail: entries were removed."
            )
        if found != entry_hash:
            raise CommandError(f"The chain does not match the checkpoint at seq {seq}: the trail was rewritten.")
        self.stdout.write(f"It matches the signed checkpoint at seq {seq:,}.")
