"""The README's production steps, followed word for word on fresh databases, and then the
server they start asked for pages, static files and a case, as the proxy would pass them on.

The two blocks of commands are read from README.md (between its ``production steps``
markers) and run as written, in processes of their own with a production environment
(debug off, fresh keys): the first as the tables' owner, the second as the application. On
the PostgreSQL run the databases are fresh PostgreSQL databases with the two roles that
``db_roles --create`` prints (run as a superuser would run them), so the server runs as a
role that owns nothing; on SQLite, files and one environment. A step that stops working, or
one the README forgets (``collectstatic`` was), fails here.
"""

import http.client
import http.cookies
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django_otp.oath import TOTP

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
HOST = "casework.example.org"
BLOCK = r"<!-- production steps: as the {} -->\s*```sh\n(.*?)```\s*<!-- end of production steps -->"

# Run as the owner, after the README's steps: someone to sign in (a supervisor with a known
# authenticator) and a case of hers, as an operator's bootstrap and her first intake would.
SETUP = """
import json
from django_otp.plugins.otp_totp.models import TOTPDevice
from casework.access import services as access
from tests.factories import make_org, make_supervisor, make_team
org = make_org("path")
team = make_team(org, "path-team")
supervisor = make_supervisor(org, team, username="path-supervisor")
device = TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
case = access.case_open(by=supervisor, team=team, lead=None)
print(json.dumps({"key": device.key, "code": case.display_code}))
"""


