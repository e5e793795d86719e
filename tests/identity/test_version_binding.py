"""Identity values are bound to their record's version: an operator who puts an older
encrypted value of the same case and field back into the row gets a loud failure, never
the old value shown as if it were current."""

import base64
import importlib
import io
import os
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.identity import crypto, services
from casework.identity.models import Identity
from casework.keystore import upgrade
from tests.identity.conftest import current_code, mark_fresh
from tests.signing import sign_in

OLD_NAME, NEW_NAME = "김옛이름", "김새이름"
ASK = {"purpose": "contact", "reason": "Arranging a housing visit", "fields": ["legal_name"]}


def column(identity, name):
    return Identity.objects.filter(pk=identity.pk).values_list(name, flat=True).get()


def as_operator(identity, token):
    """What a database operator can do: write a column directly, around the application."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE identity_identity SET legal_name = %s WHERE id = %s", [token, identity.pk])


def reveal(client, world):
    sign_in(client, world.lead)
    return client.post(
        reverse("cases:identity", args=[world.case.display_code]), {**ASK, "code": current_code(world.lead)}
    )


def test_an_older_value_put_back_into_the_row_fails_loudly_on_the_reveal_page(client, world):
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": OLD_NAME, "notes": "n"})
    identity = world.case.identity
    older = column(identity, "legal_name")
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": NEW_NAME})

    as_operator(identity, older)
    response = reveal(client, world)
    body = response.content.decode()
    assert response.status_code == 500
    assert OLD_NAME not in body and NEW_NAME not in body
    assert [response.templates[0].name] == ["identity/undecryptable.html"]
    entry = AuditEntry.objects.get(event="identity.reveal")
    assert (entry.actor, entry.outcome, entry.case_code) == (world.lead, "error", world.case.code)


def test_a_field_left_unchanged_by_an_edit_is_sealed_again_under_the_new_version(world):
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": OLD_NAME, "notes": "kept"})
    identity = world.case.identity
    before = column(identity, "notes")
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": NEW_NAME})
    identity = Identity.objects.get(pk=identity.pk)
    assert identity.version == 2 and column(identity, "notes") != before
    assert identity.read(["legal_name", "notes"]) == {"legal_name": NEW_NAME, "notes": "kept"}


# Tokens from before the version was bound ----------------------------------------------------


def legacy_token(plaintext, context):
    """A token as earlier releases wrote it: ``cw1``, bound to case and field only."""
    kid, cipher = crypto.keyring()[0]
    nonce = os.urandom(crypto.NONCE_BYTES)
    sealed = cipher.encrypt(nonce, plaintext.encode(), context.encode())
    return f"{crypto.LEGACY_PREFIX}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def legacy_identity(world):
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": "x"})
    identity = world.case.identity
    as_operator(identity, legacy_token(f'"{OLD_NAME}"', f"identity:{world.case.pk}:legal_name"))
    return Identity.objects.get(pk=identity.pk)


def test_an_old_token_is_refused_by_ordinary_reads(world):
    identity = legacy_identity(world)
    try:
        identity.read(["legal_name"])
    except crypto.DecryptionError as error:
        assert "--seal-legacy" in str(error) and OLD_NAME not in str(error)
    else:
        raise AssertionError("an unversioned token was read")


def test_the_upgrade_migration_seals_old_tokens_with_the_version(world):
    identity = legacy_identity(world)
    migration = importlib.import_module("casework.identity.migrations.0002_seal_identity_versions")
    migration.seal_with_versions(apps, None)
    identity = Identity.objects.get(pk=identity.pk)
    assert column(identity, "legal_name").startswith(f"{crypto.PREFIX}:")
    migration.seal_with_versions(apps, None)  # a second run changes nothing
    assert Identity.objects.get(pk=identity.pk).legal_name == identity.legal_name
    # Then the move to the case's own key (identity 0003).
    upgrade.seal_identities(apps, SimpleNamespace(connection=connection))
    identity = Identity.objects.get(pk=identity.pk)
    assert column(identity, "legal_name").startswith(f"{crypto.CASE_PREFIX}:")
    assert identity.read(["legal_name"]) == {"legal_name": OLD_NAME}
    upgrade.seal_identities(apps, SimpleNamespace(connection=connection))
    assert Identity.objects.get(pk=identity.pk).legal_name == identity.legal_name


def test_rotate_field_keys_stops_at_an_old_token_unless_told_it_is_left_from_the_upgrade(world):
    identity = legacy_identity(world)
    planted = column(identity, "legal_name")
    with pytest.raises(CommandError, match="put back into the database by hand"):
        call_command("rotate_field_keys", stdout=io.StringIO())
    assert column(identity, "legal_name") == planted
    call_command("rotate_field_keys", "--seal-legacy", stdout=io.StringIO())
    identity = Identity.objects.get(pk=identity.pk)
    assert column(identity, "legal_name").startswith(f"{crypto.CASE_PREFIX}:")
    assert identity.read(["legal_name"]) == {"legal_name": OLD_NAME} and identity.version == 1


def test_an_edit_over_a_value_put_back_changes_nothing_and_is_recorded(client, world):
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": OLD_NAME})
    older = column(world.case.identity, "legal_name")
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": NEW_NAME})
    as_operator(world.case.identity, older)
    before = Identity.objects.filter(pk=world.case.identity.pk).values().get()

    sign_in(client, world.lead)
    mark_fresh(client)  # identity writes need a fresh second factor
    edit = reverse("cases:identity_edit", args=[world.case.display_code])
    response = client.post(edit, {"version": before["version"], "notes": "A new note"})
    assert response.status_code == 500
    assert [response.templates[0].name] == ["identity/undecryptable.html"]
    assert Identity.objects.filter(pk=before["id"]).values().get() == before
    entry = AuditEntry.objects.get(event="identity.change", outcome="error")
    assert (entry.actor, entry.case_code) == (world.lead, world.case.code)
