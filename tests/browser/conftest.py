"""The browser suite: real pages in headless Chromium, through pytest-django's live server.

One world per test module, committed for real so that the server's thread sees it, and
emptied again when the module is done (see ``site``). Every page a browser context opens
is watched: a request to another host, a console error or a CSP violation is a problem
the test reports at its end.
"""

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.base import AxeResults
from axe_playwright_python.sync_playwright import Axe
from django.db import connection, connections
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import sync_playwright

CHROMIUM = Path(os.environ.get("CASEWORK_CHROMIUM", "/usr/bin/chromium"))
FAILURES = Path(__file__).resolve().parents[2] / "browser-failures"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WIDTHS = {"wide": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ("en", "ko", "zh-hans")

# Reports CSP violations to the console, where the watcher below collects them; Chrome logs
# them there too, but this also names the directive. Added through the DevTools protocol,
# so the page's own CSP does not apply to it.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI);
});
"""
# axe-core as axe-playwright-python ships it, put into every page of a context as it opens
# (Axe().run() would send the whole script again before each check: half a second a page).
AXE_SCRIPT = Axe().axe_script
REFUSED_FORM = "Failed to load resource: the server responded with a status of 400"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium: nothing is downloaded (no ``playwright install``)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser suite needs Chromium at {CHROMIUM} (Debian: apt-get install chromium fonts-noto-cjk; "
            "or set CASEWORK_CHROMIUM to its path). It does not skip: without a browser nothing here is tested.",
            pytrace=False,
        )
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM)}


@pytest.fixture(scope="module")
def browser(browser_type_launch_args):
    """Chromium for one module, with a Playwright of its own. pytest-playwright keeps its own
    for the whole session, and the event loop Playwright leaves running in this thread would
    make Django refuse the ORM (SynchronousOnlyOperation) to every later test of the process."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(**browser_type_launch_args)
        yield launched
        launched.close()


@dataclass
class Person:
    """Someone of the browser world: her username and the key of her authenticator."""

    username: str
    key: bytes
    user_pk: int

    def code(self):
        """A code her phone shows now or next, that the server will take: one for a time step
        after the last one she used, inside the window the server accepts (django-otp's
        tolerance of one step either side, moved by the drift it has learnt)."""
        device = TOTPDevice.objects.get(user_id=self.user_pk, confirmed=True)
        while True:  # both spent (two codes within one step): the next one comes within 30 seconds
            now = int((time.time() - device.t0) // device.step) + device.drift
            step = next((s for s in (now, now + device.tolerance) if s > device.last_t), None)
            if step is not None:
                break
            time.sleep(1)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
        totp.time = device.t0 + step * device.step + device.step / 2
        return f"{totp.token():0{device.digits}d}"


@dataclass
class Watch:
    """What went wrong on the pages of one browser context, seen from outside the page."""

    origin: str
    problems: list = field(default_factory=list)

    def attach(self, context):
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("request", self._request)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.problems.append(f"uncaught error: {error.error}"))

    def _request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.problems.append(f"request to another host: {request.url}")

    def _console(self, message):
        if message.type != "error":
            return
        where = message.page.url if message.page else "?"
        # A form with errors answers 400 by design, and Chrome logs the page's own status as an
        # error; a subresource that fails to load is still a problem.
        if message.text.startswith(REFUSED_FORM) and message.location.get("url") == where:
            return
        self.problems.append(f"console error on {where}: {message.text}")

    def take(self):
        problems, self.problems = self.problems, []
        return problems


class Browsing:
    """Opens watched browser contexts for a test and closes them after it; the failure hook
    below photographs their pages."""

    def __init__(self, browser, origin):
        self.browser, self.origin, self.contexts = browser, origin, []

    def open(self, *, width="wide", language="en", storage_state=None, **options):
        context = self.browser.new_context(
            viewport=WIDTHS[width], base_url=self.origin, storage_state=storage_state, locale="en-GB", **options
        )
        context.watch = Watch(self.origin)
        context.watch.attach(context)
        context.add_init_script(AXE_SCRIPT)
        if language != "en":
            choose_language(context.new_page(), language)
        self.contexts.append(context)
        return context

    def pages(self):
        return [page for context in self.contexts for page in context.pages]

    def problems(self):
        return [problem for context in self.contexts for problem in context.watch.take()]

    def close(self):
        for context in self.contexts:
            context.close()


def axe_violations(page):
    """axe-core's violations of any impact on the page as it is now, one line per node."""
    results = AxeResults(page.evaluate("axe.run(document, {resultTypes: ['violations']})"))
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            lines.append(f"{violation['id']} ({violation['impact']}): {node['target']} {node['html'][:160]}")
    return lines


