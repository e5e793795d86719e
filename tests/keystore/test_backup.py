"""The backup test: a copy of the main database made before a case is erased, restored next
to the current key store and environment, no longer opens that case; every other case does.

The copy is a dump of the main database (``dumpdata``, which writes the stored tokens, not
the text) loaded back with ``loaddata``: the erased case's rows come back, its key does not.
"""

import io
import json
import logging

import pytest
from django.core.management import call_command
from django.db import connections
from django.urls import reverse

from casework.cases.models import Case, Contact
from casework.identity import crypto
from casework.identity.models import Identity
from casework.identity.services import identity_save
from casework.keystore import services as keystore
from casework.keystore.models import CaseKey
from casework.retention import services as retention
from tests.factories import make_contact

X_NAME, X_PHONE, X_NOTE = "박카나리엑스", "+86 131 5550 0199", "X canary note: 延吉 safe flat"
Y_NAME, Y_NOTE = "이와이", "Y: arranged a clinic visit"
BACKED_UP = [
    "cases.case",
    "cases.contact",
    "identity.identity",
    "cases.caseassignment",
    "cases.caseuserobjectpermission",
    "cases.casegroupobjectpermission",
]


@pytest.fixture
def two_cases(world):
    x, y = world.case, world.other_case
    identity_save(by=world.lead, case=x, values={"legal_name": X_NAME, "phones": [X_PHONE]})
    identity_save(by=world.other_team_worker, case=y, values={"legal_name": Y_NAME})
    make_contact(x, world.lead, notes=X_NOTE)
    make_contact(y, world.other_team_worker, notes=Y_NOTE)
    return x, y


def backup():
    out = io.StringIO()
    call_command("dumpdata", *BACKED_UP, stdout=out)
    return out.getvalue()


def restore(dump, tmp_path):
    path = tmp_path / "backup.json"
    path.write_text(dump)
    call_command("loaddata", str(path), stdout=io.StringIO())
    keystore.forget()  # as a freshly started server


def test_a_restored_backup_does_not_open_the_erased_case_and_opens_every_other(
    two_cases, world, tmp_path, django_capture_on_commit_callbacks
):
    x, y = two_cases
    dump = backup()
    assert not [text for text in (X_NAME, X_PHONE, X_NOTE, Y_NAME, Y_NOTE) if text in dump]  # a backup holds tokens
    with django_capture_on_commit_callbacks(execute=True):
        retention.erase(Case.objects.get(pk=x.pk), by=world.supervisor, reason="forget_me")
    assert not Case.objects.filter(pk=x.pk).exists()

    restore(dump, tmp_path)

    restored = Case.objects.get(pk=x.pk)  # the rows are back ...
    with pytest.raises(keystore.KeyErased, match="erased"):
        restored.summary  # noqa: B018  ... and none of its values opens
    with pytest.raises(keystore.KeyErased):
        Identity.objects.get(case=restored).read()
    with pytest.raises(keystore.KeyErased):
        Contact.objects.get(case=restored).notes  # noqa: B018
    other = Case.objects.get(pk=y.pk)
    assert other.summary == y.summary
    assert Identity.objects.get(case=other).read(["legal_name"]) == {"legal_name": Y_NAME}
    assert Contact.objects.get(case=other).notes == Y_NOTE


def test_the_key_store_keeps_nothing_of_the_erased_case(two_cases, world, django_capture_on_commit_callbacks):
    x, _y = two_cases
    ref = x.key_ref
    wrapped = CaseKey.objects.get(ref=ref).wrapped
    with django_capture_on_commit_callbacks(execute=True):
        retention.erase(Case.objects.get(pk=x.pk), by=world.supervisor, reason="forget_me")
    assert not CaseKey.objects.filter(ref=ref).exists()
    store = connections["keystore"]
    with store.cursor() as cursor:
        rows = []
        for table in store.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {store.ops.quote_name(table)}")  # noqa: S608 (names from introspection)
            rows += cursor.fetchall()
    text = json.dumps(rows, default=str)
    assert ref.hex not in text.replace("-", "") and wrapped not in text
    for canary in (X_NAME, X_PHONE, X_NOTE):
        assert canary not in text
    if store.vendor == "sqlite":  # the file itself: the destroyed key is overwritten, not left in a free page
        store.ensure_connection()
        raw = store.connection.serialize()
        assert wrapped.encode() not in raw and ref.bytes not in raw and ref.hex.encode() not in raw
    with pytest.raises(crypto.DecryptionError):
        keystore.case_key(ref, x.organisation_id)


def test_pages_of_a_restored_erased_case_answer_404_and_show_nothing(
    two_cases, world, tmp_path, client, sign_in, django_capture_on_commit_callbacks
):
    x, _y = two_cases
    dump = backup()
    with django_capture_on_commit_callbacks(execute=True):
        retention.erase(Case.objects.get(pk=x.pk), by=world.supervisor, reason="forget_me")
    restore(dump, tmp_path)
    contact = Contact.objects.get(case_id=x.pk)
    assert Case.objects.restrict(world.lead, "view").filter(pk=x.pk).exists()  # hers again, in the restored rows
    sign_in(client, world.lead)
    for address in (
        reverse("cases:detail", args=[x.display_code]),
        reverse("cases:edit", args=[x.display_code]),
        reverse("cases:contact", args=[x.display_code, contact.uid]),
    ):
        response = client.get(address)
        assert response.status_code == 404, address
        assert X_NOTE not in response.content.decode()


def test_after_an_erasure_its_canaries_are_in_no_database_file_and_no_log_line(
    two_cases, world, caplog, django_capture_on_commit_callbacks
):
    x, _y = two_cases
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        retention.erase(Case.objects.get(pk=x.pk), by=world.supervisor, reason="forget_me")
    call_command("apply_retention", stdout=io.StringIO())
    canaries = [X_NAME, X_PHONE, X_NOTE, X_NAME.encode().hex()]
    assert not [canary for canary in canaries if canary in caplog.text]
    for alias in ("default", "keystore"):
        store = connections[alias]
        if store.vendor != "sqlite":
            continue  # PostgreSQL's files are the server's: the columns are scanned in tests/retention
        store.ensure_connection()
        raw = store.connection.serialize()
        assert not [canary for canary in (X_NAME, X_PHONE, X_NOTE) if canary.encode() in raw], alias
