import datetime
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.accounts.services import SECOND_FACTOR_AT
from casework.identity import services
from tests.factories import PASSWORD

# Distinctive values: any of them turning up where it should not is a leak.
VALUES = {
    "legal_name": "김카나리",
    "other_names": ["Kim Ka-nari", "金嘉娜丽"],
    "date_of_birth": datetime.date(1998, 3, 14),
    "phones": ["+82 10-7391-4826"],
    "messengers": ["WeChat: canary_wx_7391"],
    "last_location": "Canarytown, Jilin",
    "notes": "Canary note 7391",
}


@pytest.fixture
def identity(world):
    services.identity_save(by=world.lead, case=world.case, values=VALUES)
    return world.case.identity


def current_code(user):
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return str(totp(device.bin_key, device.step, device.t0, device.digits, device.drift)).zfill(device.digits)


def signed_in(user):
    """A client through the real sign-in pages: the password, then a code (so her second
    factor is fresh for the next few minutes)."""
    TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "authenticator"})
    client = Client()
    step_one = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert step_one.url == reverse("accounts:verify")
    assert client.post(reverse("accounts:verify"), {"code": current_code(user)}).status_code == 302
    return client


def mark_fresh(client, seconds_ago=0):
    """As if this session proved its second factor ``seconds_ago``."""
    session = client.session
    session[SECOND_FACTOR_AT] = int(time.time()) - seconds_ago
    session.save()
