"""`make load`: fifty signed-in people on gunicorn and PostgreSQL for a minute, then the evidence.

On new databases of its own (made on the local PostgreSQL server and dropped afterwards)
with demo data, gunicorn with several workers and production settings serves 127.0.0.1
only. Fifty sessions of the demo's caseworkers and supervisors sign in through the pages
(password, then a code from their authenticator) and for ``--seconds`` mix page views,
contacts, needs, referral steps and identity reveals, each through its form as a browser
would send it. Afterwards it checks: no answer 5xx; every write answered as saved is in
the database (counted by kind); the audit chain verifies from its first entry to its last;
and it prints requests per second and the p50/p95/p99 of the answers' times.

THROWAWAY KEYS, made for the run: nothing here is a secret.
"""

import argparse
import base64
import concurrent.futures
import http.client
import http.cookies
import json
import os
import random
import re
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "casework.example.org"
SERVER = os.environ.get("LOAD_SERVER", "postgres://postgres@127.0.0.1:5432/postgres")
CODE_LINK = re.compile(r'href="/cases/([0-9A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{3})/"')
REFERRAL_LINK = re.compile(r'href="(/cases/[0-9A-Z-]+/referrals/[0-9a-f-]{36}/)"')
# What each simulated person does, and how often.
ACTIONS = {
    "case_list": 20,
    "case_page": 30,
    "contacts_page": 5,
    "contact": 15,
    "need": 10,
    "referral_step": 10,
    "reveal": 10,
}
# Where each kind of write is sent.
WRITES = {"contact": "/contacts/new/", "need": "/needs/new/", "referral_step": "/status/", "reveal": "/identity/"}
# Counted after the run: the rows (or trail entries) each kind of write leaves.
EVIDENCE = """
import json
from django.utils.dateparse import parse_datetime
from casework.audit.models import AuditEntry
from casework.cases.models import Contact, ReferralStep, SupportNeed
since = parse_datetime(SINCE)
from django.contrib.contenttypes.models import ContentType
created = AuditEntry.objects.filter(timestamp__gte=since, action=AuditEntry.Action.CREATE)
print(json.dumps({
    "contact_entries": created.filter(content_type=ContentType.objects.get_for_model(Contact)).count(),
    "need_entries": created.filter(content_type=ContentType.objects.get_for_model(SupportNeed)).count(),
    "contact": Contact.objects.filter(created_at__gte=since).count(),
    "need": SupportNeed.objects.filter(created_at__gte=since).count(),
    "referral_step": ReferralStep.objects.filter(at__gte=since).count(),
    "reveal": AuditEntry.objects.filter(timestamp__gte=since, event="identity.reveal", outcome="ok").count(),
}))
"""


class Form(HTMLParser):
    """The fields of the first POST form whose action starts with ``action``, filled in as a
    hurried but careful person would: every required choice made, short neutral text."""

    def __init__(self, action, page=None):
        super().__init__()
        self.action, self.page, self.inside, self.found = action, page or action, False, False
        self.values, self.select, self.checked_names = [], None, set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and not self.found and (attributes.get("method") or "").lower() == "post":
            if (attributes.get("action") or self.page).startswith(self.action):
                self.inside = self.found = True
            return
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if name not in self.checked_names:
                    self.checked_names.add(name)
                    self.values.append((name, attributes.get("value", "on")))
            elif kind == "hidden":
                self.values.append((name, attributes.get("value", "")))
            elif kind == "date":
                later = any(word in name for word in ("due", "follow"))  # a day after the contact, or today
                day = datetime.now(UTC).date() + timedelta(days=7 if later else 0)
                self.values.append((name, attributes.get("value") or day.isoformat()))
            elif kind == "datetime-local":
                self.values.append((name, attributes.get("value") or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")))
            elif kind in ("text", "number", "search") and name != "code":
                self.values.append((name, attributes.get("value") or _text_for(name)))
        elif tag == "textarea" and name:
            self.values.append((name, _text_for(name)))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and attributes.get("value"):
            self.values.append((self.select, attributes["value"]))
            self.select = None  # the first real choice

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select":
            self.select = None


def _text_for(name):
    if name in ("reason",):
        return "Load test: checking the next appointment"
    if name.endswith("minutes"):
        return "15"
    return ""


@dataclass
class Tally:
    times: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)
    saved: dict = field(default_factory=dict)
    refused: dict = field(default_factory=dict)
    unknown: dict = field(default_factory=dict)  # forms whose answer was lost with a killed worker
    errors: list = field(default_factory=list)
    lost_answers: int = 0
    last_ok: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, status, seconds, content=b""):
        with self.lock:
            self.times.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status >= 500:
                self.errors.append((time.monotonic(), status, b"Traceback" in content or b"Error at" in content))
            else:
                self.last_ok = time.monotonic()

    def lost(self, path):
        with self.lock:
            self.lost_answers += 1
            kind = next((kind for kind, part in WRITES.items() if part in path), None)
            if kind:
                self.unknown[kind] = self.unknown.get(kind, 0) + 1

    def write(self, kind, ok):
        with self.lock:
            book = self.saved if ok else self.refused
            book[kind] = book.get(kind, 0) + 1


