"""Sessions: a new key at sign-in, idle and absolute limits, ended from the server by sign-out,
"sign out everywhere else" and deactivation; an old cookie never opens anything again."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access import services as access
from casework.accounts.models import LoginSession
from casework.accounts.sessions import end_sessions
from casework.audit.models import AuditEntry
from tests.factories import PASSWORD

PAGE = "/cases/"
LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
SIGN_OUT_OTHERS = "/accounts/security/sign-out-others/"


def cookie(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def with_cookie(value):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = value
    return client


def sent_to_login(response):
    return response.status_code == 302 and response.url.startswith(LOGIN)


@pytest.fixture
def clock(monkeypatch):
    """Move time forward without sleeping: ``clock.move(minutes=31)``."""

    class Clock:
        now = timezone.now()

        def move(self, **delta):
            self.now += timedelta(**delta)

    fake = Clock()
    monkeypatch.setattr(timezone, "now", lambda: fake.now)
    return fake


# Sign-in ---------------------------------------------------------------------------


def test_signing_in_gives_a_new_session_key(client, world):
    before = client.session.session_key
    assert before and Session.objects.filter(session_key=before).exists()
    response = client.post(LOGIN, {"username": "lead", "password": PASSWORD})
    assert response.status_code == 302 and SESSION_KEY in client.session
    assert cookie(client) != before
    assert not Session.objects.filter(session_key=before).exists()


def test_each_signed_in_session_is_tracked_without_where_from(client, world, sign_in):
    sign_in(client, world.lead)
    row = LoginSession.objects.get(user=world.lead)
    assert row.session_key == cookie(client)
    assert {field.name for field in LoginSession._meta.fields} == {
        "id",
        "user",
        "session_key",
        "created_at",
        "last_seen_at",
    }


def test_the_tracking_follows_the_new_key_of_the_second_step(client, world):
    device = TOTPDevice.objects.create(user=world.lead, name="authenticator", confirmed=True)
    client.post(LOGIN, {"username": "lead", "password": PASSWORD})
    half_signed_in = cookie(client)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    response = client.post("/accounts/verify/", {"code": f"{code:0{device.digits}d}"})
    assert response.status_code == 302
    assert cookie(client) != half_signed_in
    assert LoginSession.objects.get(user=world.lead).session_key == cookie(client)
    assert client.get(PAGE).status_code == 200
    end_sessions(user=world.lead)
    assert sent_to_login(client.get(PAGE))


# Time limits -------------------------------------------------------------------------


def test_a_session_idle_longer_than_the_limit_ends(client, world, clock, sign_in):
    sign_in(client, world.lead)
    key = cookie(client)
    clock.move(minutes=29)
    assert client.get(PAGE).status_code == 200
    clock.move(minutes=31)
    response = client.get(PAGE)
    assert sent_to_login(response)
    assert not Session.objects.filter(session_key=key).exists()
    assert not LoginSession.objects.filter(user=world.lead).exists()
    assert "without activity" in client.get(response.url).content.decode()
    assert AuditEntry.objects.filter(event="session.expire", actor=world.lead).exists()


def test_the_idle_limit_is_a_setting(client, world, clock, settings, sign_in):
    settings.CASEWORK_SESSION_IDLE_MINUTES = 5
    sign_in(client, world.lead)
    clock.move(minutes=6)
    assert sent_to_login(client.get(PAGE))


def test_activity_is_written_at_most_once_a_minute(client, world, clock, sign_in):
    sign_in(client, world.lead)
    first = LoginSession.objects.get(user=world.lead).last_seen_at
    clock.move(seconds=30)
    client.get(PAGE)
    assert LoginSession.objects.get(user=world.lead).last_seen_at == first
    clock.move(seconds=31)
    client.get(PAGE)
    assert LoginSession.objects.get(user=world.lead).last_seen_at == clock.now


def test_a_busy_session_still_ends_at_its_absolute_lifetime(client, world, clock, settings, sign_in):
    settings.SESSION_COOKIE_AGE = 2 * 60 * 60
    sign_in(client, world.lead)
    for _ in range(6):  # two hours of steady work
        clock.move(minutes=20)
        assert client.get(PAGE).status_code == 200
    clock.move(minutes=5)
    response = client.get(PAGE)
    assert sent_to_login(response)
    assert "signed in a long time ago" in client.get(response.url).content.decode()


def test_the_absolute_lifetime_is_twelve_hours_by_default():
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    assert settings.CASEWORK_SESSION_IDLE_MINUTES == 30


def test_a_session_from_before_tracking_began_is_ended(client, world, sign_in):
    sign_in(client, world.lead)
    session = client.session
    del session["casework_signed_in_at"]
    session.save()
    assert sent_to_login(client.get(PAGE))


# Sign-out ----------------------------------------------------------------------------


def test_sign_out_is_post_only(client, world, sign_in):
    sign_in(client, world.lead)
    assert client.get(LOGOUT).status_code == 405
    assert client.get(PAGE).status_code == 200  # still signed in


def test_sign_out_ends_the_session_and_clears_the_browser(client, world, sign_in):
    sign_in(client, world.lead)
    old = cookie(client)
    response = client.post(LOGOUT)
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert not Session.objects.filter(session_key=old).exists()
    assert not LoginSession.objects.filter(user=world.lead).exists()
    entry = AuditEntry.objects.get(event="logout")
    assert entry.actor_id == world.lead.pk and old not in str(entry.__dict__)
    assert sent_to_login(with_cookie(old).get(PAGE))


def test_an_expired_session_still_signs_out_and_clears_the_browser(client, world, clock, sign_in):
    sign_in(client, world.lead)
    old = cookie(client)
    clock.move(minutes=45)
    response = client.post(LOGOUT)
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert not Session.objects.filter(session_key=old).exists()


def test_a_half_signed_in_session_can_sign_out(client, world, sign_in):
    sign_in(client, world.lead, second_factor=False)
    old = cookie(client)
    assert client.post(LOGOUT).status_code == 302
    assert not Session.objects.filter(session_key=old).exists()


@pytest.mark.parametrize("url", [LOGOUT, SIGN_OUT_OTHERS, "/accounts/password/"])
def test_posts_need_the_csrf_token(world, url, sign_in):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, world.lead)
    assert client.post(url).status_code == 403
    assert client.get(PAGE).status_code == 200


# Ending sessions from elsewhere ------------------------------------------------------


def test_sign_out_everywhere_else(world, sign_in):
    here, laptop, phone, someone_else = Client(), Client(), Client(), Client()
    for client in (here, laptop, phone):
        sign_in(client, world.lead)
    sign_in(someone_else, world.coworker)
    response = here.post(SIGN_OUT_OTHERS)
    assert response.status_code == 302 and response.url == "/accounts/security/"
    assert sent_to_login(laptop.get(PAGE)) and sent_to_login(phone.get(PAGE))
    assert here.get(PAGE).status_code == 200
    assert someone_else.get(PAGE).status_code == 200
    assert LoginSession.objects.filter(user=world.lead).count() == 1
    entry = AuditEntry.objects.get(event="session.end_others")
    assert (entry.actor_id, entry.additional_data) == (world.lead.pk, {"ended": 2})


def test_the_security_page_offers_it(client, world, sign_in):
    sign_in(client, world.lead)
    page = client.get("/accounts/security/").content.decode()
    assert f'action="{SIGN_OUT_OTHERS}"' in page
    assert 'href="/accounts/password/"' in page


def test_deactivation_ends_a_live_session_at_once(client, world, sign_in):
    sign_in(client, world.lead)
    old = cookie(client)
    assert client.get(PAGE).status_code == 200
    access.membership_deactivate(by=world.admin, membership=world.lead.membership)
    assert not Session.objects.filter(session_key=old).exists()
    assert sent_to_login(client.get(PAGE))
    # Ended on the server, not just refused while the account is inactive: reactivating
    # her does not bring the old session back.
    world.lead.is_active = True
    world.lead.save(update_fields=["is_active"])
    assert sent_to_login(with_cookie(old).get(PAGE))


def test_end_sessions_can_keep_one(world, sign_in):
    kept, ended = Client(), Client()
    sign_in(kept, world.lead)
    sign_in(ended, world.lead)
    assert end_sessions(user=world.lead, keep=kept.session) == 1
    assert kept.get(PAGE).status_code == 200
    assert sent_to_login(ended.get(PAGE))
