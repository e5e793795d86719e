from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

from casework.audit import roles


@register(Tags.security, deploy=True)
def application_role_owns_nothing(app_configs, **kwargs):
    """Served as a superuser or as the tables' owner, the application could disable the
    audit table's triggers, or drop it: the roles of ``db_roles`` keep that from it."""
    try:
        why = roles.privileged_connection()
    except DatabaseError:
        return []  # the database does not answer: other checks and the first request say so
    if why is None:
        return []
    return [
        Warning(
            f"The application connects to PostgreSQL as {why}: it could disable the audit trail's triggers "
            "or drop its tables.",
            hint="Serve as a role that owns no table (python manage.py db_roles; README, Production).",
            id="casework.W130",
        )
    ]
