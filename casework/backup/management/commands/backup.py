from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casework.audit import events
from casework.audit.services import record
from casework.backup import databases, envelope

# One file per database: the key store's backups are kept briefly (README, Keys), the main
# database's as long as the organisation needs.
FILES = {"default": "casework-data", "keystore": "casework-keys"}
SUFFIX = ".cwbk"


class Command(BaseCommand):
    help = (
        "Back up the main database and the key store, each to its own file encrypted to the backup public key "
        "(CASEWORK_BACKUP_PUBLIC_KEY), in CASEWORK_BACKUP_DIR; key-store backups older than "
        "CASEWORK_BACKUP_KEYS_DAYS are removed. Prints counts only. Recorded as backup.made."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", help="the directory (default CASEWORK_BACKUP_DIR)")

    def handle(self, *args, to=None, **options):
        public = settings.BACKUP_PUBLIC_KEY
        if not public:
            raise CommandError("CASEWORK_BACKUP_PUBLIC_KEY is not set (python manage.py backup_key_new makes one).")
        directory = Path(to or settings.BACKUP_DIR)
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        sizes = {}
        for alias, name in FILES.items():
            path = directory / f"{name}-{stamp}{SUFFIX}"
            partial = path.with_name(path.name + ".partial")
            try:
                with partial.open("xb") as file:
                    sizes[alias] = envelope.seal(databases.dumped(alias), file, public)
                partial.chmod(0o600)
                partial.replace(path)
            except (databases.RestoreRefused, OSError, envelope.BackupError) as error:
                partial.unlink(missing_ok=True)
                raise CommandError(f"The backup of the {alias} database failed: {error}") from None
        removed = self._prune(directory, settings.BACKUP_KEYS_DAYS)
        record(
            event=events.BACKUP_MADE,
            actor=None,
            details={"data_bytes": sizes["default"], "keys_bytes": sizes["keystore"], "key_backups_removed": removed},
        )
        self.stdout.write(
            f"Backed up 2 databases ({sizes['default']:,} and {sizes['keystore']:,} bytes before encryption); "
            f"removed {removed} key-store backups older than {settings.BACKUP_KEYS_DAYS} days."
        )

    def _prune(self, directory, days):
        cutoff = datetime.now(UTC) - timedelta(days=days)
        removed = 0
        for path in directory.glob(f"{FILES['keystore']}-*{SUFFIX}"):
            if datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
                path.unlink()
                removed += 1
        return removed
