from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from casework.audit import roles


class Command(BaseCommand):
    help = (
        "Least privilege in PostgreSQL (README, Production). --create prints what a superuser runs once: "
        "an owner role that owns the tables and runs migrations, and the application's role, which owns "
        "nothing. --grant prints the application's rights on the tables as they are now (append-only on "
        "the audit trail); the owner runs them after every migrate, or runs them at once with --apply."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="casework_owner", help="the owner role (default casework_owner)")
        parser.add_argument(
            "--app",
            help="the application's role (default: casework_app with --create; with --grant, the one role "
            "besides the owner that may connect to the database, as --create left it)",
        )
        parser.add_argument("--create", action="store_true", help="print the roles to create, for a superuser")
        parser.add_argument("--grant", action="store_true", help="print the grants for the tables that exist")
        parser.add_argument("--apply", action="store_true", help="with --grant: run them on the databases")

    def handle(self, *args, owner, app, create, grant, apply, **options):
        if create == grant:
            raise CommandError("Give --create or --grant.")
        aliases = ("default", "keystore")
        if any(connections[alias].vendor != "postgresql" for alias in aliases):
            if grant:  # part of every upgrade's steps, which a trial on SQLite follows too
                self.stdout.write("Not PostgreSQL: no roles, nothing to grant.")
                return
            raise CommandError("Roles are PostgreSQL's: DATABASE_URL or CASEWORK_KEYSTORE_URL names another database.")
        if create:
            names = [connections[alias].settings_dict["NAME"] for alias in aliases]
            app = app or "casework_app"
            self._print(roles.create_statements(owner, app, names))
            self.stdout.write(f"-- then, as a superuser: \\password {owner} and \\password {app}")
            return
        for alias in aliases:
            try:
                role = app or roles.application_role(using=alias)
            except ValueError as error:
                raise CommandError(str(error)) from None
            statements = roles.grant_statements(role, using=alias)
            if not apply:
                self.stdout.write(f"-- on {connections[alias].settings_dict['NAME']}:")
                self._print(statements)
                continue
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
            self.stdout.write(f"{len(statements)} grants to {role} applied on the {alias} database.")

    def _print(self, statements):
        for statement in statements:
            self.stdout.write(statement if statement.startswith("\\") else f"{statement};")
