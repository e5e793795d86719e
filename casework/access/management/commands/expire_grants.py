"""For cron: sweep expired grants out of the permission table.

Access already ends at the moment a grant expires (the permission layer compares the expiry
at query time); this keeps guardian's table holding only what is current. Safe to run as
often as you like: a second run finds nothing to do.
"""

from django.core.management.base import BaseCommand

from casework.access import services


class Command(BaseCommand):
    help = "Remove the permission rows of expired grants (each recorded as grant.expire). Idempotent; run from cron."

    def handle(self, *args, **options):
        swept = services.grants_expire()
        self.stdout.write(f"{swept} expired grant(s) swept." if swept else "No expired grants to sweep.")
