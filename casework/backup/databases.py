"""A database as a stream of bytes and back: pg_dump and pg_restore for PostgreSQL, SQLite's
own backup for SQLite. Passwords go to pg_dump in its environment, never on its command line."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db import connections

CHUNK = 1 << 16


class RestoreRefused(Exception):
    """The database to restore into is not empty, or the tools are missing."""


def _postgres_environment(alias: str) -> dict[str, str]:
    settings = connections[alias].settings_dict
    environment = {**os.environ, "PGDATABASE": str(settings["NAME"])}
    for name, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if settings.get(key):
            environment[name] = str(settings[key])
    return environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RestoreRefused(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def dumped(alias: str) -> Iterator[bytes]:
    """The whole database ``alias``, as bytes."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        yield from _pg_dump(alias)
    elif connection.vendor == "sqlite":
        yield from _sqlite_dump(alias)
    else:
        raise RestoreRefused(f"Backups know PostgreSQL and SQLite, not {connection.vendor}.")


def _pg_dump(alias: str) -> Iterator[bytes]:
    command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    with subprocess.Popen(  # noqa: S603 (our own tools, our own arguments)
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_postgres_environment(alias)
    ) as process:
        assert process.stdout is not None
        while chunk := process.stdout.read(CHUNK):
            yield chunk
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise RestoreRefused(f"pg_dump failed: {error.strip()[:500]}")


def _sqlite_dump(alias: str) -> Iterator[bytes]:
    source = str(connections[alias].settings_dict["NAME"])
    if source == ":memory:" or "mode=memory" in source:
        raise RestoreRefused("An in-memory database has nothing to back up.")
    with tempfile.TemporaryDirectory(prefix="casework-backup-") as directory:
        copy = Path(directory) / "copy.sqlite3"
        live, target = sqlite3.connect(source), sqlite3.connect(copy)
        try:
            live.backup(target)  # a consistent copy, even while the server writes
        finally:
            live.close()
            target.close()
        with copy.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk


def is_empty(alias: str) -> bool:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def restore(alias: str, chunks: Iterable[bytes]) -> None:
    """Put a dump into the database ``alias``, which must be empty."""
    connection = connections[alias]
    if not is_empty(alias):
        raise RestoreRefused(f"The {alias} database is not empty: restore only into a new, empty database.")
    if connection.vendor == "postgresql":
        connection.close()
        command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        environment = _postgres_environment(alias)
        command.append(f"--dbname={environment['PGDATABASE']}")
        with subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=environment) as process:  # noqa: S603 (our own tools, our own arguments)
            assert process.stdin is not None
            for chunk in chunks:
                process.stdin.write(chunk)
            process.stdin.close()
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        if process.returncode != 0:
            raise RestoreRefused(f"pg_restore failed: {error.strip()[:500]}")
    elif connection.vendor == "sqlite":
        target = Path(connection.settings_dict["NAME"])
        connection.close()
        partial = target.with_name(target.name + ".restoring")
        try:
            with partial.open("wb") as file:
                for chunk in chunks:
                    file.write(chunk)
        except BaseException:
            partial.unlink(missing_ok=True)  # nothing half-restored is left behind
            raise
        partial.replace(target)
    else:
        raise RestoreRefused(f"Backups know PostgreSQL and SQLite, not {connection.vendor}.")
