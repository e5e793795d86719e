"""One CASEWORK_INDEX_KEY, a separate derived key per purpose (HKDF-SHA256): a digest made
for one purpose cannot be tested against another's, nor against the secret itself."""

import hashlib
import hmac
import io

from django.core.management import call_command
from django.http import HttpRequest

from casework import keys
from casework.accounts import lockout
from casework.audit.models import AuditEntry
from casework.audit.services import client_ip_hash
from casework.identity import blind, services
from casework.identity.models import IdentityIndex

ADDRESS = "203.0.113.77"


def request_from(address):
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = address
    return request


def test_the_same_input_gives_a_different_digest_for_each_purpose(settings):
    message = b"+82 10-5550-7777"
    digests = {purpose: keys.keyed_hash(purpose, message) for purpose in keys.PURPOSES}
    assert len(set(digests.values())) == len(keys.PURPOSES)
    under_the_secret = hmac.new(settings.INDEX_KEY.encode(), message, hashlib.sha256).hexdigest()
    assert under_the_secret not in digests.values()
    assert len({keys.derived_key(purpose) for purpose in keys.PURPOSES}) == len(keys.PURPOSES)


def test_the_lockout_counter_of_an_address_is_not_its_audit_hash():
    """Before, both were the same HMAC: whoever read the lockout cache could find an address in the trail."""
    request = request_from(ADDRESS)
    assert lockout.address_key(request) != client_ip_hash(request)
    assert len(lockout.address_key(request)) == len(client_ip_hash(request)) == 64


def test_the_lockout_key_of_a_typed_name_is_not_its_blind_index_digest():
    typed = "김미나"
    assert lockout.username_key(None, {"username": typed}) != blind.digest("name", typed)
    assert blind.digest("name", typed) == keys.keyed_hash(
        keys.BLIND_INDEX, f"casework identity index\0name\0{typed}".encode()
    )


def test_each_key_follows_the_secret(settings):
    before = keys.derived_key(keys.LOCKOUT)
    settings.INDEX_KEY = "another-index-key-of-enough-length-1234"
    assert keys.derived_key(keys.LOCKOUT) != before


# Upgrading: the blind index made under the undivided key is rebuilt ---------------------------

NAME = {"legal_name": "김미나", "phones": ["+82 10-5550-7777"]}


def as_before_the_upgrade(identity, settings):
    """The digests the index held when CASEWORK_INDEX_KEY keyed it directly."""
    IdentityIndex.objects.filter(identity=identity).delete()
    for kind, digest in blind.digests(identity.read(services.INDEXED_FIELDS)):
        old = hmac.new(settings.INDEX_KEY.encode(), digest.encode(), hashlib.sha256).hexdigest()  # any other value
        IdentityIndex.objects.create(
            identity=identity, organisation_id=identity.case.organisation_id, kind=kind, digest=old
        )


def reindex():
    out = io.StringIO()
    call_command("reindex_identities", stdout=out)
    return out.getvalue()


def test_reindex_identities_rebuilds_old_digests_once_and_is_idempotent(world, settings):
    services.identity_save(by=world.lead, case=world.case, values=NAME)
    identity = world.case.identity
    as_before_the_upgrade(identity, settings)
    # A duplicate typed in now goes unnoticed while the old digests remain:
    assert services.identity_save(by=world.other_team_worker, case=world.other_case, values=NAME) == []

    assert "1 of 2 identities re-indexed" in reindex()  # the other was saved after the upgrade
    assert set(identity.index_entries.values_list("kind", "digest")) == blind.digests(NAME)
    assert AuditEntry.objects.get(event="identity.reindex").additional_data == {"reindexed": 1}
    assert "0 of 2 identities re-indexed" in reindex()
    assert AuditEntry.objects.filter(event="identity.reindex").count() == 1

    # Now the same name is found again.
    assert services.identity_save(by=world.lead, case=world.case, values={"legal_name": "김 미나"}) == [
        world.other_case
    ]