def choose_language(page, language):
    """Chooses the language with the footer's form, as she would (it stores Django's cookie)."""
    page.goto("/")
    page.locator("footer select[name=language]").select_option(language)
    page.locator("footer button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language


@pytest.fixture
def browsing(browser, site, request):
    opened = Browsing(browser, site.url)
    request.node.stash[BROWSING] = opened
    yield opened
    opened.close()
    # The test ran with Playwright's loop going, where Django keeps another connection: closed
    # here, or PostgreSQL would refuse to drop the test database at the end.
    connection.close()


BROWSING = pytest.StashKey[Browsing]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test leaves a screenshot and the HTML of each page it had open."""
    report = yield
    opened = item.stash.get(BROWSING, None)
    if report.failed and call.when == "call" and opened is not None:
        FAILURES.mkdir(exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
        lines = []
        for number, page in enumerate(opened.pages(), start=1):
            shot, html = FAILURES / f"{stem}-{number}.png", FAILURES / f"{stem}-{number}.html"
            try:
                page.screenshot(path=shot, full_page=True)
                html.write_text(page.content(), encoding="utf-8")
            except Exception as error:  # a crashed page still leaves its address in the log
                lines.append(f"page {number} at {page.url}: could not be saved ({error})")
                continue
            lines.append(f"page {number} at {page.url}\n  screenshot: {shot}\n  html: {html}")
        report.sections.append(("browser pages at the failure", "\n".join(lines) or "no page open"))
    return report


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Replaces pytest-django's helper of the same name, which gives every test that uses the
    live server ``transactional_db``: that empties every table after each test (the flows and
    the tour share one world), and its flush truncates the audit trail, which PostgreSQL
    refuses by design. ``site`` below does the helper's other work, once per module."""
    yield


@pytest.fixture(autouse=True)
def _django_db_marker():
    """Replaces pytest-django's fixture of the same name for the same reason: the marker that
    tests/conftest.py gives every database test here only asks for the key store's test
    database to be made (``databases="__all__"``); ``site`` keeps the data."""
    yield


@pytest.fixture(scope="module")
def site(django_db_setup, live_server, django_db_blocker, request):
    """pytest-django's live server and the module's world (``build_world`` of the module),
    built once and committed so that the server's thread sees it; when the module is done,
    every row it added is removed (``remove_added``). The test databases come first, so that
    the server, and its connections, stop before they are dropped."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API runs an asyncio event loop in the test's own thread. Django sees
        # that loop and refuses ORM calls from the thread (SynchronousOnlyOperation), although
        # the test makes them synchronously and nothing awaits them: allow it, while this
        # module runs (Django reads the variable at each call; other modules keep the check).
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        before = table_state()
        with (
            live_server._live_server_modified_settings,
            override_settings(PASSWORD_HASHERS=FAST_HASHERS, STEP_UP_SECONDS=0),
        ):
            try:
                world = request.module.build_world()
                world.url = live_server.url
                # Playwright's tests run in another context (a greenlet), where Django opens a
                # connection of its own: this one would be left open, and PostgreSQL would
                # refuse to drop the test database at the end.
                for database in _databases():
                    database.close()
                yield world
            finally:
                remove_added(before)
                for database in _databases():
                    database.close()


def enrolled(user):
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return Person(user.username, device.bin_key, user.pk)


def _databases():
    """The main database and the key store, when it is a database of its own: the module's
    cases put their keys there, and a key left behind is counted by a later test of this
    process (a rotation of the organisation keys)."""
    keystore = connections["keystore"]
    same = keystore.settings_dict["NAME"] == connection.settings_dict["NAME"]
    return [connection] if same else [connection, keystore]


def table_state():
    """For each database, each table with a primary key: the keys already there (few: what
    the migrations made)."""
    state = {}
    for database in _databases():
        q = database.ops.quote_name
        tables = state[database.alias] = {}
        with database.cursor() as cursor:
            for table in database.introspection.table_names(cursor):
                pk = database.introspection.get_primary_key_column(cursor, table)
                if pk:
                    cursor.execute(f"SELECT {q(pk)} FROM {q(table)}")  # noqa: S608 (names from introspection)
                    tables[table] = (pk, {row[0] for row in cursor.fetchall()})
    return state


def remove_added(before):
    """Deletes every row the module added, leaving what the migrations made, so that the next
    module in this process finds the databases as they were. The audit trail is append-only
    on PostgreSQL: its triggers (and the order the foreign keys would ask for) are set aside
    for this, as the database's owner may."""
    for database in _databases():
        _remove_added(database, before[database.alias])


def _remove_added(connection, before):
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
        try:
            for table, (pk, kept) in before.items():
                cursor.execute(f"SELECT {q(pk)} FROM {q(table)}")  # noqa: S608 (names from introspection)
                added = [row[0] for row in cursor.fetchall() if row[0] not in kept]
                for start in range(0, len(added), 500):
                    chunk = added[start : start + 500]
                    marks = ", ".join(["%s"] * len(chunk))
                    delete = f"DELETE FROM {q(table)} WHERE {q(pk)} IN ({marks})"  # noqa: S608 (names from introspection)
                    cursor.execute(delete, chunk)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")
            else:
                cursor.execute("PRAGMA foreign_keys = ON")
