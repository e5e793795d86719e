"""When the database stops answering: a plain 503 with a time to come back, no traceback, no
detail; any other failure the plain 500. Both through the whole middleware stack."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.models.query import QuerySet
from django.test import Client

SECRET_DETAIL = "could not connect to server at 10.0.0.7: canary-detail"


@pytest.fixture
def browser(world, sign_in):
    client = Client(raise_request_exception=False)
    return sign_in(client, world.lead)


def test_a_database_that_stops_answering_gives_a_plain_503(browser, world):
    with mock.patch.object(QuerySet, "__iter__", side_effect=OperationalError(SECRET_DETAIL)):
        response = browser.get(f"/cases/{world.case.display_code}/")
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    page = response.content.decode()
    assert "not available for a moment" in page
    assert "Traceback" not in page and "canary-detail" not in page and "OperationalError" not in page
    assert response["Content-Security-Policy"]  # the headers of every answer


def test_it_speaks_her_language(browser, world):
    browser.post("/i18n/language/", {"language": "ko", "next": "/"})
    with mock.patch.object(QuerySet, "__iter__", side_effect=OperationalError(SECRET_DETAIL)):
        response = browser.get("/cases/")
    assert response.status_code == 503
    assert 'lang="ko"' in response.content.decode()


def test_any_other_failure_is_the_plain_500(browser, world):
    with mock.patch.object(QuerySet, "__iter__", side_effect=RuntimeError("canary-detail")):
        response = browser.get(f"/cases/{world.case.display_code}/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode() and "canary-detail" not in response.content.decode()
    assert "Retry-After" not in response
