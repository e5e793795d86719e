"""Lockout after repeated failed sign-ins: per username, per address, the same for everyone;
unlocking; and neither an address nor a typed string ever reaches the database."""

import base64
import hashlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from casework.accounts.lockout import account_unlock
from casework.audit.models import AuditEntry
from tests.factories import PASSWORD, make_admin

LOGIN = "/accounts/login/"
ADDRESS = "203.0.113.77"
LIMIT = 5
WRONG = "not the password at all"


def attempt(client, username, password=WRONG, address=ADDRESS):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, address=ADDRESS):
    return [attempt(client, username, address=address).status_code for _ in range(times)]


def fail_from_many_addresses(client, username, times):
    """Failures for one username, each from another address: only the username lock can trip."""
    return [attempt(client, username, address=f"198.51.100.{n}").status_code for n in range(times)]


def signed_in(client):
    return SESSION_KEY in client.session


def same_page(response):
    """The body with what differs on every render anyway (the masked CSRF token, a nonce)."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', body)
    return re.sub(r'nonce="[^"]+"', 'nonce=""', body)


def test_the_limit_is_five_failures_by_default():
    assert settings.AXES_FAILURE_LIMIT == settings.CASEWORK_LOCKOUT_FAILURES == LIMIT
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


def test_it_locks_a_username_after_the_threshold(client, world):
    assert fail_from_many_addresses(client, "lead", LIMIT - 1) == [200] * (LIMIT - 1)
    assert fail_from_many_addresses(client, "lead", 1) == [429]
    # Even the right password, from yet another address, opens nothing now.
    response = attempt(client, "lead", PASSWORD, address="192.0.2.1")
    assert response.status_code == 429
    assert not signed_in(client)


def test_below_the_threshold_the_right_password_still_works(client, world):
    fail(client, "lead", LIMIT - 1)
    response = attempt(client, "lead", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_it_locks_an_address_across_usernames(client, world):
    for n in range(LIMIT):
        attempt(client, f"someone-{n}")
    assert attempt(client, "lead", PASSWORD).status_code == 429
    assert not signed_in(client)
    # The person herself is not locked: from another place she signs in.
    assert attempt(Client(), "lead", PASSWORD, address="192.0.2.1").status_code == 302


def test_the_lock_ends_after_the_cooling_off_period(client, world, monkeypatch):
    fail(client, "lead", LIMIT)
    assert attempt(client, "lead", PASSWORD).status_code == 429
    later = timezone.now() + timedelta(minutes=16)
    monkeypatch.setattr("django.core.cache.backends.db.tz_now", lambda: later)
    assert attempt(client, "lead", PASSWORD).status_code == 302


def test_a_known_and_an_unknown_username_get_the_same_locked_page(world):
    known, unknown = Client(), Client()
    fail_from_many_addresses(known, "lead", LIMIT)
    fail_from_many_addresses(unknown, "nobody-by-this-name", LIMIT)
    for_known = attempt(known, "lead", address="192.0.2.1")
    for_unknown = attempt(unknown, "nobody-by-this-name", address="192.0.2.2")
    assert for_known.status_code == for_unknown.status_code == 429
    assert same_page(for_known) == same_page(for_unknown)
    assert for_known["Retry-After"] == for_unknown["Retry-After"]
    assert "lead" not in for_known.content.decode()
    assert "administrator" in for_known.content.decode()


def test_failures_lockouts_and_unlocks_are_audited(client, world):
    fail(client, "lead", LIMIT)
    failed = AuditEntry.objects.filter(event="login.failed")
    assert failed.count() == LIMIT
    assert {(entry.actor_id, entry.outcome) for entry in failed} == {(world.lead.pk, "denied")}
    lockout = AuditEntry.objects.get(event="login.lockout")
    assert (lockout.actor_id, lockout.outcome, lockout.organisation_id) == (world.lead.pk, "denied", world.org.pk)
    account_unlock(by=world.admin, user=world.lead)
    unlock = AuditEntry.objects.get(event="login.unlock")
    assert (unlock.actor_id, unlock.object_pk, unlock.outcome) == (world.admin.pk, str(world.lead.pk), "ok")


def test_a_failure_for_an_unknown_username_is_audited_without_anyone(client, world):
    attempt(client, "nobody-by-this-name")
    entry = AuditEntry.objects.get(event="login.failed")
    assert entry.actor_id is None and entry.outcome == "denied"


def test_an_administrator_of_her_organisation_unlocks_her(client, world):
    fail(client, "lead", LIMIT)
    account_unlock(by=world.admin, user=world.lead)
    assert attempt(client, "lead", PASSWORD, address="192.0.2.1").status_code == 302


@pytest.mark.parametrize("who", ["supervisor", "lead", "other_admin", "deactivated_admin"])
def test_nobody_else_may_unlock(client, world, who):
    fail_from_many_addresses(client, "coworker", LIMIT)
    by = {
        "supervisor": world.supervisor,
        "lead": world.lead,
        "other_admin": make_admin(world.other_org),
        "deactivated_admin": make_admin(world.org, is_active=False),
    }[who]
    with pytest.raises(PermissionDenied):
        account_unlock(by=by, user=world.coworker)
    assert attempt(client, "coworker", PASSWORD, address="192.0.2.1").status_code == 429
    assert not AuditEntry.objects.filter(event="login.unlock").exists()


def test_an_operator_unlocks_with_the_command(client, world):
    fail(client, "lead", LIMIT)
    call_command("unlock_user", "lead", verbosity=0)
    assert attempt(client, "lead", PASSWORD, address="192.0.2.1").status_code == 302
    assert AuditEntry.objects.get(event="login.unlock").actor_id is None


def test_an_operator_unlocks_an_address_with_the_command(client, world):
    for n in range(LIMIT):
        attempt(client, f"someone-{n}")
    call_command("unlock_user", "--address", ADDRESS, verbosity=0)
    assert attempt(client, "lead", PASSWORD).status_code == 302


def test_the_command_refuses_an_unknown_username(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("unlock_user", "nobody-by-this-name", verbosity=0)


# Nothing stored that says where anyone signs in from, or what anyone typed ------------


def everything_stored():
    """Every row of every table we know a model for, the sessions decoded, and the lockout cache."""
    texts = []
    for model in apps.get_models():
        texts.extend(str(row) for row in model._default_manager.values())
    texts.extend(str(session.get_decoded()) for session in Session.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key, value, expires FROM casework_lockout_cache")
        for key, value, _expires in cursor.fetchall():
            texts.extend([key, value, repr(base64.b64decode(value))])
    return "\n".join(texts)


def unkeyed_hash(text):
    return hashlib.sha256(text.encode()).hexdigest()


def test_no_address_is_stored_anywhere(world):
    client = Client(HTTP_USER_AGENT="CanaryBrowser/9.9")
    fail(client, "lead", LIMIT + 1)  # failures, a lockout, refusals during it
    fail(client, "nobody-by-this-name", 2)
    account_unlock(by=world.admin, user=world.lead)
    Client().post(LOGIN, {"username": "coworker", "password": PASSWORD}, REMOTE_ADDR=ADDRESS)
    stored = everything_stored()
    assert "axes-" in stored  # the counters are there, and were read
    assert ADDRESS not in stored
    assert unkeyed_hash(ADDRESS) not in stored  # nor a hash anyone can recompute from an address
    assert "CanaryBrowser" not in stored


def test_no_typed_username_or_password_is_stored(world):
    canary_password = "Canary-Password-7731"
    fail(Client(), "KIM-CANARY", LIMIT + 1)
    attempt(Client(), "lead", canary_password, address="192.0.2.9")
    assert AuditEntry.objects.filter(event="login.failed").count() == LIMIT + 2
    assert AuditEntry.objects.filter(event="login.lockout").exists()
    trail = "\n".join(str(row) for row in AuditEntry.objects.values())
    assert "KIM-CANARY" not in trail and canary_password not in trail
    stored = everything_stored()
    assert "KIM-CANARY" not in stored and canary_password not in stored
    assert unkeyed_hash("KIM-CANARY") not in stored


class TestUnlockPage:
    URL = "/accounts/unlock/"

    def test_an_admin_unlocks_a_locked_out_member(self, client, world, sign_in):
        fail_from_many_addresses(Client(), "lead", LIMIT)
        assert attempt(Client(), "lead", PASSWORD, address="192.0.2.1").status_code == 429
        sign_in(client, world.admin)
        assert "Unlock" in client.get("/").content.decode()
        response = client.post(self.URL, {"person": world.lead.pk})
        assert response.status_code == 302
        assert attempt(Client(), "lead", PASSWORD, address="192.0.2.1").status_code == 302
        entry = AuditEntry.objects.get(event="login.unlock")
        assert (entry.actor, entry.object_pk) == (world.admin, str(world.lead.pk))

    @pytest.mark.parametrize("persona", ["supervisor", "lead"])
    def test_nobody_but_an_admin_finds_it(self, client, world, persona, sign_in):
        sign_in(client, getattr(world, persona))
        assert client.get(self.URL).status_code == 404
        assert client.post(self.URL, {"person": world.lead.pk}).status_code == 404
        assert not AuditEntry.objects.filter(event="login.unlock").exists()

    def test_people_of_another_organisation_are_not_offered(self, client, world, sign_in):
        sign_in(client, world.admin)
        response = client.post(self.URL, {"person": world.outsider.pk})
        assert response.status_code == 400
        assert not AuditEntry.objects.filter(event="login.unlock").exists()
