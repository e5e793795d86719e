"""The application's PostgreSQL role: it reads and writes the ordinary tables, only reads and
appends to the audit trail, and cannot update, delete, truncate or unguard it; ``check
--deploy`` warns when the application connects as more than that."""

import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from casework.audit import checks, roles

ROOT = Path(__file__).resolve().parent.parent.parent
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="roles are PostgreSQL's")


@pytest.fixture
def application_role(django_db_blocker):
    """A role made as ``db_roles --create`` makes the application's, with its grants on this
    test database; a connection as it, outside the test's transaction."""
    import psycopg  # lazy: only on the PostgreSQL run

    name = f"casework_app_{uuid.uuid4().hex[:8]}"
    settings = connection.settings_dict
    server = {"host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432}
    with django_db_blocker.unblock():
        database = settings["NAME"]
        with psycopg.connect(dbname=database, user=settings["USER"], autocommit=True, **server) as admin:
            admin.execute(f'CREATE ROLE "{name}" {roles.ROLE_OPTIONS}')
            admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{name}"')
            admin.execute(f'GRANT USAGE ON SCHEMA public TO "{name}"')
            for statement in roles.grant_statements(name):
                admin.execute(statement)
        try:
            with psycopg.connect(dbname=database, user=name, autocommit=True, **server) as as_application:
                yield as_application
        finally:
            with psycopg.connect(dbname=database, user=settings["USER"], autocommit=True, **server) as admin:
                admin.execute(f'DROP OWNED BY "{name}"')
                admin.execute(f'DROP ROLE "{name}"')


def refused(as_application, statement):
    import psycopg  # lazy: only on the PostgreSQL run

    try:
        as_application.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


@postgresql_only
@pytest.mark.django_db
@pytest.mark.parametrize("table", roles.APPEND_ONLY)
def test_the_application_cannot_update_delete_truncate_or_unguard_the_trail(application_role, table):
    assert not refused(application_role, f"SELECT count(*) FROM {table}")  # noqa: S608 (our table names)
    for statement in (
        f"UPDATE {table} SET id = id",  # noqa: S608 (our table names)
        f"DELETE FROM {table}",  # noqa: S608 (our table names)
        f"TRUNCATE {table}",
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"ALTER TABLE {table} DISABLE TRIGGER USER",
        f"DROP TABLE {table}",
        f"ALTER TABLE {table} OWNER TO CURRENT_USER",
    ):
        assert refused(application_role, statement), statement
    (may_insert,) = application_role.execute(
        "SELECT has_table_privilege(current_user, %s, 'INSERT')", [table]
    ).fetchone()
    assert may_insert


@postgresql_only
@pytest.mark.django_db
def test_the_application_still_writes_its_ordinary_tables(application_role):
    for statement in ("UPDATE cases_case SET version = version WHERE false", "DELETE FROM cases_case WHERE false"):
        assert not refused(application_role, statement), statement
    assert refused(application_role, "TRUNCATE cases_case")  # only what a page needs, never a whole table


@postgresql_only
@pytest.mark.django_db
def test_check_deploy_warns_when_served_as_a_superuser():
    found = checks.application_role_owns_nothing(None)
    assert [message.id for message in found] == ["casework.W130"]
    assert "a superuser" in found[0].msg


@postgresql_only
def test_check_deploy_is_quiet_for_the_application_role_and_warns_for_the_owner(application_role):
    settings = connection.settings_dict
    (role,) = application_role.execute("SELECT current_user").fetchone()
    server = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"

    def deploy_check(user):
        environment = {
            "PATH": "/usr/bin:/bin",
            "CASEWORK_DEBUG": "0",
            "CASEWORK_SECRET_KEY": "deploy-check-only-" + "k3y" * 15,
            "CASEWORK_FIELD_KEYS": "bm90LWEtc2VjcmV0LWRlcGxveS1jaGVjay1vbmx5ISE=",
            "CASEWORK_INDEX_KEY": "deploy-check-only-index-key-0123456789",
            "CASEWORK_AUDIT_CHAIN_KEY": "deploy-check-only-chain-key-0123456789",
            "CASEWORK_ALLOWED_HOSTS": "casework.example.org",
            "DATABASE_URL": f"postgres://{user}@{server}",
            "CASEWORK_KEYSTORE_URL": f"postgres://{user}@{server}_keys_unused",
        }
        done = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
        )
        return done.returncode, done.stdout + done.stderr

    code, output = deploy_check(role)
    assert code == 0 and "W130" not in output, output
    code, output = deploy_check(settings["USER"])
    assert code != 0 and "casework.W130" in output and "superuser" in output


def test_db_roles_refuses_to_make_roles_outside_postgresql(settings):
    if connection.vendor == "postgresql":
        pytest.skip("this is the other databases' answer")  # the PostgreSQL run proves the roles above
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("db_roles", "--create")
    printed = StringIO()
    call_command("db_roles", "--grant", "--apply", stdout=printed)
    assert "nothing to grant" in printed.getvalue()
    assert checks.application_role_owns_nothing(None) == []


def test_db_roles_wants_one_of_create_or_grant():
    with pytest.raises(CommandError, match="--create or --grant"):
        call_command("db_roles")
    with pytest.raises(CommandError, match="--create or --grant"):
        call_command("db_roles", "--create", "--grant")
