import json

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from casework.audit import checkpoint
from casework.audit.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Print the head of the audit chain (seq, entry_hash) signed with CASEWORK_AUDIT_SIGNING_KEY, as JSON "
        "to keep outside the database. --new-key prints a new key pair instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="print a new Ed25519 key pair and stop")

    def handle(self, *args, new_key=False, **options):
        if new_key:
            private, public = checkpoint.new_keypair()
            self.stdout.write(f"CASEWORK_AUDIT_SIGNING_KEY={private}\nCASEWORK_AUDIT_PUBLIC_KEY={public}")
            return
        head = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
        if head is None:
            raise CommandError("The audit trail is empty: nothing to sign yet.")
        try:
            signed = checkpoint.sign(*head)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(signed, indent=2))
