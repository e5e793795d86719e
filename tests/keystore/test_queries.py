"""Decrypting a page of notes costs one query for the case's key, not one per note; the
page's queries on the main database stay as many, whatever the number of records."""

from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.keystore import services as keystore
from tests.factories import make_contact, make_need, make_referral


def case_page(case):
    return reverse("cases:detail", args=[case.display_code])


def add_records(world, count):
    for number in range(count):
        make_contact(world.case, world.lead, notes=f"Note {number}", place="Jilin province")
        make_need(world.case, world.lead, outcome_notes=f"Outcome {number}")
        make_referral(world.case, world.lead, next_step=f"Step {number}", external_provider=f"Clinic {number}")


def counted(client, address):
    with (
        CaptureQueriesContext(connections["default"]) as main,
        CaptureQueriesContext(connections["keystore"]) as keys,
    ):
        response = client.get(address)
    assert response.status_code == 200
    return response, len(main.captured_queries), len(keys.captured_queries)


def test_a_page_of_encrypted_text_opens_its_cases_key_once(client, world, sign_in):
    sign_in(client, world.lead)
    add_records(world, 1)
    _response, main_small, keys_small = counted(client, case_page(world.case))
    add_records(world, 12)
    response, main_large, keys_large = counted(client, case_page(world.case))
    body = response.content.decode()
    assert "Clinic 11" in body and "Step 11" in body  # decrypted and shown, a dozen of each
    assert keys_small == keys_large == 1  # the case's key (with its organisation's), once
    assert main_large == main_small


def test_a_page_that_shows_no_text_opens_no_key(client, world, sign_in):
    sign_in(client, world.lead)
    add_records(world, 3)
    _response, _main, keys = counted(client, reverse("cases:contact_list", args=[world.case.display_code]))
    assert keys == 0


def test_the_key_is_not_kept_once_the_request_ends(client, world, sign_in):
    sign_in(client, world.lead)
    add_records(world, 1)
    client.get(case_page(world.case))
    assert keystore.held() == 0
