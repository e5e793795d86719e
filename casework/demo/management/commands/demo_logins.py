"""Print the demo logins from a seed_demo manifest, for `make run`."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

COLUMNS = ("username", "role", "organisation", "password")


class Command(BaseCommand):
    help = "Print the demo logins (username, role, organisation, password) from a seed_demo manifest."

    def add_arguments(self, parser):
        parser.add_argument("--manifest", type=Path, required=True, help="The file seed_demo --manifest wrote.")

    def handle(self, *args, manifest, **options):
        users = self._read_users(manifest)
        rows = [COLUMNS, *[tuple(str(user.get(column, "")) for column in COLUMNS) for user in users]]
        widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
        self.stdout.write("Demo logins. These are synthetic demo-only credentials: never use them for real work.")
        for row in rows:
            self.stdout.write("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
        self.stdout.write(f"Each user is enrolled in two-factor sign-in; the TOTP secrets are in {manifest}.")
        self.stdout.write(
            "No authenticator app at hand? Get a user's current code with: "
            "CASEWORK_DEBUG=1 .venv/bin/python manage.py demo_code USERNAME"
        )

    def _read_users(self, path):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(
                f"There is no demo manifest at {path}. Create it with: manage.py seed_demo --manifest {path}"
            ) from None
        except (OSError, ValueError) as error:
            raise CommandError(f"Could not read the demo manifest at {path}: {error}") from None
        if not isinstance(data, dict) or not isinstance(data.get("users"), list):
            raise CommandError(f"{path} is not a seed_demo manifest: it has no list of users.")
        return data["users"]
