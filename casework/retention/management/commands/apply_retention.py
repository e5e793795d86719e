"""For a nightly timer: erase the cases due under their organisation's retention rules.

Warns first (the case shows on its supervisors' home page for the warning period), never
erases a case on legal hold or postponed past today, and prints counts only: a code on a
terminal or in a log would outlive the case. Safe to run as often as you like.
"""

from django.core.management.base import BaseCommand

from casework.retention import services


class Command(BaseCommand):
    help = "Erase the cases due under the retention rules (not held, warned long enough). Idempotent; prints counts."

    def handle(self, *args, **options):
        counts = services.apply_retention()
        self.stdout.write(
            f"{counts['erased']} case(s) erased, {counts['warned']} newly due, {counts['held']} held, "
            f"{counts['swept']} key(s) swept."
        )
