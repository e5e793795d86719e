from django.core.management.base import BaseCommand

from casework.identity.crypto import new_key


class Command(BaseCommand):
    help = "Print a new random key for CASEWORK_FIELD_KEYS (put it first, keep the old ones after it)."

    def handle(self, *args, **options):
        self.stdout.write(new_key())
