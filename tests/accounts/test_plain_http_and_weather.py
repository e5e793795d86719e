"""Headers where they were missing: the redirect from plain HTTP, and the neutral page."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.test_headers import CSP, EVERY_RESPONSE, csp_of

# X-Frame-Options comes from a middleware below the redirect; the CSP's frame-ancestors says the same.
ON_THE_REDIRECT = {name: value for name, value in EVERY_RESPONSE.items() if name != "X-Frame-Options"}


@pytest.mark.parametrize("url", ["/accounts/login/", "/cases/", "/accounts/weather/"])
def test_the_redirect_from_plain_http_carries_the_csp_and_the_other_headers(db, settings, url):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(url, secure=False)
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert csp_of(response) == CSP
    for header, value in ON_THE_REDIRECT.items():
        assert response.get(header) == value, header


@pytest.mark.parametrize("signed_in", [True, False])
def test_the_neutral_page_is_never_stored(client, world, signed_in, sign_in):
    if signed_in:
        sign_in(client, world.lead)
    response = client.get(reverse("accounts:exited"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_the_neutral_page_after_quick_exit_is_never_stored(client, world, sign_in):
    sign_in(client, world.lead)
    response = client.post(reverse("accounts:exit"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:exited")
    assert response["Cache-Control"] == "no-store"
