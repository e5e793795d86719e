"""Put every key under the newest key of CASEWORK_FIELD_KEYS.

Values are encrypted under their case's own key (casework.keystore), and case keys under
their organisation's key; only the organisation keys (one per organisation, in the key
store) are encrypted under CASEWORK_FIELD_KEYS. A rotation re-wraps those, and nothing
else: no value is decrypted, no row of the main database changes. It also re-encrypts the
organisations' private keys for partners on other servers.

Identity values still under CASEWORK_FIELD_KEYS themselves (left over from before per-case
keys, ``cw2``, or older still, ``cw1``, not bound to their record's version) are sealed
under their case's key on the way, in batches. A ``cw1`` value stops the run unless
``--seal-legacy`` says it is left over from the upgrade: otherwise it is an older value
that someone put back by hand, and sealing it would make it look current.

A rotation is not an edit: versions, ``updated_at`` and ``updated_by`` stay as they were,
and auditlog writes no per-row diff. The run leaves one ``identity.rotate_keys`` entry with
the counts instead. It prints counts and field names, never a value.
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
from casework.keystore import services as keystore
from casework.partners import keys as partner_keys


def stale_identities():
    """Identities holding a value not yet under its case's key (found without decrypting)."""
    fresh = f"{crypto.CASE_PREFIX}:"
    stale = Q()
    for name in FIELD_NAMES:
        stale |= ~Q(**{name: ""}) & ~Q(**{f"{name}__startswith": fresh})
    return Identity.objects.filter(stale)


class Command(BaseCommand):
    help = (
        "Re-wrap the organisations' keys under the newest key of CASEWORK_FIELD_KEYS "
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
        rewrapped = self._rewrap(newest, dry_run=dry_run)
        if not dry_run:
            self._reseal_partner_keys(newest)
        total = stale_identities().count()
        if not total:
            if rewrapped and not dry_run:
                self._record(newest, rewrapped, 0, finished=True)
                self.stdout.write(f"Done: {rewrapped:,} organisation keys re-wrapped under key {newest}.")
            elif not dry_run:
                self.stdout.write(f"Nothing to rotate: every organisation key is under key {newest}.")
            return
        verb = "checked" if dry_run else "sealed"
        done = sealed = values = 0
        finished = False
        try:
            for batch_done, batch_sealed, batch_values in self._batches(batch_size, save=not dry_run):
                done, sealed, values = done + batch_done, sealed + batch_sealed, values + batch_values
                total = max(total, done)  # stale rows can appear meanwhile (a server still on the old release)
                self.stdout.write(f"{verb} {done:,} of {total:,} identities ({total - done:,} to go)")
            finished = True
        finally:
            # Also after a failure or Ctrl-C: the batches committed before it are done.
            if (sealed or rewrapped) and not dry_run:
                self._record(newest, rewrapped, sealed, finished=finished)
        if dry_run:
            self.stdout.write(
                f"Dry run: {sealed:,} identities ({values:,} values) would be sealed under their case's key; "
                "all of them decrypt with the configured keys. Nothing was changed."
            )
        else:
            self.stdout.write(
                f"Done: {rewrapped:,} organisation keys re-wrapped under key {newest}; {sealed:,} identities "
                f"({values:,} values) sealed under their case's key."
            )

    def _record(self, newest, rewrapped, sealed, *, finished):
        record(
            event=events.IDENTITY_ROTATE_KEYS,
            actor=None,
            outcome=Outcome.OK if finished else Outcome.ERROR,
            details={"rewrapped": rewrapped, "sealed": sealed, "key": newest},
        )

    def _rewrap(self, newest, *, dry_run):
        """The organisation keys under ``newest``; returns how many were (or would be) re-wrapped."""
        stale = keystore.stale_organisation_keys()
        if not stale:
            return 0
        try:
            if dry_run:
                keystore.check_organisation_keys()
                self.stdout.write(f"Dry run: {stale:,} organisation keys would be re-wrapped under key {newest}.")
                return stale
            return keystore.rewrap_organisation_keys()
        except crypto.DecryptionError as error:
            raise CommandError(
                f"An organisation key: {error} Put the missing key back into CASEWORK_FIELD_KEYS after the newest "
                "key and run rotate_field_keys again. Nothing was changed."
            ) from None

    def _reseal_partner_keys(self, newest):
        """Organisations' private keys for partners on another server, and identity values
        in packets still on their way: under the newest key too, or they would stop
        opening once the old key is removed."""
        with transaction.atomic():
            keys_resealed = partner_keys.reseal_private_keys()
            packets_resealed = partner_keys.reseal_packet_identities()
        if keys_resealed or packets_resealed:
            self.stdout.write(
                f"Private keys for partners re-encrypted under key {newest}: {keys_resealed:,}; packets on their "
                f"way sealed under their recipient's key: {packets_resealed:,}."
            )

    def _batches(self, batch_size, *, save):
        """Walk the stale identities in pk order, one transaction per batch; yields
        (identities looked at, identities sealed, values sealed) per batch."""
        last_pk = 0
        while True:
            stale = stale_identities().filter(pk__gt=last_pk).order_by("pk")
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
        """Seal the stale values of ``identity`` (locked by the caller) under its case's key;
        returns how many."""
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
                committed = "are sealed already" if save else "were only checked (dry run)"
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
