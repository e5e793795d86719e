"""What every page carries, and what a half-signed-in person does not see."""

import re

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse


def half_signed_in(client, user, sign_in):
    """Her password given, her code not yet (she has an authenticator: the second step asks for it)."""
    sign_in(Client(), user)  # enrols an authenticator for her
    return sign_in(client, user, second_factor=False)


def test_the_second_step_starts_in_the_code_box_and_shows_nothing_to_go_to(client, world, sign_in):
    half_signed_in(client, world.lead, sign_in)
    page = client.get(reverse("accounts:verify")).content.decode()
    assert re.search(r'<input[^>]*name="code"[^>]*autofocus', page)
    assert 'class="site-nav"' not in page  # no menu before the code is given
    assert reverse("logout") in page  # but the way out is there


def test_a_signed_in_page_shows_the_menu(client, world, sign_in):
    sign_in(client, world.lead)
    assert 'class="site-nav"' in client.get(reverse("home")).content.decode()


def test_after_a_failed_submit_the_error_summary_takes_the_focus(client, world, sign_in):
    half_signed_in(client, world.lead, sign_in)
    response = client.post(reverse("accounts:verify"), {"code": "000000"})
    assert response.status_code == 400
    page = response.content.decode()
    summary = re.search(r'<div class="error-summary"[^>]*>', page).group(0)
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    assert page.index("error-summary") < page.index('name="code"')  # the first autofocus is the one that wins


def test_saved_messages_keep_list_semantics(client, world, sign_in):
    sign_in(client, world.lead)
    page = client.post(reverse("accounts:sign_out_others"), follow=True).content.decode()
    assert 'class="message' in page
    assert re.search(r"<ul[^>]*role=", page) is None  # a role on the list breaks it for screen readers
    assert re.search(r'<div role="status">\s*<ul class="messages">', page)


def test_pages_name_an_icon_and_the_weather_page_its_own(client, world, sign_in):
    assert finders.find("favicon.svg") and finders.find("weather.svg")
    sign_in(client, world.lead)
    assert "favicon.svg" in client.get(reverse("home")).content.decode()
    weather = client.get(reverse("accounts:exited")).content.decode()
    assert "weather.svg" in weather and "favicon.svg" not in weather


def test_access_opens_where_the_menu_says(client, world, sign_in):
    sign_in(client, world.admin)
    assert client.get(reverse("access:index"))["Location"] == reverse("access:users")
    sign_in(client, world.supervisor)
    assert client.get(reverse("access:index"))["Location"] == reverse("access:cases")
    sign_in(client, world.lead)
    assert client.get(reverse("access:index")).status_code == 404
