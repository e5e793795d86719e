"""rotate_field_keys: the organisations' keys re-wrapped under a new key of CASEWORK_FIELD_KEYS,
without touching a value; identity values left from before per-case keys sealed under their
case's key, in batches, without an edit."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from casework.audit.guard import unaudited_writes
from casework.audit.models import AuditEntry
from casework.cases.models import Case
from casework.identity import crypto, services
from casework.identity.management.commands import rotate_field_keys
from casework.identity.models import FIELDS_BY_NAME, Identity
from casework.keystore import services as keystore
from casework.keystore.models import OrganisationKey
from tests.factories import make_case

A, B, C = crypto.new_key(), crypto.new_key(), crypto.new_key()
FIRST = {
    "legal_name": "김영희",
    "other_names": ["王秀英", "Kim Young-hee"],
    "date_of_birth": datetime.date(1998, 3, 14),
}
SECOND = {"legal_name": "李美玲", "phones": ["+86 139 0000 1111"], "notes": "Lives near Yanji; 연길 근처"}
CLEAR = ["김영희", "王秀英", "Kim Young-hee", "1998-03-14", "李美玲", "+86 139 0000 1111", "Yanji", "연길"]


def kid(key):
    return crypto.key_id(crypto.parse_key(key, 1))


def rotate(**options):
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out, **options)
    return out.getvalue()


def columns(identity):
    return Identity.objects.filter(pk=identity.pk).values_list(*FIELDS_BY_NAME).get()


def organisation_key_ids():
    return {crypto.token_key_id(sealed) for sealed in OrganisationKey.objects.values_list("sealed", flat=True)}


def keys_in_store(world):
    """How many organisation keys a rotation finds: the world's two, and any an earlier test
    of this process committed to a key store of its own (a rotation re-wraps every one)."""
    organisations = set(OrganisationKey.objects.values_list("organisation_id", flat=True))
    assert {world.org.pk, world.other_org.pk} <= organisations
    return len(organisations)


@pytest.fixture
def keys_before(settings):
    """The keys configured before the test (the world's organisation keys may be under them)."""
    return list(settings.FIELD_KEYS)


@pytest.fixture
def two_identities(world, settings, keys_before):
    """The identities of two cases, in two organisations whose keys are under key A; in pk order."""
    settings.FIELD_KEYS = [A, *keys_before]
    keystore.rewrap_organisation_keys()  # every organisation key under A
    keystore.forget()
    services.identity_save(by=world.lead, case=world.case, values=FIRST)
    services.identity_save(by=world.outsider, case=make_case(world.outsider), values=SECOND)
    return list(Identity.objects.order_by("pk"))


def test_a_rotation_rewraps_the_organisation_keys_and_touches_no_value(two_identities, settings, keys_before, world):
    rows = keys_in_store(world)
    tokens = [columns(identity) for identity in two_identities]
    before = [(identity.version, identity.updated_at, identity.updated_by_id) for identity in two_identities]
    assert organisation_key_ids() == {kid(A)}
    settings.FIELD_KEYS = [B, A, *keys_before]

    output = rotate()

    settings.FIELD_KEYS = [B]  # the old keys are gone: everything still reads
    keystore.forget()
    first, second = (Identity.objects.get(pk=identity.pk) for identity in two_identities)
    assert first.read(list(FIRST)) == FIRST
    assert second.read(list(SECOND)) == SECOND
    assert organisation_key_ids() == {kid(B)}
    assert [columns(first), columns(second)] == tokens  # no value was decrypted or written again
    after = [(identity.version, identity.updated_at, identity.updated_by_id) for identity in (first, second)]
    assert after == before
    assert output.strip() == f"Done: {rows} organisation keys re-wrapped under key {kid(B)}."
    assert not any(value in output for value in CLEAR)
    entry = AuditEntry.objects.get(event="identity.rotate_keys")
    assert (entry.actor, entry.outcome) == (None, "ok")
    assert entry.additional_data == {"rewrapped": rows, "sealed": 0, "key": kid(B)}


def test_a_second_run_finds_nothing_and_records_nothing(two_identities, settings, keys_before):
    settings.FIELD_KEYS = [B, A, *keys_before]
    rotate()
    output = rotate()
    assert output.strip() == f"Nothing to rotate: every organisation key is under key {kid(B)}."
    assert AuditEntry.objects.filter(event="identity.rotate_keys").count() == 1


def test_nothing_to_rotate_when_every_key_is_under_the_newest(db, settings):
    settings.FIELD_KEYS = [B, *settings.FIELD_KEYS]
    keystore.rewrap_organisation_keys()
    assert rotate().startswith("Nothing to rotate")
    assert not AuditEntry.objects.filter(event="identity.rotate_keys").exists()


def test_a_dry_run_checks_and_counts_but_changes_nothing(two_identities, settings, keys_before, world):
    rows = keys_in_store(world)
    settings.FIELD_KEYS = [B, A, *keys_before]
    output = rotate(dry_run=True)
    assert f"Dry run: {rows} organisation keys would be re-wrapped under key {kid(B)}." in output
    assert organisation_key_ids() == {kid(A)}
    assert not AuditEntry.objects.filter(event="identity.rotate_keys").exists()


def test_a_wrong_key_fails_loudly_naming_the_key_never_the_value(two_identities, settings):
    settings.FIELD_KEYS = [C]
    keystore.forget()
    with pytest.raises(crypto.DecryptionError, match=kid(A)) as error:
        Identity.objects.get(pk=two_identities[0].pk).read()
    assert not any(value in str(error.value) for value in CLEAR)

    with pytest.raises(CommandError) as error:
        rotate()
    message = str(error.value)
    assert kid(A) in message and "after the newest key" in message and "Nothing was changed" in message
    assert not any(value in message for value in [*CLEAR, A, C])
    assert organisation_key_ids() == {kid(A)}
    assert not AuditEntry.objects.filter(event="identity.rotate_keys").exists()


# Identity values from before per-case keys: under CASEWORK_FIELD_KEYS, as the upgrade may leave them.


def plant_old_form(identity, values):
    """What the release before per-case keys stored: each value under CASEWORK_FIELD_KEYS."""
    for name, value in values.items():
        token = crypto.encrypt(FIELDS_BY_NAME[name].dump(value), identity._context(name))
        with unaudited_writes("a test: what the release before per-case keys stored"):
            Identity.objects.filter(pk=identity.pk).update(**{name: token})


@pytest.fixture
def two_old_identities(two_identities):
    for identity, values in zip(two_identities, [FIRST, SECOND], strict=True):
        plant_old_form(identity, values)
    return two_identities


def test_values_left_under_the_field_keys_are_sealed_under_their_case_key(two_old_identities, settings):
    with pytest.raises(crypto.DecryptionError, match="old form"):
        Identity.objects.get(pk=two_old_identities[0].pk).read(["legal_name"])

    output = rotate(batch_size=1)

    assert "sealed 1 of 2 identities (1 to go)" in output
    assert "sealed 2 of 2 identities (0 to go)" in output
    assert "2 identities (6 values) sealed under their case's key" in output
    assert not any(value in output for value in CLEAR)
    first, second = (Identity.objects.get(pk=identity.pk) for identity in two_old_identities)
    assert all(crypto.is_sealed(token) for token in columns(first) + columns(second) if token)
    settings.FIELD_KEYS = [settings.FIELD_KEYS[0]]
    keystore.forget()
    assert first.read(list(FIRST)) == FIRST and second.read(list(SECOND)) == SECOND
    entry = AuditEntry.objects.get(event="identity.rotate_keys")
    assert entry.additional_data["sealed"] == 2
    assert "Nothing to rotate" in rotate()


def test_it_stops_at_a_value_it_cannot_read_keeping_the_batches_before_it(two_old_identities, settings):
    second = two_old_identities[1]
    # The second identity under a key that is later lost.
    settings.FIELD_KEYS = [C, *settings.FIELD_KEYS]
    plant_old_form(second, SECOND)
    settings.FIELD_KEYS = settings.FIELD_KEYS[1:]

    with pytest.raises(CommandError, match=f"Identity {second.pk}, field legal_name"):
        rotate(batch_size=1)

    assert all(crypto.is_sealed(token) for token in columns(two_old_identities[0]) if token)
    assert not crypto.is_sealed(columns(second)[0])
    entry = AuditEntry.objects.get(event="identity.rotate_keys")
    assert (entry.outcome, entry.additional_data["sealed"]) == ("error", 1)


def test_an_interrupted_run_resumes_where_it_stopped(two_old_identities, monkeypatch):
    rotate_one = rotate_field_keys.Command._rotate
    calls = []

    def power_cut_at_the_second_identity(self, identity, *, save):
        calls.append(identity.pk)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return rotate_one(self, identity, save=save)

    monkeypatch.setattr(rotate_field_keys.Command, "_rotate", power_cut_at_the_second_identity)
    with pytest.raises(RuntimeError):
        rotate(batch_size=1)
    first, second = two_old_identities
    assert crypto.is_sealed(columns(first)[0]) and not crypto.is_sealed(columns(second)[0])

    monkeypatch.setattr(rotate_field_keys.Command, "_rotate", rotate_one)
    output = rotate(batch_size=1)
    assert "sealed 1 of 1 identities (0 to go)" in output
    keystore.forget()
    assert Identity.objects.get(pk=second.pk).read(list(SECOND)) == SECOND
    entries = AuditEntry.objects.filter(event="identity.rotate_keys").order_by("pk")
    assert [(entry.outcome, entry.additional_data["sealed"]) for entry in entries] == [("error", 1), ("ok", 1)]


def test_the_batch_size_must_be_positive(db):
    with pytest.raises(CommandError, match="at least 1"):
        rotate(batch_size=0)


def test_no_case_value_is_under_the_field_keys(two_identities):
    """What a backup of the main database holds opens with no key of the environment alone."""
    case = Case.objects.get(pk=two_identities[0].case_id)
    assert all(crypto.token_key_id(token) is None for token in columns(two_identities[0]) if token)
    assert crypto.token_key_id(case.identity.legal_name) is None
