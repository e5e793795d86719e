"""A request too big or malformed gets the plain 400 page, changes nothing and leaks nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.cases.contract import snapshot

TEN_MB = 10 * 1024 * 1024


@pytest.fixture
def edit_url(world):
    return reverse("cases:edit", args=[world.case.display_code])


def test_a_ten_megabyte_post_gets_a_clean_400(client, world, edit_url, sign_in):
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post(edit_url, b"summary=" + b"x" * TEN_MB, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "Nothing was changed." in response.content.decode()
    assert snapshot() == before


def test_a_malformed_multipart_post_gets_a_clean_400(client, world, edit_url, sign_in):
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post(edit_url, b"--nope\r\ngarbage", content_type="multipart/form-data; boundary=")
    assert response.status_code == 400
    assert "Nothing was changed." in response.content.decode()
    assert snapshot() == before


def test_too_many_fields_get_a_clean_400(client, world, edit_url, sign_in):
    sign_in(client, world.lead)
    body = "&".join(f"f{i}=1" for i in range(5000)).encode()
    response = client.post(edit_url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_a_stale_form_without_a_csrf_token_gets_our_403_page(world, edit_url, sign_in):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, world.lead)
    response = client.post(edit_url, {"summary": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "casework.css" in page
    assert "Nothing was saved" in page


def test_a_form_without_its_version_is_refused_with_a_message(client, world, edit_url, sign_in):
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post(edit_url, {"risk_level": "low"})
    assert response.status_code == 400
    assert "The form was incomplete" in response.content.decode()
    assert snapshot() == before
