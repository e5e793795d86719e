"""Identity values are stored as AES-GCM tokens under their case's own key, bound to their
case, field and version."""

import base64
import datetime
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from casework.identity import crypto
from casework.identity.checks import field_keys_are_usable
from casework.identity.models import FIELDS_BY_NAME, Identity

KEY = crypto.new_key()
VALUES = {
    "legal_name": "김영희",  # text
    "other_names": ["王秀英", "Kim Young-hee", "李美"],  # lines
    "date_of_birth": datetime.date(1998, 3, 14),  # date
    "approximate_age": "about 25",
    "phones": ["+86 139 0000 1111", "010-2345-6789"],
    "addresses": "吉林省延吉市 某小区 3号楼\n함경북도 회령시",
    "notes": "Prefers to be called Young; 영희라고 불러 주세요.",
}


@pytest.fixture(autouse=True)
def _one_key(settings):
    # The newest key; the one before stays to open the organisation keys made with it.
    settings.FIELD_KEYS = [KEY, *settings.FIELD_KEYS]


def identity_with(case, by, values):
    identity = Identity(case=case, updated_by=by)
    identity.write(values)
    identity.save()
    return Identity.objects.get(pk=identity.pk)


def stored(identity, name):
    """The column as the database holds it."""
    return Identity.objects.filter(pk=identity.pk).values_list(name, flat=True).get()


def clear_text(value):
    return (
        value.isoformat()
        if isinstance(value, datetime.date)
        else "\n".join(value)
        if isinstance(value, list)
        else value
    )


def test_every_kind_of_field_comes_back_as_written_in_any_script(world):
    identity = identity_with(world.case, world.lead, VALUES)
    assert {FIELDS_BY_NAME[name].kind for name in VALUES} == {"text", "lines", "date"}
    assert identity.read(list(VALUES)) == VALUES
    assert sorted(identity.filled()) == sorted(VALUES)


def test_an_empty_field_stays_empty_and_reads_as_empty(world):
    identity = identity_with(world.case, world.lead, {"legal_name": "김영희", "phones": [], "date_of_birth": None})
    assert stored(identity, "phones") == stored(identity, "date_of_birth") == ""
    assert identity.read(["phones", "date_of_birth", "notes"]) == {"phones": [], "date_of_birth": None, "notes": ""}


def test_the_column_holds_a_token_never_the_value_in_any_encoding(world):
    identity = identity_with(world.case, world.lead, VALUES)
    for name, value in VALUES.items():
        token = stored(identity, name)
        assert token.startswith("cw3:") and token.count(":") == 1  # the case's key: no key id
        raw = base64.urlsafe_b64decode(token.split(":")[1])
        for part in [clear_text(value), *(value if isinstance(value, list) else [])]:
            utf8 = part.encode()
            assert part not in token
            assert utf8 not in token.encode() and utf8 not in raw
            assert base64.b64encode(utf8).decode().rstrip("=") not in token
            assert base64.urlsafe_b64encode(utf8).decode().rstrip("=") not in token


def test_the_same_value_twice_gives_two_different_tokens(world):
    first = identity_with(world.case, world.lead, {"legal_name": "김영희"})
    second = identity_with(world.other_case, world.other_team_worker, {"legal_name": "김영희"})
    assert stored(first, "legal_name") != stored(second, "legal_name")


def assert_says_nothing_secret(error):
    message = str(error)
    assert KEY not in message and KEY.rstrip("=") not in message
    for value in ("김영희", "王秀英", "+86 139 0000 1111"):
        assert value not in message


def test_a_token_moved_to_another_case_does_not_decrypt(world):
    victim = identity_with(world.case, world.lead, VALUES)
    other = identity_with(world.other_case, world.other_team_worker, {"legal_name": "박선희"})
    other.legal_name = victim.legal_name
    with pytest.raises(crypto.DecryptionError) as error:
        other.read(["legal_name"])
    assert_says_nothing_secret(error.value)


def test_a_token_moved_to_another_field_does_not_decrypt(world):
    identity = identity_with(world.case, world.lead, VALUES)
    identity.notes, identity.addresses = identity.legal_name, identity.phones
    for name in ("notes", "addresses"):
        with pytest.raises(crypto.DecryptionError) as error:
            identity.read([name])
        assert_says_nothing_secret(error.value)


def flip(index):
    """Flip one bit of the sealed bytes at ``index`` (nonce, ciphertext or tag), keeping the form valid."""

    def tamper(token):
        prefix, sealed = token.split(":")
        raw = bytearray(base64.urlsafe_b64decode(sealed))
        raw[index] ^= 0x01
        return f"{prefix}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"

    return tamper


@pytest.mark.parametrize(
    "tamper",
    [
        flip(0),  # the nonce
        flip(crypto.NONCE_BYTES),  # the ciphertext
        flip(-1),  # the tag
        lambda token: token[:-8],  # cut short
        lambda token: token.replace("cw3:", "cw2:00000000:"),  # made to look like the field keys' form
        lambda token: token.replace("cw3:", "cw9:"),  # unknown format
        lambda token: token.replace("cw3:", "cw1:00000000:"),  # the oldest form, without the version
        lambda token: "김영희",  # a clear value written around the application
    ],
    ids=["nonce", "ciphertext", "tag", "cut", "field-key-form", "format", "old-format", "clear"],
)
def test_a_tampered_token_does_not_decrypt(world, tamper):
    identity = identity_with(world.case, world.lead, VALUES)
    identity.legal_name = tamper(identity.legal_name)
    with pytest.raises(crypto.DecryptionError) as error:
        identity.read(["legal_name"])
    assert_says_nothing_secret(error.value)


@pytest.mark.parametrize(
    "text",
    ["", "not-a-key", "c2hvcnQ=", base64.urlsafe_b64encode(b"x" * 31).decode(), base64.b64encode(b"y" * 48).decode()],
)
def test_a_malformed_key_is_refused_without_repeating_it(text):
    with pytest.raises(ImproperlyConfigured) as error:
        crypto.parse_key(text, 2)
    assert "Key 2 of CASEWORK_FIELD_KEYS" in str(error.value)
    assert not text or text not in str(error.value)


def test_the_system_check_reports_an_unusable_key(settings):
    settings.FIELD_KEYS = ["not-a-key"]
    errors = field_keys_are_usable(None)
    assert [error.id for error in errors] == ["casework.E101"]
    assert "not-a-key" not in errors[0].msg
    settings.FIELD_KEYS = [crypto.new_key(), KEY]
    assert field_keys_are_usable(None) == []


def test_field_key_new_prints_a_fresh_usable_key():
    printed = []
    for _ in range(2):
        out = io.StringIO()
        call_command("field_key_new", stdout=out)
        printed.append(out.getvalue().strip())
    assert all(len(crypto.parse_key(text, 1)) == 32 for text in printed)
    assert printed[0] != printed[1]
