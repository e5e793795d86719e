"""Security headers and cookies: on every page, signed in or not, and nothing inline in any template."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from casework.accounts.headers import PERMISSIONS_POLICY
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent.parent
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",  # the enrolment QR code is an SVG from our own URL
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
EVERY_RESPONSE = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def csp_of(response):
    directives = [part.strip().split(None, 1) for part in response["Content-Security-Policy"].split(";")]
    return {name: value for name, value in directives}


def assert_hardened(response):
    for header, value in EVERY_RESPONSE.items():
        assert response.get(header) == value, header
    assert csp_of(response) == CSP
    assert "unsafe" not in response["Content-Security-Policy"]


def signed_in_pages(world):
    code = world.case.display_code
    return {
        "home": "/",
        "case list": reverse("cases:list"),
        "case page": reverse("cases:detail", args=[code]),
        "intake form": reverse("cases:new"),
        "contact form": reverse("cases:contact_new", args=[code]),
        "security page": reverse("accounts:security"),
    }


def test_every_signed_in_page_carries_the_headers_and_no_store(client, world, sign_in):
    sign_in(client, world.lead)
    for name, url in signed_in_pages(world).items():
        response = client.get(url, secure=True)
        assert response.status_code == 200, name
        assert_hardened(response)
        assert response["Cache-Control"] == "no-store", name
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload", name


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/weather/", "/cases/", "/no-such-page/"])
def test_pages_for_anyone_and_redirects_carry_them_too(client, db, url):
    assert_hardened(client.get(url, secure=True))


def test_static_files_carry_them_too(client, db):
    response = client.get(settings.STATIC_URL.rstrip("/") + "/js/quick-exit.js")
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY


def test_the_policy_turns_off_the_powerful_features():
    features = dict(item.split("=") for item in PERMISSIONS_POLICY.split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "interest-cohort", "browsing-topics"):
        assert features[feature] == "()"
    assert set(features.values()) == {"()"}


def test_pages_ask_robots_not_to_index_them(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html


# Templates -------------------------------------------------------------------------

TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "casework").glob("*/templates"))]
INLINE = {
    "a <script> with a body": re.compile(r"<script\b[^>]*>\s*[^<\s]", re.IGNORECASE),
    "a <script> without src": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "a <style> element": re.compile(r"<style\b", re.IGNORECASE),
    "an event-handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def every_template():
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))


def test_there_are_templates_to_scan():
    assert len(every_template()) > 20


@pytest.mark.parametrize("path", every_template(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_has_inline_script_or_style(path):
    text = path.read_text()
    found = [what for what, pattern in INLINE.items() if pattern.search(text)]
    assert not found, f"{path.relative_to(ROOT)} has {', '.join(found)}: the CSP would block it"


@pytest.mark.parametrize(
    "html",
    ["<script>alert(1)</script>", '<p style="color:red">', "<style>p{}</style>", '<a onclick="x()">', "<script>"],
)
def test_the_scan_would_catch_them(html):
    assert any(pattern.search(html) for pattern in INLINE.values())


def test_the_scan_lets_our_script_tag_through():
    ours = '<script src="/static/js/quick-exit.js" defer></script>'
    assert not any(pattern.search(ours) for pattern in INLINE.values())


# Cookies ---------------------------------------------------------------------------


def assert_host_only_secure(cookie, samesite):
    # The __Host- prefix is accepted by browsers only with Secure, Path=/ and no Domain.
    assert cookie.key.startswith("__Host-")
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert cookie["domain"] == ""
    assert cookie["samesite"] == samesite


def test_the_session_cookie_is_host_only_secure_and_http_only(client, world):
    response = client.post(reverse("login"), {"username": "lead", "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    cookie = response.cookies["__Host-sessionid"]
    assert_host_only_secure(cookie, "Lax")
    assert cookie["httponly"] is True


def test_the_csrf_cookie_is_host_only_secure_and_strict(client, db):
    response = client.get(reverse("login"), secure=True)
    cookie = response.cookies["__Host-csrftoken"]
    assert_host_only_secure(cookie, "Strict")
    assert cookie["httponly"] is True


def test_the_language_cookie_is_host_only_and_secure(client, db):
    response = client.post(reverse("set_language"), {"language": "ko"}, secure=True)
    cookie = response.cookies["__Host-language"]
    assert_host_only_secure(cookie, "Lax")
    assert cookie["httponly"] is True
