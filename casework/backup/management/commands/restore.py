from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casework.backup import databases, envelope


class Command(BaseCommand):
    help = (
        "Restore a backup into new, empty databases (DATABASE_URL and CASEWORK_KEYSTORE_URL): DATA_FILE into the "
        "main database, KEYS_FILE into the key store, opened with the backup private key in --key FILE. "
        "Refused if either database holds a table. On PostgreSQL, run it as the owner role, then "
        "db_roles --grant --apply."
    )

    def add_arguments(self, parser):
        parser.add_argument("data_file")
        parser.add_argument("keys_file")
        parser.add_argument("--key", required=True, help="the file holding the backup private key")

    def handle(self, *args, data_file, keys_file, key, **options):
        try:
            private = Path(key).read_text().strip()
            envelope.public_key_of(private)
        except (OSError, envelope.BackupError) as error:
            raise CommandError(f"Cannot use the private key: {error}") from None
        for alias in ("default", "keystore"):
            if not databases.is_empty(alias):
                raise CommandError(f"The {alias} database is not empty: restore only into new, empty databases.")
        for alias, path in (("default", data_file), ("keystore", keys_file)):
            try:
                with open(path, "rb") as file:
                    databases.restore(alias, envelope.opened(file, private))
            except (OSError, envelope.BackupError, databases.RestoreRefused) as error:
                raise CommandError(f"The {alias} database was not restored: {error}") from None
        self.stdout.write("Restored 2 databases. Next: audit_verify, and on PostgreSQL db_roles --grant --apply.")
