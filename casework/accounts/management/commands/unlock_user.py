"""For operators at the server: let a locked-out person try to sign in again at once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from casework.accounts.lockout import account_unlock, address_unlock


class Command(BaseCommand):
    help = (
        "Clear the failed sign-in count of USERNAME, so that she can try again at once. "
        "With --address, also clear the count of failed sign-ins from that client address."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="The username of the locked-out person.")
        parser.add_argument(
            "--address", help="A client IP address whose failed sign-ins locked everyone out there (never stored)."
        )

    def handle(self, *args, username=None, address=None, **options):
        if not username and not address:
            raise CommandError("Give a username, or --address, or both.")
        if username:
            User = get_user_model()
            user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
            if user is None:
                raise CommandError(f"There is no user named {username!r}.")
            account_unlock(by=None, user=user)
            self.stdout.write(f"{username} may sign in again.")
        if address:
            address_unlock(address=address)
            self.stdout.write("Sign-ins from that address are no longer refused.")
