"""The README's screenshots: the case page, the case list and intake on a 390 px phone, in Korean.

Run against `make run` (the demo data and its manifest), with Debian's chromium:

    .venv/bin/python docs/screenshots.py http://127.0.0.1:8000 demo-manifest.json

It signs in as the demo's first caseworker (her password and a code from her authenticator
secret in the manifest) and writes docs/case-page-ko.png, docs/case-list-ko.png and
docs/intake-ko.png; then as bridge's first caseworker (named to its partner intake by the
demo), docs/partner-packet-ko.png: the packet from haven waiting in bridge's inbox. The demo
data is synthetic: no real person is on any screenshot.
"""

import base64
import json
import sys
import time
from pathlib import Path

from django_otp.oath import TOTP
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}


def code(secret):
    totp = TOTP(base64.b32decode(secret))
    totp.time = time.time()
    return f"{totp.token():06d}"


def main(base, manifest):
    users = json.loads(Path(manifest).read_text())["users"]
    worker = next(user for user in users if user["role"] == "caseworker")
    intake = next(user for user in users if user["role"] == "caseworker" and user["organisation"] == "bridge")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = signed_in(browser, base, worker)
        page.goto(f"{base}/cases/")
        page.screenshot(path=HERE / "case-list-ko.png")
        page.locator("table a.code").first.click()
        page.screenshot(path=HERE / "case-page-ko.png")
        page.goto(f"{base}/cases/new/")
        page.screenshot(path=HERE / "intake-ko.png")
        page = signed_in(browser, base, intake)
        page.goto(f"{base}/partners/inbox/")
        page.locator("main table a").first.click()
        page.screenshot(path=HERE / "partner-packet-ko.png")
        browser.close()


def signed_in(browser, base, user):
    """A page of ``user``'s, on a phone, in Korean, after the password and a code."""
    context = browser.new_context(viewport=PHONE, locale="ko-KR")
    context.add_cookies([{"name": "django_language", "value": "ko", "url": base}])
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user["username"])
    page.fill("input[name=password]", user["password"])
    page.click("main button[type=submit]")
    page.fill("input[name=code]", code(user["totp_secret"]))
    page.click("main button[type=submit]")
    return page


if __name__ == "__main__":
    main(*sys.argv[1:3])
