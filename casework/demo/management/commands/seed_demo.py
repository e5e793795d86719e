"""Fill an empty database with the synthetic demo data set (see DESIGN.md, "The demo data contract")."""

import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casework.access.models import Organisation
from casework.demo import seeding as demo


class Command(BaseCommand):
    help = (
        "Fill an empty database with synthetic, deterministic demo data. Never run it on real data. "
        "Identities are stored encrypted; the manifest holds passwords, TOTP secrets and the identities' "
        "clear values, so treat it as a secret even though the data are synthetic."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=demo.DEFAULT_CASES, help="How many cases (default 40).")
        parser.add_argument("--seed", type=int, default=1, help="The same seed on the same day gives the same data.")
        parser.add_argument(
            "--manifest",
            type=Path,
            help="Write the logins and cases, with the identities in clear, as JSON to this file (a secret).",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete all casework data first (only with CASEWORK_DEBUG=1)."
        )
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if there are organisations already.")

    def handle(self, *args, cases, seed, manifest, reset, if_empty, **options):
        self._check_options(cases, manifest, reset, if_empty)
        if if_empty and Organisation.objects.exists():
            self.stdout.write("Demo data is already there; nothing changed.")
            return
        if not reset and demo.database_has_data():
            raise CommandError(
                "The database already holds organisations or cases. seed_demo only fills an empty database; "
                "in development, --reset (with CASEWORK_DEBUG=1) deletes all casework data first."
            )
        started = time.monotonic()
        with transaction.atomic():
            if reset:
                demo.reset()
            data = demo.seed(cases=cases, seed=seed, progress=self._progress)
        self.stdout.write(
            f"Seeded {len(data['cases'])} cases and {len(data['users'])} demo users with seed {seed} "
            f"in {time.monotonic() - started:.1f} s."
        )
        if manifest is not None:
            self._write_manifest(manifest, data)

    def _check_options(self, cases, manifest, reset, if_empty):
        if cases < 0:
            raise CommandError("--cases must be zero or more.")
        if manifest is not None and not manifest.parent.is_dir():
            raise CommandError(f"Cannot write the manifest to {manifest}: {manifest.parent} is not a directory.")
        if reset and if_empty:
            raise CommandError("Use either --reset or --if-empty, not both.")
        if not settings.DEBUG:
            # Demo accounts have published passwords: they must never reach a production database.
            raise CommandError(
                "seed_demo creates accounts with published passwords, so it only runs in development "
                "(CASEWORK_DEBUG=1)."
            )

    def _progress(self, done, total):
        self.stdout.write(f"  {done:,} of {total:,} cases written")

    def _write_manifest(self, path, data):
        # Passwords, TOTP secrets and identities in clear: readable by the owner only, even if synthetic.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8") as manifest:
            json.dump(data, manifest, ensure_ascii=False, indent=1)
            manifest.write("\n")
        self.stdout.write(
            f"Wrote the manifest to {path}. It holds demo passwords and the identities in clear: "
            "treat it as a secret and keep it out of version control."
        )
