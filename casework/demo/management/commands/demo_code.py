"""Print a demo user's current sign-in code, so the demo can be tried without an authenticator app."""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.demo.plan import demo_usernames


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (development only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError(
                "demo_code works only with CASEWORK_DEBUG=1: real accounts get their codes from a phone."
            )
        if username not in demo_usernames():
            raise CommandError(f"{username} is not a demo user; demo_code prints codes for demo users only.")
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            exists = User.objects.filter(username=username).exists()
            raise CommandError(
                f"{username} has no authenticator" if exists else f"There is no user {username}: run make run first."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
