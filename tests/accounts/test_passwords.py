"""Passwords: Argon2 first, Django's validators, and changing one's own with the current one."""

import importlib

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.models import User
from django.test import Client, override_settings

from casework.accounts.models import LoginSession
from casework.audit.models import AuditEntry
from tests.factories import PASSWORD

URL = "/accounts/password/"
PAGE = "/cases/"
NEW = "plum orchard lantern quietly"


def change(client, old=PASSWORD, new=NEW, again=None):
    return client.post(URL, {"old_password": old, "new_password1": new, "new_password2": again or new})


def project_settings():
    """The settings module itself, as production loads it (the test fixture swaps the hashers)."""
    return importlib.import_module("casework.settings")


def test_argon2_hashes_new_passwords_and_older_hashes_still_verify():
    hashers = project_settings().PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in hashers
    with override_settings(PASSWORD_HASHERS=hashers):
        assert identify_hasher(make_password(NEW)).algorithm == "argon2"
        assert check_password(NEW, make_password(NEW, hasher="pbkdf2_sha256"))


def test_the_validators_are_length_common_and_similarity_without_composition_rules():
    names = [validator["NAME"].rsplit(".", 1)[1] for validator in project_settings().AUTH_PASSWORD_VALIDATORS]
    assert sorted(names) == ["CommonPasswordValidator", "MinimumLengthValidator", "UserAttributeSimilarityValidator"]


def test_anyone_signed_out_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_page_asks_for_the_current_password_and_the_new_one_twice(client, world, sign_in):
    sign_in(client, world.lead)
    page = client.get(URL)
    assert page.status_code == 200
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'name="{name}"' in page.content.decode()


def test_a_change_keeps_this_session_and_ends_the_others(client, world, sign_in):
    elsewhere = Client()
    sign_in(elsewhere, world.lead)
    sign_in(client, world.lead)
    response = change(client)
    assert response.status_code == 302 and response.url == "/accounts/security/"
    assert User.objects.get(pk=world.lead.pk).check_password(NEW)
    assert client.get(PAGE).status_code == 200
    assert elsewhere.get(PAGE).status_code == 302
    [row] = LoginSession.objects.filter(user=world.lead)
    assert row.session_key == client.session.session_key  # this session, under its new key
    entry = AuditEntry.objects.get(event="password.change")
    assert (entry.actor_id, entry.outcome, entry.additional_data) == (world.lead.pk, "ok", {"sessions_ended": 1})
    assert PASSWORD not in str(entry.__dict__) and NEW not in str(entry.__dict__)


def test_a_wrong_current_password_changes_nothing_and_is_audited(client, world, sign_in):
    sign_in(client, world.lead)
    response = change(client, old="not my password at all")
    assert response.status_code == 400
    assert User.objects.get(pk=world.lead.pk).check_password(PASSWORD)
    assert AuditEntry.objects.get(event="password.change").outcome == "denied"


def test_guessing_the_current_password_counts_towards_the_lockout(client, world, sign_in):
    sign_in(client, world.lead)
    statuses = [change(client, old=f"guess number {n}").status_code for n in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    assert change(client).status_code == 429  # even the right one, until the wait is over
    assert User.objects.get(pk=world.lead.pk).check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("Tq8#mz!pL2x", "at least 12 characters"),  # 11 characters
        ("password1234", "too common"),
        ("sunflowerkim2024", "too similar"),  # to her e-mail address
    ],
)
def test_weak_new_passwords_are_refused(client, world, new, message, sign_in):
    world.lead.email = "sunflowerkim@example.org"
    world.lead.save(update_fields=["email"])
    sign_in(client, world.lead)
    response = change(client, new=new)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.get(pk=world.lead.pk).check_password(PASSWORD)
    assert not AuditEntry.objects.filter(event="password.change").exists()


def test_the_new_password_must_be_typed_twice_the_same(client, world, sign_in):
    sign_in(client, world.lead)
    assert change(client, again=NEW + "x").status_code == 400
    assert User.objects.get(pk=world.lead.pk).check_password(PASSWORD)