class Person:
    """One browser: its cookies, one keep-alive connection, every request as the proxy passes it."""

    def __init__(self, port, tally):
        self.port, self.tally, self.cookies, self.connection = port, tally, {}, None

    def request(self, method, path, form=None):
        headers = {"Host": HOST, "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://{HOST}{path}"})
        started = time.monotonic()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionRefusedError):
                self.connection.close()
                self.connection = None
                # A kept-alive connection the worker closed, or a worker killed under the request.
                # A GET is asked once more; a form is not sent twice: its answer is lost.
                if attempt == 2 or method == "POST":
                    self.tally.lost(path)
                    return None, "", ""
        self.tally.answer(response.status, time.monotonic() - started, content)
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.getheader("Location", ""), content.decode("utf-8", "replace")

    def post_form(self, page, action=None):
        """GET ``page``, fill its form (posting to ``action``, the page itself by default), send it."""
        status, _location, html = self.request("GET", page)
        if status != 200:
            return None
        form = Form(action or page, page)
        form.feed(html)
        if not form.found:
            return None
        status, _location, _html = self.request("POST", action or page, form.values)
        return status  # None: the answer was lost


def sign_in(person, user):
    """Both steps through the forms; then her case codes from the list. A person signed in
    more than once gives each session a code not used before (the site refuses a replayed
    one): this step's, the next one's, or, those spent, the next step's when it comes."""
    from django_otp.oath import TOTP  # lazy: Django's settings are loaded by then

    _status, _location, html = person.request("GET", "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    form = {"csrfmiddlewaretoken": token, "username": user["username"], "password": user["password"]}
    status, location, _html = person.request("POST", "/accounts/login/", form)
    assert status == 302 and location.startswith("/accounts/verify/"), (user["username"], status, location)
    for _attempt in range(4):
        for offset in (0, 1):
            totp = TOTP(base64.b32decode(user["totp_secret"]))
            totp.time = time.time() + offset * 30
            _status, _location, html = person.request("GET", "/accounts/verify/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
            form = {"csrfmiddlewaretoken": token, "code": f"{totp.token():06d}"}
            status, _location, _html = person.request("POST", "/accounts/verify/", form)
            if status == 302:
                _status, _location, html = person.request("GET", "/cases/")
                return sorted(set(CODE_LINK.findall(html)))
        time.sleep(30 - time.time() % 30 + 1)  # both spent: the next step brings new ones
    raise SystemExit(f"{user['username']} could not sign in")


def act(person, codes, seconds, tally, seed):
    chance = random.Random(seed)
    kinds, weights = list(ACTIONS), list(ACTIONS.values())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        kind = chance.choices(kinds, weights)[0]
        code = chance.choice(codes) if codes else None
        if kind == "case_list" or code is None:
            person.request("GET", "/cases/")
        elif kind == "case_page":
            person.request("GET", f"/cases/{code}/")
        elif kind == "contacts_page":
            person.request("GET", f"/cases/{code}/contacts/")
        elif kind == "contact":
            _record(tally, kind, person.post_form(f"/cases/{code}/contacts/new/"))
        elif kind == "need":
            _record(tally, kind, person.post_form(f"/cases/{code}/needs/new/"))
        elif kind == "reveal":
            _record(tally, kind, person.post_form(f"/cases/{code}/identity/"))
        elif kind == "referral_step":
            _status, _location, html = person.request("GET", f"/cases/{code}/")
            referrals = REFERRAL_LINK.findall(html)
            if referrals:
                page = chance.choice(referrals)
                _record(tally, kind, person.post_form(page + "status/"))


def _record(tally, kind, status):
    """A saved form answers with a redirect; a reveal answers with the details shown (200);
    a refused one, 400 with its messages."""
    if status is not None:
        tally.write(kind, status == (200 if kind == "reveal" else 302))


def manage(arguments, environment):
    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", *shlex.split(arguments)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {arguments.split()[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def admin(statement):
    import psycopg  # lazy: only when the databases are made or dropped

    parts = urllib.parse.urlsplit(SERVER)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        dbname=parts.path.lstrip("/"),
        autocommit=True,
    ) as connection:
        connection.execute(statement)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--cases", type=int, default=150)
    parser.add_argument(
        "--faults",
        action="store_true",
        help="a second server on another port for half the people, and a worker killed (SIGKILL) a quarter "
        "and three quarters of the way in",
    )
    parser.add_argument(
        "--restart-postgres",
        action="store_true",
        help="with --faults: restart the local PostgreSQL half-way (every connection to it, anyone's, is cut)",
    )
    options = parser.parse_args()

    suffix = uuid.uuid4().hex[:8]
    names = [f"casework_load_{suffix}", f"casework_load_keys_{suffix}"]
    base = SERVER.rsplit("/", 1)[0]
    port = free_port()
    keys = {
        "CASEWORK_SECRET_KEY": secrets.token_urlsafe(50),
        "CASEWORK_FIELD_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "CASEWORK_INDEX_KEY": secrets.token_urlsafe(32),
        "CASEWORK_AUDIT_CHAIN_KEY": secrets.token_urlsafe(32),
    }
    production = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **keys,
        "CASEWORK_DEBUG": "0",
        "CASEWORK_ALLOWED_HOSTS": HOST,
        "CASEWORK_TLS_PROXY": "1",
        "CASEWORK_DB_CONN_MAX_AGE": "60",
        "DATABASE_URL": f"{base}/{names[0]}",
        "CASEWORK_KEYSTORE_URL": f"{base}/{names[1]}",
        "CASEWORK_BIND": f"127.0.0.1:{port}",
        "CASEWORK_WORKERS": str(options.workers),
    }
    for name in names:
        admin(f'CREATE DATABASE "{name}"')
    server = None
    try:
        with tempfile.TemporaryDirectory(prefix="casework-load-") as scratch:
            production["HOME"] = scratch
            production["CASEWORK_STATIC_ROOT"] = str(Path(scratch) / "static")
            manifest = Path(scratch) / "manifest.json"
            print(f"Making {options.cases} demo cases on new databases ...", flush=True)
            manage("migrate --database keystore --no-input", production)
            manage("migrate --no-input", production)
            manage("createcachetable", production)
            manage(f"seed_demo --cases {options.cases} --manifest {manifest}", {**production, "CASEWORK_DEBUG": "1"})
            manage("collectstatic --no-input", production)
            users = [
                user
                for user in json.loads(manifest.read_text())["users"]
                if user["role"] in ("caseworker", "supervisor")
            ]

            servers = [_serve(production, port)]
            ports = [port]
            if options.faults:  # a second application server on the same databases
                ports.append(free_port())
                servers.append(_serve(production, ports[1]))
            for one, its_port in zip(servers, ports, strict=True):
                _wait_until_up(one, its_port)
            server = servers[0]
            tally = Tally()
            people = [Person(ports[number % len(ports)], tally) for number in range(options.users)]
            print(f"Signing in {options.users} sessions of {len(users)} people ...", flush=True)
            codes = [sign_in(person, users[number % len(users)]) for number, person in enumerate(people)]
            tally.times.clear()
            tally.statuses.clear()
            since = datetime.now(UTC)
            print(
                f"{options.users} people at work for {options.seconds} s with {options.workers} workers ...", flush=True
            )
            started = time.monotonic()
            faults = {}
            with concurrent.futures.ThreadPoolExecutor(options.users + 1) as pool:
                if options.faults:
                    pool.submit(_cause_faults, servers[0], options, faults)
                list(pool.map(lambda n: act(people[n], codes[n], options.seconds, tally, n), range(options.users)))
            elapsed = time.monotonic() - started
            for one in servers:
                one.terminate()
                one.wait(timeout=60)
            server = None

            evidence = json.loads(
                manage(
                    f"shell -c {shlex.quote(EVIDENCE.replace('SINCE', repr(since.isoformat())))}", production
                ).splitlines()[-1]
            )
            verified = manage("audit_verify", production).strip()
    finally:
        if server is not None:
            server.kill()
        for name in names:
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    answers = len(tally.times)
    problems = []
    errors = [error for error in tally.errors if error[1] != 503 or "postgres_restarted" not in faults]
    if options.faults:
        print(
            f"faults: a second server on port {ports[1]}; workers killed with SIGKILL after "
            f"{faults.get('killed_at')} s, {tally.lost_answers} answers lost with them (forms among them: "
            f"{tally.unknown or 'none'})"
        )
        if "postgres_restarted" in faults:
            unavailable = [error for error in tally.errors if error[1] == 503]
            back = max((error[0] for error in unavailable), default=faults["postgres_restarted"])
            print(
                f"  PostgreSQL restarted after {faults['postgres_restarted'] - started:.0f} s: {len(unavailable)} "
                f"answers 503, with a traceback in {sum(error[2] for error in unavailable)}; "
                f"service back {back - faults['postgres_restarted']:.1f} s after the restart"
            )
            if any(error[2] for error in unavailable):
                problems.append("a 503 page showed a traceback")
            if back - faults["postgres_restarted"] > 30:
                problems.append("the service took more than 30 s to come back")
        if "killed" not in faults:
            problems.append("no worker was killed")
    print(
        f"\n{answers:,} answers in {elapsed:.0f} s: {answers / elapsed:.1f} requests per second; "
        f"p50 {percentile(tally.times, 0.50) * 1000:.0f} ms, p95 {percentile(tally.times, 0.95) * 1000:.0f} ms, "
        f"p99 {percentile(tally.times, 0.99) * 1000:.0f} ms (mean {statistics.fmean(tally.times) * 1000:.0f} ms)"
    )
    print(f"statuses: {dict(sorted(tally.statuses.items()))}")
    if errors:
        problems.append(f"{len(errors)} answers were 5xx")
    for kind in ("contact", "need", "referral_step", "reveal"):
        saved, found, unknown = tally.saved.get(kind, 0), evidence[kind], tally.unknown.get(kind, 0)
        print(
            f"{kind}: {saved} answered saved, {found} in the database, {tally.refused.get(kind, 0)} refused by a form"
            + (f", {unknown} answers lost" if unknown else "")
        )
        if not saved <= found <= saved + unknown:
            problems.append(f"{kind}: {saved} saved (and {unknown} unanswered) but {found} in the database")
        if saved == 0:
            problems.append(f"{kind}: none saved, so nothing about it was shown")
    for kind in ("contact", "need"):  # nothing half-written: each row with its trail entry
        if evidence[f"{kind}_entries"] != evidence[kind]:
            problems.append(f"{evidence[kind]} {kind} rows but {evidence[f'{kind}_entries']} trail entries for them")
    print(f"trail entries for the new contacts and needs: {evidence['contact_entries']} and {evidence['need_entries']}")
    print(f"audit_verify: {verified}")
    if "intact" not in verified:
        problems.append("the audit chain does not verify")
    if problems:
        raise SystemExit("The load run FAILED: " + "; ".join(problems))
    print("The load run passed.")


