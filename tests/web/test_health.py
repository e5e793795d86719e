"""``/healthz`` says "ok" or "not ok" and nothing else, to anyone, without a trace."""

from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.test import Client

from casework.audit.models import AuditEntry

URL = "/healthz"


@pytest.fixture
def anyone(db):
    return Client()


def test_it_says_ok_to_anyone_and_nothing_else(anyone):
    response = anyone.get(URL, secure=True)
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies  # no session, no CSRF token, no language
    assert "Server" not in response and "X-Version" not in response


def test_a_head_asks_the_same_and_a_post_is_refused(anyone):
    assert anyone.head(URL, secure=True).status_code == 200
    assert anyone.post(URL, secure=True).status_code == 405


def test_it_leaves_no_trace_in_the_trail(anyone):
    before = AuditEntry.objects.count()
    for _ in range(3):
        anyone.get(URL, secure=True)
    assert AuditEntry.objects.count() == before


def test_a_monitor_on_the_server_asks_over_plain_http(anyone, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert anyone.get(URL, secure=False).content == b"ok\n"
    assert anyone.get("/accounts/login/", secure=False).status_code == 301  # only the health check


@pytest.mark.parametrize("alias", ["default", "keystore"])
def test_a_database_that_does_not_answer_is_not_ok_and_not_named(anyone, alias, caplog):
    connection = connections[alias]
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("connection refused: secret detail")):
        response = anyone.get(URL, secure=True)
    assert response.status_code == 503
    assert response.content == b"not ok\n"  # which one, and why, go to the server's log only
    assert alias in caplog.text and "secret detail" not in caplog.text


def test_the_page_of_a_signed_in_person_is_the_same(client, world, sign_in):
    sign_in(client, world.lead)
    response = client.get(URL, secure=True)
    assert (response.status_code, response.content) == (200, b"ok\n")
