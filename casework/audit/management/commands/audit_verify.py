from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from casework.audit import checkpoint, verification
from casework.audit.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Walk the audit chain and recompute every hash; exit non-zero naming the first entry that was "
        "edited, removed, inserted or reordered. With --checkpoint FILE, also check the chain against a "
        "signed checkpoint kept outside the database. With --incremental, start from the last position a "
        "previous run found intact (for a nightly run). Every run is recorded as audit.verify."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="verify only the entries after the last position a previous run found intact",
        )
        parser.add_argument("--checkpoint", metavar="FILE", help="a file written by audit_checkpoint")
        parser.add_argument(
            "--from-checkpoint",
            metavar="FILE",
            help="start at a signed checkpoint, for a trail whose older entries were archived",
        )

    def handle(self, *args, checkpoint=None, from_checkpoint=None, incremental=False, **options):
        if incremental and from_checkpoint:
            raise CommandError("Use --incremental or --from-checkpoint, not both.")
        start = verification.Start(*self._load(from_checkpoint)) if from_checkpoint else None
        run = verification.verify_chain(incremental=incremental, start=start)
        if not run.ok:
            raise CommandError(
                f"The audit chain is broken at seq {run.problem_seq}: {run.problem}. "
                f"{run.problem_seq - 1:,} entries before it are intact."
            )
        if checkpoint:
            self._check_against(checkpoint)
        where = f"entries {run.from_seq + 1:,} to {run.up_to_seq:,}" if run.from_seq else f"{run.up_to_seq:,} entries"
        self.stdout.write(f"The audit chain is intact: {where} ({run.entries:,} read).")

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
