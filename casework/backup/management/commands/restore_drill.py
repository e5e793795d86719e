"""The restore drill: back up, restore into fresh databases, and check what came back.

Everything happens on new databases of its own (made on the server of --server, dropped at
the end) and demo data: it proves the procedure, never touches the organisation's data,
and needs nothing but PostgreSQL (or, with a sqlite:// server, files).
"""

import base64
import contextlib
import json
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from casework.backup import envelope

# Run in each database, old and new: the rows of every table, and a digest of the first
# identities decrypted with the environment's keys (through the restored key store).
SNAPSHOT = """
import hashlib, json
from django.db import connections
from casework.identity.models import Identity
counts = {}
for alias in ("default", "keystore"):
    connection = connections[alias]
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute("SELECT count(*) FROM " + connection.ops.quote_name(table))
            counts[alias + ":" + table] = cursor.fetchone()[0]
digest, opened = hashlib.sha256(), 0
for identity in Identity.objects.select_related("case").order_by("pk")[:SAMPLE]:
    values = identity.read()
    digest.update(json.dumps(values, sort_keys=True, default=str).encode())
    opened += 1
print(json.dumps({"counts": counts, "identities": opened, "digest": digest.hexdigest()}))
"""


class Command(BaseCommand):
    help = (
        "Rehearse a restore: demo data in new databases, backup, restore into other new databases, then "
        "audit_verify, a sample of identities decrypted with the environment's keys, and every table's row "
        "count compared. Prints the result; exits non-zero if anything differs. Drops its databases after."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--server",
            default=os.environ.get("RESTORE_DRILL_SERVER", "postgres://postgres@127.0.0.1:5432/postgres"),
            help="where to make the drill's databases: a PostgreSQL URL (any database on the server) or sqlite://",
        )
        parser.add_argument("--cases", type=int, default=60, help="demo cases to back up (default 60)")
        parser.add_argument("--sample", type=int, default=20, help="identities to decrypt and compare (default 20)")

    def handle(self, *args, server, cases, sample, **options):
        if cases < 1 or sample < 1:
            raise CommandError("--cases and --sample must be 1 or more: an empty drill proves nothing.")
        self.sample = sample
        with tempfile.TemporaryDirectory(prefix="casework-drill-") as scratch:
            self.scratch = Path(scratch)
            with self._databases(server) as (source, restored):
                self._drill(source, restored, cases)

    # The databases --------------------------------------------------------------------

    @contextlib.contextmanager
    def _databases(self, server):
        """((data, keys) to back up, (data, keys) to restore into): files in the scratch
        directory for a sqlite:// server, else new PostgreSQL databases, dropped after (those
        made, even if making the next one failed)."""
        parts = ("data", "keys", "data2", "keys2")
        made = []
        try:
            if server.startswith("sqlite"):
                urls = [f"sqlite:///{self.scratch / part}.sqlite3" for part in parts]
            else:
                suffix = uuid.uuid4().hex[:8]
                base = server.rsplit("/", 1)[0]
                for part in parts:
                    name = f"casework_drill_{part}_{suffix}"
                    self._admin(server, f'CREATE DATABASE "{name}"')
                    made.append(name)
                urls = [f"{base}/{name}" for name in made]
            yield (urls[0], urls[1]), (urls[2], urls[3])
        finally:
            for name in made:
                self._admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, server, statement):
        import psycopg  # lazy: only for a drill on PostgreSQL

        config = dj_database_url.parse(server)
        options = {
            key: config[source]
            for key, source in (("host", "HOST"), ("port", "PORT"), ("user", "USER"), ("password", "PASSWORD"))
            if config.get(source)
        }
        with psycopg.connect(dbname=config["NAME"], autocommit=True, **options) as connection:
            connection.execute(statement)

    # The drill ------------------------------------------------------------------------

    def _drill(self, source, restored, cases):
        private, public = envelope.new_key_pair()
        key_file = self.scratch / "backup-private-key"
        key_file.write_text(private)
        key_file.chmod(0o600)
        backups = self.scratch / "backups"
        backups.mkdir()
        keys = {
            "CASEWORK_SECRET_KEY": secrets.token_urlsafe(50),
            "CASEWORK_FIELD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "CASEWORK_INDEX_KEY": secrets.token_urlsafe(32),
            "CASEWORK_AUDIT_CHAIN_KEY": secrets.token_urlsafe(32),
        }
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.scratch), **keys}
        production = {**base, "CASEWORK_DEBUG": "0", "CASEWORK_ALLOWED_HOSTS": "localhost"}
        old = {**production, "DATABASE_URL": source[0], "CASEWORK_KEYSTORE_URL": source[1]}
        new = {**production, "DATABASE_URL": restored[0], "CASEWORK_KEYSTORE_URL": restored[1]}
        seeding = {**old, "CASEWORK_DEBUG": "1"}  # demo data is made in development mode only

        self._run("migrate --database keystore --no-input", old)
        self._run("migrate --no-input", old)
        self._run(f"seed_demo --cases {cases} --manifest {self.scratch / 'manifest.json'}", seeding)
        before = self._snapshot(old)

        started = time.monotonic()
        self._run(f"backup --to {backups}", {**old, "CASEWORK_BACKUP_PUBLIC_KEY": public})
        backed_up = time.monotonic() - started
        files = sorted(backups.iterdir())
        data = next(path for path in files if path.name.startswith("casework-data-"))
        key_store = next(path for path in files if path.name.startswith("casework-keys-"))
        sizes = sum(path.stat().st_size for path in files)

        started = time.monotonic()
        self._run(f"restore {data} {key_store} --key {key_file}", new)
        restored_in = time.monotonic() - started
        # Counted before audit_verify, which records its own run. The backup's own entry is
        # written after the dump, so the restored trail is the trail as it was before it.
        after = self._snapshot(new)
        verified = self._run("audit_verify", new).strip()
        differences = {
            table: (count, after["counts"].get(table))
            for table, count in before["counts"].items()
            if after["counts"].get(table) != count
        }
        problems = []
        if differences or set(after["counts"]) != set(before["counts"]):
            problems.append(f"row counts differ: {differences}")
        if after["identities"] != before["identities"] or after["digest"] != before["digest"]:
            problems.append("the identities decrypted after the restore differ from those before")
        if before["identities"] == 0:
            problems.append("no identity to decrypt: the drill proves nothing about the keys")
        self.stdout.write(
            f"Restore drill on {'SQLite' if source[0].startswith('sqlite') else 'PostgreSQL'}: {cases} demo cases.\n"
            f"  backup: 2 files, {sizes:,} bytes encrypted, in {backed_up:.1f} s\n"
            f"  restore into new databases: {restored_in:.1f} s\n"
            f"  audit_verify: {verified}\n"
            f"  row counts: {len(before['counts'])} tables compared, "
            f"{'all equal' if not differences else f'{len(differences)} differ'} "
            f"({sum(after['counts'].values()):,} rows)\n"
            f"  identities: {after['identities']} decrypted with the environment's keys through the restored "
            f"key store, {'identical to' if after['digest'] == before['digest'] else 'DIFFERENT from'} the originals"
        )
        if problems:
            raise CommandError("The restore drill FAILED: " + "; ".join(problems))
        self.stdout.write("The restore drill passed.")

    def _snapshot(self, environment):
        code = SNAPSHOT.replace("SAMPLE", str(self.sample))
        return json.loads(self._run(f"shell -c {shlex.quote(code)}", environment).splitlines()[-1])

    def _run(self, arguments, environment):
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *shlex.split(arguments)]
        done = subprocess.run(command, env=environment, capture_output=True, text=True, cwd=settings.BASE_DIR)  # noqa: S603 (our own tools, our own arguments)
        if done.returncode != 0:
            raise CommandError(f"{arguments.split()[0]} failed:\n{done.stderr[-2000:]}")
        return done.stdout
