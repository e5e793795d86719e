"""At the server: erase an organisation that two of its supervisors confirmed leaves.

Every case erased as by hand (a tombstone each; stubs kept, so that no code is issued
again), every account deactivated and signed out, the organisation marked erased, its keys
destroyed. Refuses without two confirmations or while a case is on legal hold. Prints counts.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from casework.access.models import Organisation
from casework.retention import services


class Command(BaseCommand):
    help = "Erase an organisation (every case, account and key) after two of its supervisors confirmed."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the organisation's slug")

    def handle(self, *args, slug, **options):
        organisation = Organisation.objects.filter(slug=slug, is_remote=False).first()
        if organisation is None:
            raise CommandError("No such organisation on this server.")
        try:
            counts = services.organisation_erase(organisation=organisation)
        except ValidationError as refusal:
            raise CommandError(" ".join(refusal.messages)) from None
        self.stdout.write(f"{counts['erased']} case(s) erased, {counts['memberships']} account(s) deactivated.")
        if counts["held"]:
            raise CommandError(
                f"{counts['held']} case(s) were put on legal hold during the run and are kept; the organisation "
                "and its keys stay until a supervisor lifts each hold (reactivate one) and this runs again."
            )
