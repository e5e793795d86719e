import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casework.backup import envelope


class Command(BaseCommand):
    help = (
        "Make a backup key pair: the private key goes to PRIVATE_FILE (mode 600; keep it offline, never on the "
        "server that makes backups), the public key is printed, for CASEWORK_BACKUP_PUBLIC_KEY."
    )

    def add_arguments(self, parser):
        parser.add_argument("private_file", help="where to write the private key (must not exist)")

    def handle(self, *args, private_file, **options):
        path = Path(private_file)
        private, public = envelope.new_key_pair()
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{path} exists: choose another file, an old key must not be overwritten.") from None
        with os.fdopen(descriptor, "w") as file:
            file.write(private + "\n")
        self.stdout.write(f"CASEWORK_BACKUP_PUBLIC_KEY={public}")
