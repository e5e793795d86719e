"""Quick exit: one button (or Shift three times) ends the session and leaves a weather page."""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import serializers
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.accounts import sessions
from casework.accounts.models import LoginSession
from casework.audit.models import AuditEntry

EXIT_URL = "/accounts/exit/"
NEUTRAL_URL = "/accounts/weather/"
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


class QuickExitForm(HTMLParser):
    """Finds the quick-exit form, its buttons, and the scripts the page loads."""

    def __init__(self):
        super().__init__()
        self.form, self.buttons, self.scripts, self._inside, self._button = None, [], [], False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "quick-exit":
            self.form, self._inside = attrs, True
        elif tag == "button" and self._inside:
            self._button = {**attrs, "text": ""}
        elif tag == "script":
            self.scripts.append(attrs)

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self.buttons.append(self._button)
            self._button = None
        elif tag == "form":
            self._inside = False


def quick_exit_in(response):
    parser = QuickExitForm()
    parser.feed(response.content.decode())
    return parser


def case_url(world):
    return reverse("cases:detail", args=[world.case.display_code])


def test_every_signed_in_page_has_a_real_quick_exit_button(client, world, sign_in):
    sign_in(client, world.lead)
    for url in ["/", "/cases/", case_url(world), reverse("accounts:security")]:
        page = quick_exit_in(client.get(url))
        assert page.form is not None, url
        assert (page.form["method"], page.form["action"]) == ("post", EXIT_URL)
        [button] = page.buttons
        assert button["type"] == "submit" and button["text"].strip() == "Quick exit"
        assert "tabindex" not in button  # in the keyboard order like any button
        assert button["title"]  # says what it does, and that Shift three times does the same


def test_the_second_factor_and_enrolment_pages_have_it_too(client, world, sign_in):
    sign_in(client, world.lead, second_factor=False)
    enrol = client.get(reverse("accounts:enrol"))
    assert enrol.status_code == 200 and quick_exit_in(enrol).form is not None

    TOTPDevice.objects.create(user=world.teammate, name="authenticator", confirmed=True)
    client = Client()
    sign_in(client, world.teammate, second_factor=False)  # enrolled: her second step is the code
    verify = client.get(reverse("accounts:verify"))
    assert verify.status_code == 200 and quick_exit_in(verify).form is not None


def test_the_shift_key_script_is_ours_deferred_and_submits_the_same_form(client, world, sign_in):
    sign_in(client, world.lead)
    page = quick_exit_in(client.get("/"))
    assert page.scripts == [{"src": static("js/quick-exit.js"), "defer": None}]
    source = Path(finders.find("js/quick-exit.js")).read_text()
    assert 'getElementById("quick-exit")' in source and "form.submit()" in source
    assert "://" not in source  # nothing fetched from anywhere


def test_it_ends_the_session_and_leaves_the_neutral_page(client, world, sign_in):
    sign_in(client, world.lead)
    response = client.post(EXIT_URL)  # not the sign-in page, which would name the site
    assert response.status_code == 302 and response["Location"] == NEUTRAL_URL
    assert response["Clear-Site-Data"] == CLEAR_SITE_DATA
    assert "_auth_user_id" not in client.session
    assert client.get(case_url(world)).status_code == 302  # this browser is signed out


def test_the_old_session_cookie_opens_nothing_afterwards(client, world, sign_in):
    sign_in(client, world.lead)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(case_url(world)).status_code == 200
    client.post(EXIT_URL)

    elsewhere = Client()
    elsewhere.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = elsewhere.get(case_url(world))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not LoginSession.objects.filter(user=world.lead).exists()  # the tracked session ended too


def test_back_shows_no_case_data(client, world, sign_in):
    sign_in(client, world.lead)
    page = client.get(case_url(world))
    assert page["Cache-Control"] == "no-store"  # so the browser keeps no copy to go back to
    client.post(EXIT_URL)
    again = client.get(case_url(world), follow=True)  # what Back asks the server for
    assert again.redirect_chain[0][1] == 302
    assert again.templates[0].name == "registration/login.html"
    assert world.case.summary not in again.content.decode()


def test_it_is_audited_without_the_session_key(client, world, sign_in):
    sign_in(client, world.lead)
    session_key = client.session.session_key
    client.post(EXIT_URL)
    entry = AuditEntry.objects.get(event="session.quick_exit")
    assert (entry.actor, entry.outcome) == (world.lead, "ok")
    assert session_key not in serializers.serialize("json", [entry])


def test_a_half_signed_in_person_can_leave_too(client, world, sign_in):
    sign_in(client, world.lead, second_factor=False)
    response = client.post(EXIT_URL)
    assert response.status_code == 302 and response["Location"] == NEUTRAL_URL
    assert AuditEntry.objects.filter(event="session.quick_exit", actor=world.lead).exists()
    assert "_auth_user_id" not in client.session


def test_signed_out_it_just_leaves(client, db):
    response = client.post(EXIT_URL)
    assert response.status_code == 302 and response["Location"] == NEUTRAL_URL
    assert not AuditEntry.objects.filter(event="session.quick_exit").exists()


def test_it_is_a_post(client, world, sign_in):
    sign_in(client, world.lead)
    assert client.get(EXIT_URL).status_code == 405
    assert client.get(case_url(world)).status_code == 200  # a link or a prefetch ends nothing


@pytest.mark.parametrize("signed_in", [True, False])
def test_the_neutral_page_is_plain_weather(client, world, signed_in, sign_in):
    if signed_in:
        sign_in(client, world.lead)
    response = client.get(NEUTRAL_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Weather</title>" in html
    assert "casework" not in html.lower()  # no name, no stylesheet or script of the site
    assert "<a " not in html and "<form" not in html  # no way back, nothing to press
    assert [t.name for t in response.templates] == ["accounts/weather.html"]  # not base.html


def test_an_expired_form_still_leaves_at_once(world, sign_in):
    """A stale token (the person signed in again in another tab) must not show an error page
    naming casework: she gets the neutral page, and her browser drops the site's cookies.
    The server changes nothing on a refused request; the session ends at its idle timeout."""
    client = Client(enforce_csrf_checks=True)
    sign_in(client, world.lead)
    response = client.post(EXIT_URL, {"csrfmiddlewaretoken": "stale" * 8})
    assert response.status_code == 403
    assert [t.name for t in response.templates] == ["accounts/weather.html"]
    assert response["Clear-Site-Data"] == CLEAR_SITE_DATA
    assert "casework" not in response.content.decode().lower()
    assert not AuditEntry.objects.filter(event="session.quick_exit").exists()


def test_other_expired_forms_keep_the_usual_page(world, sign_in):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, world.lead)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert "403_csrf.html" in [t.name for t in response.templates]
    assert not response.has_header("Clear-Site-Data")


def test_after_an_idle_timeout_it_still_leaves_the_neutral_page(client, world, sign_in):
    sign_in(client, world.lead)
    session = client.session
    session[sessions.LAST_SEEN_AT] -= 24 * 60 * 60  # the clock moved, not a sleep
    session.save()
    response = client.post(EXIT_URL)  # not the sign-in page, which would name the site
    assert response.status_code == 302 and response["Location"] == NEUTRAL_URL
    assert response["Clear-Site-Data"] == CLEAR_SITE_DATA
