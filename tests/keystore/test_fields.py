"""Free text of a case is stored encrypted under the case's own key, bound to its case,
record, field and version; it cannot be searched, bulk-written in clear, or dumped in clear."""

import base64
import io
import json

import pytest
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from casework.cases.models import Case, Contact
from casework.cases.services.contacts import contact_add, contact_update
from casework.identity import crypto
from casework.keystore import services as keystore
from casework.keystore.checks import keystore_is_apart
from tests.factories import make_case, make_contact

NOTE = "Met 김영희 near the station; 她很害怕"


def column(model, pk, name):
    """The column as the database holds it (around the application)."""
    table, quote = model._meta.db_table, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(name)} FROM {quote(table)} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def put_back(model, pk, name, token):
    """What a database operator can do: write a column directly."""
    table, quote = model._meta.db_table, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(table)} SET {quote(name)} = %s WHERE id = %s", [token, pk])  # noqa: S608


def fresh(model, pk):
    keystore.forget()
    return model.objects.get(pk=pk)


def test_the_column_holds_a_token_never_the_text(world):
    contact = make_contact(world.case, world.lead, notes=NOTE, place="Yanji")
    for name, text in (("notes", NOTE), ("place", "Yanji")):
        token = column(Contact, contact.pk, name)
        assert crypto.is_sealed(token) and text not in token
        raw = base64.urlsafe_b64decode(token.split(":")[1])
        assert text.encode() not in raw and base64.b64encode(text.encode()).decode() not in token
    assert fresh(Contact, contact.pk).notes == NOTE
    assert crypto.is_sealed(column(Case, world.case.pk, "summary"))
    assert fresh(Case, world.case.pk).summary == "A short non-identifying summary."


def test_an_empty_field_stays_empty(world):
    contact = make_contact(world.case, world.lead)
    assert column(Contact, contact.pk, "notes") == "" and fresh(Contact, contact.pk).notes == ""


def test_a_token_moved_to_another_record_of_the_same_case_does_not_open(world):
    first = make_contact(world.case, world.lead, notes=NOTE)
    second = make_contact(world.case, world.lead, notes="Nothing to report.")
    put_back(Contact, second.pk, "notes", column(Contact, first.pk, "notes"))
    with pytest.raises(crypto.DecryptionError) as error:
        fresh(Contact, second.pk).notes  # noqa: B018
    assert NOTE not in str(error.value)


def test_a_token_moved_to_another_case_does_not_open(world):
    other = make_case(world.lead, summary="Other.")
    put_back(Case, other.pk, "summary", column(Case, world.case.pk, "summary"))
    with pytest.raises(crypto.DecryptionError):
        fresh(Case, other.pk).summary  # noqa: B018


def test_an_older_value_put_back_after_an_edit_does_not_open(world):
    contact = make_contact(world.case, world.lead, notes=NOTE)
    older = column(Contact, contact.pk, "notes")
    contact_update(by=world.lead, contact=fresh(Contact, contact.pk), version=1, channel="in_person")
    edited = fresh(Contact, contact.pk)
    assert (edited.version, edited.notes) == (2, NOTE)  # sealed again, under the new version
    assert column(Contact, contact.pk, "notes") != older
    put_back(Contact, contact.pk, "notes", older)
    with pytest.raises(crypto.DecryptionError):
        fresh(Contact, contact.pk).notes  # noqa: B018


def test_text_that_looks_like_a_token_is_kept_as_text(world):
    contact = make_contact(world.case, world.lead, notes="cw3:not-a-token")
    assert fresh(Contact, contact.pk).notes == "cw3:not-a-token"


def test_encrypted_text_cannot_be_searched(world):
    make_contact(world.case, world.lead, notes=NOTE)
    with pytest.raises(FieldError):
        Contact.objects.filter(notes__icontains="김영희").exists()
    with pytest.raises(FieldError):
        Contact.objects.filter(notes=NOTE).exists()
    assert Contact.objects.filter(case=world.case).exclude(notes="").count() == 1


def test_a_dump_of_the_database_holds_tokens_and_loads_back(world, tmp_path):
    contact = make_contact(world.case, world.lead, notes=NOTE)
    out = io.StringIO()
    call_command("dumpdata", "cases.contact", "cases.case", stdout=out)
    dump = out.getvalue()
    assert NOTE not in dump and "A short non-identifying summary." not in dump
    (dumped,) = [row["fields"]["notes"] for row in json.loads(dump) if row["model"] == "cases.contact"]
    assert crypto.is_sealed(dumped)
    put_back(Contact, contact.pk, "notes", "")
    path = tmp_path / "dump.json"
    path.write_text(dump)
    call_command("loaddata", str(path), stdout=io.StringIO())
    assert column(Contact, contact.pk, "notes") == dumped
    assert fresh(Contact, contact.pk).notes == NOTE


def test_the_key_store_may_not_be_the_main_database(settings):
    assert keystore_is_apart(None) == []
    settings.DATABASES = {**settings.DATABASES, "keystore": dict(settings.DATABASES["default"])}
    assert [error.id for error in keystore_is_apart(None)] == ["casework.E120"]


def test_a_text_longer_than_its_field_is_refused_by_the_services_too(world):
    with pytest.raises(ValidationError) as error:
        contact_add(
            by=world.lead,
            case=world.case,
            occurred_at=timezone.now(),
            channel="phone",
            purpose="check_in",
            place="x" * 101,
        )
    assert "place" in error.value.message_dict
    assert not Contact.objects.filter(case=world.case).exists()
