"""The bench database: created if missing, migrated, filled at the requested scale once."""

import json

import psycopg
from psycopg import sql

from bench import environment


def _scale_in(url):
    """The scale recorded in the database at ``url`` (a dict), or None: no database, or no data set."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT to_regclass('bench_scale')").fetchone()
            if row is None or row[0] is None:
                return None
            found = conn.execute("SELECT scale FROM bench_scale").fetchone()
    except psycopg.OperationalError:
        return None
    if found is None:
        return None
    return found[0] if isinstance(found[0], dict) else json.loads(found[0])


def _exists(name):
    with psycopg.connect(environment.maintenance_url(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def prepare(wanted, progress=print):
    """Make sure the bench database holds the data set of ``wanted`` (a Scale, as a dict
    compares); drop and rebuild it when it holds another scale or none. Call before
    Django connects. Returns True when the data set must be generated."""
    url, name = environment.database_url(), environment.database_name()
    found = _scale_in(url)
    if found == wanted:
        progress(f"reusing the data set in {name}: {found}")
        return False
    with psycopg.connect(environment.maintenance_url(), autocommit=True) as conn:
        if _exists(name):
            progress(f"{name} holds {found or 'no complete data set'}: dropping it")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def migrate(progress=print):
    """Migrations, the lockout cache table and the static files (the pages render with the
    production storage, which needs its manifest)."""
    from django.core.management import call_command

    progress("migrating")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
