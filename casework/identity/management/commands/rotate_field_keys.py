"""Re-encrypt every identity value that is not under the newest key of CASEWORK_FIELD_KEYS,
or (with ``--seal-legacy``) that is still in the old form, not bound to its record's
version (``cw1``). Without that option an old-form value stops the run: after the upgrade
it is either left over from a server still on the old release, or an older value that
someone put back by hand, and sealing it would make it look current.

A rotation is not an edit: versions, ``updated_at`` and ``updated_by`` stay as they were,
and auditlog writes no per-row diff (it would only say "[redacted]" thousands of times).
The run leaves one ``identity.rotate_keys`` entry with the count instead. It works in
batches, each committed on its own, so an interrupted run loses nothing and the next
run finds only what is still stale. It prints counts and field names, never a value.
"""

from auditlog.context import disable_auditlog
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.identity import crypto
from casework.identity.models import FIELD_NAMES, Identity
from casework.partners import keys as partner_keys


def stale_identities(newest):
    """Identities holding a token that does not name key ``newest`` in the current form
    (found without decrypting)."""
    fresh = f"{crypto.PREFIX}:{newest}:"
    stale = Q()
    for name in FIELD_NAMES:
        stale |= ~Q(**{name: ""}) & ~Q(**{f"{name}__startswith": fresh})
    return Identity.objects.filter(stale)


class Command(BaseCommand):
    help = (
        "Re-encrypt identity values under the newest key of CASEWORK_FIELD_KEYS "
        "(the new key first, the old ones after it while this runs)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=200, help="identities per transaction (default 200)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check that every stale value decrypts; change nothing"
        )
        parser.add_argument(
            "--seal-legacy",
            action="store_true",
            help="also seal values in the old form (cw1), left over from the upgrade, under their record's version",
        )

    def handle(self, *args, batch_size, dry_run, seal_legacy, **options):
        self.seal_legacy = seal_legacy
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        newest = crypto.newest_key_id()
        if not dry_run:
            self._reseal_partner_keys(newest)
        total = stale_identities(newest).count()
        if not total:
            self.stdout.write(f"Nothing to rotate: every identity value is under key {newest}.")
            return
        verb = "checked" if dry_run else "rotated"
        done = rotated = values = 0
        finished = False
        try:
            for batch_done, batch_rotated, batch_values in self._batches(newest, batch_size, save=not dry_run):
                done, rotated, values = done + batch_done, rotated + batch_rotated, values + batch_values
                total = max(total, done)  # stale rows can appear meanwhile (a server still on the old keys)
                self.stdout.write(f"{verb} {done:,} of {total:,} identities ({total - done:,} to go)")
            finished = True
        finally:
            # Also after a failure or Ctrl-C: the batches committed before it are rotated.
            if rotated and not dry_run:
                outcome = Outcome.OK if finished else Outcome.ERROR
                record(
                    event=events.IDENTITY_ROTATE_KEYS,
                    actor=None,
                    outcome=outcome,
                    details={"rotated": rotated, "key": newest},
                )
        if dry_run:
            self.stdout.write(
                f"Dry run: {rotated:,} identities ({values:,} values) would be re-encrypted under key {newest}; "
                "all of them decrypt with the configured keys. Nothing was changed."
            )
        else:
            self.stdout.write(f"Done: {rotated:,} identities ({values:,} values) re-encrypted under key {newest}.")

    def _reseal_partner_keys(self, newest):
        """Organisations' private keys for partners on another server, and identity values
        in packets still on their way: under the newest key too, or they would stop
        opening once the old key is removed."""
        with transaction.atomic():
            keys_resealed = partner_keys.reseal_private_keys()
            packets_resealed = partner_keys.reseal_packet_identities()
        if keys_resealed or packets_resealed:
            self.stdout.write(
                f"Organisation keys re-encrypted: {keys_resealed:,}; packets on their way re-encrypted: "
                f"{packets_resealed:,} (under key {newest})."
            )

    def _batches(self, newest, batch_size, *, save):
        """Walk the stale identities in pk order, one transaction per batch; yields
        (identities looked at, identities re-encrypted, values re-encrypted) per batch."""
        last_pk = 0
        while True:
            stale = stale_identities(newest).filter(pk__gt=last_pk).order_by("pk")
            pks = list(stale.values_list("pk", flat=True)[:batch_size])
            if not pks:
                return
            with transaction.atomic():
                rows = Identity.objects.filter(pk__in=pks).order_by("pk")
                counts = [
                    self._rotate(identity, save=save) for identity in (rows.select_for_update() if save else rows)
                ]
            last_pk = pks[-1]
            yield len(pks), sum(1 for count in counts if count), sum(counts)

    def _rotate(self, identity, *, save):
        """Re-encrypt the stale values of ``identity`` (locked by the caller); returns how many."""
        stale = identity.stale_fields()
        clear = {}
        for name in stale:
            if crypto.is_legacy(getattr(identity, name)) and not self.seal_legacy:
                raise CommandError(
                    f"Identity {identity.pk}, field {name} is in the old form, not bound to its record's version. "
                    "If it is left over from the upgrade, run rotate_field_keys --seal-legacy. Otherwise an older "
                    "value was put back into the database by hand: do not seal it; find out who, and restore it."
                )
            try:
                clear.update(identity.read([name], legacy=True))
            except crypto.DecryptionError as error:
                committed = "are rotated already" if save else "were only checked (dry run)"
                raise CommandError(
                    f"Identity {identity.pk}, field {name}: {error} If a key is missing, put it back into "
                    "CASEWORK_FIELD_KEYS after the newest key and run rotate_field_keys again; the identities "
                    f"before this one {committed}."
                ) from None
        if save and stale:
            with disable_auditlog():
                identity.write(clear)
                identity.save(update_fields=stale)
        return len(stale)