def steps(who):
    block = re.search(BLOCK.format(who), (ROOT / "README.md").read_text(), re.S)
    assert block, f"README.md has no production steps as the {who}"
    return [line for line in block.group(1).splitlines() if line.strip()]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def field_key():
    return subprocess.run(
        [sys.executable, "-c", "import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def run(command, environment):
    done = subprocess.run(shlex.split(command), cwd=ROOT, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def databases(tmp_path):
    """(the owner's URLs, the application's URLs): fresh databases, as an operator makes them."""
    if connection.vendor != "postgresql":
        urls = f"sqlite:///{tmp_path / 'casework.sqlite3'}", f"sqlite:///{tmp_path / 'keys.sqlite3'}"
        yield urls, urls
        return
    import psycopg  # lazy: only on the PostgreSQL run

    settings = connection.settings_dict
    suffix = uuid.uuid4().hex[:8]
    names = [f"casework_path_{suffix}", f"casework_path_keys_{suffix}"]
    owner, application = f"casework_owner_{suffix}", f"casework_app_{suffix}"
    server = {"host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432, "user": settings["USER"]}
    base = f"postgres://{{}}@{server['host']}:{server['port']}"
    superuser = {
        **os.environ,
        "DATABASE_URL": f"{base.format(server['user'])}/{names[0]}",
        "CASEWORK_KEYSTORE_URL": f"{base.format(server['user'])}/{names[1]}",
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        printed = run(f"{sys.executable} manage.py db_roles --create --owner {owner} --app {application}", superuser)
        # What a superuser pipes into psql: statements, and \\connect between the databases.
        current = "postgres"
        for line in printed.splitlines():
            if line.startswith("\\connect"):
                current = line.split()[1].strip('"')
            elif line.endswith(";"):
                with psycopg.connect(dbname=current, autocommit=True, **server) as admin:
                    admin.execute(line)
        yield (
            tuple(f"{base.format(owner)}/{name}" for name in names),
            tuple(f"{base.format(application)}/{name}" for name in names),
        )
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for role in (application, owner):
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.fixture
def environments(tmp_path, databases):
    (owner_main, owner_keys), (app_main, app_keys) = databases
    port = free_port()
    shared = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CASEWORK_DEBUG": "0",
        "CASEWORK_SECRET_KEY": secrets.token_urlsafe(50),
        "CASEWORK_FIELD_KEYS": field_key(),
        "CASEWORK_INDEX_KEY": secrets.token_urlsafe(32),
        "CASEWORK_AUDIT_CHAIN_KEY": secrets.token_urlsafe(32),
        "CASEWORK_ALLOWED_HOSTS": HOST,
        "CASEWORK_TLS_PROXY": "1",
        "CASEWORK_STATIC_ROOT": str(tmp_path / "static"),
        "CASEWORK_BIND": f"127.0.0.1:{port}",
        "CASEWORK_WORKERS": "2",
    }
    owner = {**shared, "DATABASE_URL": owner_main, "CASEWORK_KEYSTORE_URL": owner_keys}
    application = {**shared, "DATABASE_URL": app_main, "CASEWORK_KEYSTORE_URL": app_keys}
    return owner, application, port


class Browser:
    """Just enough of one: cookies kept, every request as the proxy passes it on (TLS ended)."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.set_cookie_headers = []

    def request(self, method, path, form=None, *, https=True):
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": HOST}
        if https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.cookies["__Host-csrftoken"]})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{HOST}{path}"
        client.request(method, path, body=body, headers=headers)
        response = client.getresponse()
        for header in response.msg.get_all("Set-Cookie") or []:
            self.set_cookie_headers.append(header)
            cookie = http.cookies.SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, response.msg, response.read()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, form):
        return self.request("POST", path, form)


def wait_until_it_answers(server, browser):
    for _ in range(120):
        if server.poll() is not None:
            pytest.fail(f"gunicorn stopped: {server.stderr.read()}")
        try:
            return browser.get("/healthz")
        except OSError:
            time.sleep(0.5)
    pytest.fail("gunicorn did not answer within a minute")


def test_the_readme_steps_give_a_server_that_serves_pages_static_files_and_cases(environments):
    owner, application, port = environments
    assert any("collectstatic" in step for step in steps("application"))
    for command in steps("owner"):
        run(command, owner)
    made = json.loads(run(f"{sys.executable} manage.py shell -c {shlex.quote(SETUP)}", owner).splitlines()[-1])
    *commands, serve = steps("application")
    for command in commands:
        run(command, application)
    assert "gunicorn" in serve
    server = subprocess.Popen(
        shlex.split(serve), cwd=ROOT, env=application, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        browser = Browser(port)
        status, _headers, body = wait_until_it_answers(server, browser)
        assert (status, body) == (200, b"ok\n")

        # The sign-in page, its security headers and cookies, and its hashed stylesheet.
        status, headers, body = browser.get("/accounts/login/")
        assert status == 200, body[:500]
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        stylesheet = re.search(rb'href="(/static/css/casework\.[0-9a-f]{12}\.css)"', body)
        assert stylesheet, "the page does not name a hashed stylesheet"
        status, css_headers, css = browser.get(stylesheet.group(1).decode())
        assert status == 200 and css_headers["Content-Type"].startswith("text/css") and css

        # Both steps of signing in, through the forms.
        status, headers, _body = browser.post("/accounts/login/", {"username": "path-supervisor", "password": PASSWORD})
        assert status == 302 and headers["Location"].startswith("/accounts/verify/"), status
        token = TOTP(bytes.fromhex(made["key"])).token()
        status, headers, _body = browser.post("/accounts/verify/", {"code": f"{token:06d}"})
        assert status == 302, status

        # Her case, through the list and its own page.
        status, _headers, body = browser.get("/cases/")
        assert status == 200 and made["code"].encode() in body
        status, headers, body = browser.get(f"/cases/{made['code']}/")
        assert status == 200 and made["code"].encode() in body
        assert headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]

        # Every cookie it set is a __Host- cookie: Secure, Path=/, no Domain; the session's HttpOnly.
        names = {header.split("=", 1)[0] for header in browser.set_cookie_headers}
        assert {"__Host-sessionid", "__Host-csrftoken"} <= names
        for header in browser.set_cookie_headers:
            assert header.startswith("__Host-"), header
            assert "Secure" in header and "Path=/" in header and "Domain=" not in header, header
        session = [header for header in browser.set_cookie_headers if header.startswith("__Host-sessionid=")]
        assert all("HttpOnly" in header for header in session)

        # Plain HTTP (no header from the proxy) is sent to HTTPS.
        status, headers, _body = browser.get("/accounts/login/", https=False)
        assert status == 301 and headers["Location"] == f"https://{HOST}/accounts/login/"
    finally:
        server.terminate()
        server.wait(timeout=30)
    # What the server wrote, it wrote as the application: the chain it kept verifies.
    assert "intact" in run(f"{sys.executable} manage.py audit_verify", owner)
