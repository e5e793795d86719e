"""Least privilege in PostgreSQL: who owns the tables, and what the application may do.

Two roles. The **owner** owns every table and runs the migrations; nobody serves pages as
it. The **application's role** (the one in ``DATABASE_URL`` and ``CASEWORK_KEYSTORE_URL``)
owns nothing: it reads and writes the ordinary tables and only appends to the append-only
ones (the audit trail and the record of its verifications). Not owning them, it cannot
disable their triggers, drop them or truncate them, and it is given no UPDATE, DELETE or
TRUNCATE on them to begin with, so the triggers are a second wall, not the only one.

``python manage.py db_roles --create`` prints what a superuser runs once; ``--grant``, what
the owner runs after every ``migrate`` (new tables need their grants), or runs it itself
with ``--apply``.
"""

from django.db import connections

# Tables the application may only read and append to.
APPEND_ONLY = ("audit_auditentry", "audit_chainverification")
ROLE_OPTIONS = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"


def quoted(name: str) -> str:
    return connections["default"].ops.quote_name(name)


def create_statements(owner: str, application: str, databases: list[str]) -> list[str]:
    """For a superuser, once: the two roles (passwords set afterwards with ``\\password``),
    the owner owning the databases and their ``public`` schema, the application allowed in."""
    statements = [
        f"CREATE ROLE {quoted(owner)} {ROLE_OPTIONS}",
        f"CREATE ROLE {quoted(application)} {ROLE_OPTIONS}",
    ]
    for database in databases:
        statements += [
            f"ALTER DATABASE {quoted(database)} OWNER TO {quoted(owner)}",
            f"REVOKE ALL ON DATABASE {quoted(database)} FROM PUBLIC",
            f"GRANT CONNECT, TEMPORARY ON DATABASE {quoted(database)} TO {quoted(application)}",
            f"\\connect {quoted(database)}",
            f"ALTER SCHEMA public OWNER TO {quoted(owner)}",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            f"GRANT USAGE ON SCHEMA public TO {quoted(application)}",
        ]
    return statements


def grant_statements(application: str, using: str = "default") -> list[str]:
    """For the owner, after every ``migrate``: the application's rights on the tables and
    sequences that exist now, append-only where the trail is kept."""
    connection = connections[using]
    role = quoted(application)
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        cursor.execute("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = 'public'")
        sequences = sorted(row[0] for row in cursor.fetchall())
    statements = []
    for table in tables:
        statements.append(f"REVOKE ALL ON TABLE {quoted(table)} FROM {role}")
        rights = "SELECT, INSERT" if table in APPEND_ONLY else "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f"GRANT {rights} ON TABLE {quoted(table)} TO {role}")
    for sequence in sequences:
        statements.append(f"GRANT USAGE, SELECT ON SEQUENCE {quoted(sequence)} TO {role}")
    return statements


def application_role(using: str = "default") -> str:
    """The one role, besides the owner and superusers, that may connect to the database: the
    application's, as ``create_statements`` made it. Refused when there is not exactly one."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT r.rolname FROM pg_roles r, pg_database d WHERE d.datname = current_database() "
            "AND r.rolcanlogin AND NOT r.rolsuper AND r.oid <> d.datdba AND r.rolname NOT LIKE 'pg\\_%%' "
            "AND has_database_privilege(r.oid, d.oid, 'CONNECT') ORDER BY r.rolname"
        )
        found = [row[0] for row in cursor.fetchall()]
    if len(found) != 1:
        raise ValueError(
            f"{len(found)} roles besides the owner may connect to this database; name the application's with --app."
        )
    return found[0]


def privileged_connection(using: str = "default") -> str | None:
    """Why the connection ``using`` is more than the application should be (a superuser, or
    the owner of tables), or None. Only PostgreSQL has roles; elsewhere, None."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        (superuser,) = cursor.fetchone()
        if superuser:
            return "a superuser"
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        (owned,) = cursor.fetchone()
    return f"the owner of {owned} tables" if owned else None
