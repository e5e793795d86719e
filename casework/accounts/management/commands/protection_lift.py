"""For operators at the server: lift a freeze or end travel mode when nobody in the
organisation may (she is its only supervisor). Audited like a supervisor's act, with no
actor: the trail says an operator did it, and why."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casework.accounts import protection
from casework.accounts.models import AccountGuard


class Command(BaseCommand):
    help = (
        "Unfreeze USERNAME and end her travel mode, with --reason. For when no supervisor of her "
        "organisation may (she is its only supervisor); otherwise a supervisor does it from her "
        "safety page, with a fresh code. Every session of hers ends: she signs in again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The username of the protected person.")
        parser.add_argument("--reason", required=True, help="Why it is lifted (kept in the audit trail).")

    def handle(self, *args, username, reason, **options):
        User = get_user_model()
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"There is no user named {username!r}.")
        guard = AccountGuard.objects.filter(user=user).first()
        if guard is None or not guard.empties_workspace():
            raise CommandError(f"{username} is neither frozen nor in travel mode.")
        lifted = []
        try:
            with transaction.atomic():
                if guard.is_frozen:
                    protection.account_unfreeze(by=None, user=user, reason=reason)
                    lifted.append("unfrozen")
                if guard.is_travelling():
                    protection.travel_end(by=None, user=user, reason=reason)
                    lifted.append("travel mode ended")
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"{username}: {', '.join(lifted)}. She signs in again.")
