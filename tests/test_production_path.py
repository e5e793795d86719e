"""The README's production steps, followed word for word on a fresh database, and then the
server they start asked for pages and static files as the proxy would ask.

The steps are read from README.md (between its ``production steps`` markers) and run as
written, in a process of their own with a production environment (debug off, fresh keys):
a step that stops working, or one the README forgets (``collectstatic`` was), fails here.
On the PostgreSQL run the databases are two fresh PostgreSQL databases; on SQLite, files.
"""

import http.client
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
HOST = "casework.example.org"
STEPS = re.compile(r"<!-- production steps -->\s*```sh\n(.*?)```\s*<!-- end of production steps -->", re.S)


def steps():
    block = STEPS.search((ROOT / "README.md").read_text())
    assert block, "README.md has no production steps between the markers"
    return [line for line in block.group(1).splitlines() if line.strip()]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def databases(tmp_path):
    """Two fresh databases for the main data and the key store, like an operator's."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'casework.sqlite3'}", f"sqlite:///{tmp_path / 'keys.sqlite3'}"
        return
    import psycopg  # lazy: only on the PostgreSQL run

    settings = connection.settings_dict
    names = [f"casework_path_{uuid.uuid4().hex[:8]}", f"casework_path_keys_{uuid.uuid4().hex[:8]}"]
    server = dict(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432, user=settings["USER"])
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    base = f"postgres://{server['user']}@{server['host']}:{server['port']}"
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def production(tmp_path, databases):
    main, keys = databases
    port = free_port()
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "CASEWORK_DEBUG": "0",
        "CASEWORK_SECRET_KEY": secrets.token_urlsafe(50),
        "CASEWORK_FIELD_KEYS": subprocess.run(
            [sys.executable, "-c", "import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip(),
        "CASEWORK_INDEX_KEY": secrets.token_urlsafe(32),
        "CASEWORK_AUDIT_CHAIN_KEY": secrets.token_urlsafe(32),
        "CASEWORK_ALLOWED_HOSTS": HOST,
        "CASEWORK_TLS_PROXY": "1",
        "DATABASE_URL": main,
        "CASEWORK_KEYSTORE_URL": keys,
        "CASEWORK_STATIC_ROOT": str(tmp_path / "static"),
        "CASEWORK_BIND": f"127.0.0.1:{port}",
        "CASEWORK_WORKERS": "2",
    }
    return environment, port


def run_steps(environment):
    """Every step but the last as written (relative paths from the checkout); the last, the
    server, started and left running."""
    *commands, serve = steps()
    for command in commands:
        done = subprocess.run(shlex.split(command), cwd=ROOT, env=environment, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    assert "gunicorn" in serve
    return subprocess.Popen(
        shlex.split(serve), cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def ask(port, path, *, https=True):
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {"Host": HOST, **({"X-Forwarded-Proto": "https"} if https else {})}
    client.request("GET", path, headers=headers)
    response = client.getresponse()
    return response.status, dict(response.getheaders()), response.msg.get_all("Set-Cookie") or [], response.read()


def wait_until_it_answers(server, port):
    for _ in range(120):
        if server.poll() is not None:
            pytest.fail(f"gunicorn stopped: {server.stderr.read()}")
        try:
            return ask(port, "/healthz")
        except OSError:
            time.sleep(0.5)
    pytest.fail("gunicorn did not answer within a minute")


def test_the_readme_steps_give_a_server_that_serves_pages_and_their_static_files(production):
    environment, port = production
    assert any("collectstatic" in step for step in steps())
    server = run_steps(environment)
    try:
        status, _headers, _cookies, body = wait_until_it_answers(server, port)
        assert (status, body) == (200, b"ok\n")

        status, headers, cookies, body = ask(port, "/accounts/login/")
        assert status == 200, body[:500]
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        csrf = [cookie for cookie in cookies if cookie.startswith("__Host-csrftoken=")]
        assert csrf and "Secure" in csrf[0] and "Path=/" in csrf[0] and "Domain" not in csrf[0]

        # The page names its stylesheet by the hash the manifest gave it, and that file is served.
        stylesheet = re.search(rb'href="(/static/css/casework\.[0-9a-f]{12}\.css)"', body)
        assert stylesheet, "the page does not name a hashed stylesheet"
        status, headers, _cookies, css = ask(port, stylesheet.group(1).decode())
        assert status == 200 and headers["Content-Type"].startswith("text/css") and css
        assert "immutable" in headers.get("Cache-Control", "")

        # Plain HTTP (no header from the proxy) is sent to HTTPS; a page that does not exist is
        # the ordinary answer, not a server error.
        status, headers, _cookies, _body = ask(port, "/accounts/login/", https=False)
        assert status == 301 and headers["Location"] == f"https://{HOST}/accounts/login/"
        assert ask(port, "/no-such-page/")[0] in (302, 404)
    finally:
        server.terminate()
        server.wait(timeout=30)
