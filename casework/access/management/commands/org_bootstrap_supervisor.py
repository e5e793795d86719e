"""For operators at the server: the first supervisor of an organisation.

No page can make an account reach cases without a supervisor who already does; the first
one therefore comes from here, vouched for by whoever runs this command.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from casework.access import services as access
from casework.access.models import Organisation


class Command(BaseCommand):
    help = (
        "Make USERNAME a supervisor of every team of the organisation ORGANISATION (its slug), "
        "vouched for by you at the server. A new username gets an account with a temporary "
        "password, printed once. An existing account must have her own password and authenticator: "
        "give a current code from it with --code, read from her phone in front of you. Refused once "
        "the organisation has had a vouched supervisor (even one deactivated or reset since)."
    )

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="The slug of the organisation.")
        parser.add_argument("username", help="The person to make its first supervisor.")
        parser.add_argument(
            "--code", default="", help="For an existing account: a current code from her authenticator."
        )

    def handle(self, *args, organisation, username, code, **options):
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            raise CommandError(f"There is no organisation {organisation!r}.")
        try:
            user, password = access.supervisor_bootstrap(organisation=org, username=username, code=code)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"{user.username} supervises every team of {org.slug} and is vouched for.")
        if password:
            self.stdout.write(f"Temporary password (shown once): {password}")
            self.stdout.write("Watch her sign in, choose her own password and set up her authenticator.")
