"""Signing a test client in: the password step, then the second factor.

Tests get ``sign_in`` as a fixture (tests/conftest.py); helper modules that are not tests
import it from here. Tests of the sign-in pages themselves go through the real forms instead.
"""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

# Django's own password step. The guard in tests/test_signing.py holds the test client to it
# and every test module to sign_in(), so that no test is signed in by a hidden patch.
PASSWORD_STEP = Client.force_login


def sign_in(client, user, *, second_factor=True):
    """Sign ``user`` in on ``client`` and return the client.

    With ``second_factor`` (the default) the session is fully signed in: her confirmed
    authenticator (one is made if she has none) is marked verified, as the code page would.
    ``second_factor=False`` stops after the password step, where the site asks for a code
    (or, with no authenticator yet, sends her to set one up).
    """
    PASSWORD_STEP(client, user)
    if second_factor:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