def _serve(environment, port):
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "casework.wsgi"],
        cwd=ROOT,
        env={**environment, "CASEWORK_BIND": f"127.0.0.1:{port}"},
    )


def _cause_faults(server, options, faults):
    """A quarter and three quarters of the way in, SIGKILL a worker of the first server (its
    master starts another); half-way, if asked, restart PostgreSQL."""
    began = time.monotonic()
    for moment in (1 / 4, 3 / 4):  # twice, so that at least one lands under a request most runs
        time.sleep(max(0.0, options.seconds * moment - (time.monotonic() - began)))
        found = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True)  # noqa: S603, S607
        workers = found.stdout.split()
        if workers:
            victim = int(random.choice(workers))
            os.kill(victim, signal.SIGKILL)
            faults.setdefault("killed", []).append(victim)
            faults.setdefault("killed_at", []).append(round(time.monotonic() - began))
        if moment == 1 / 4 and options.restart_postgres:
            time.sleep(max(0.0, options.seconds / 2 - (time.monotonic() - began)))
            versions = sorted(os.listdir("/etc/postgresql"))
            restart = ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "restart", "-m", "fast"]
            subprocess.run(restart, check=True)  # noqa: S603
            faults["postgres_restarted"] = time.monotonic()


def _wait_until_up(server, port):
    for _ in range(240):
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise SystemExit("gunicorn did not answer")


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
    os.environ.setdefault("CASEWORK_DEBUG", "1")
    django.setup()
    main()
