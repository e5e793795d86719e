"""The chain holds under real requests: every form of the workspace, signed in with a password
and a code through the whole middleware stack, then ``audit_verify`` finds nothing wrong.

Entries written during a request get their actor and address hash from auditlog's request
context; before this held, they were linked first and filled in after, so every one of them
read as tampered."""

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.audit import chain
from casework.audit.models import AuditEntry
from casework.audit.reasons import reason_of
from casework.audit.services import record
from casework.cases.models import Referral, SupportNeed
from casework.cases.services.contacts import contact_add
from casework.cases.views import home as home_views
from tests.accounts.test_second_factor import code, enrolled
from tests.factories import PASSWORD, make_provider
from tests.identity.conftest import VALUES

TODAY = timezone.localdate()
ROOT = Path(__file__).resolve().parents[2]


def verify():
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def sign_in_on_the_pages(client, user, device):
    """The real steps: the password page, then the code page."""
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.url == reverse("accounts:verify")
    response = client.post(reverse("accounts:verify"), {"code": code(device)})
    assert response.status_code == 302 and response.url != reverse("accounts:verify")


def post(client, url, data, expect=302):
    response = client.post(url, data, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == expect, response.content.decode()[-6000:]
    return response


def walk_the_workspace(world):
    """A caseworker's need, contact, referral (consent, sent) and identity change; a
    supervisor's grant; both sign out."""
    worker, supervisor = Client(), Client()
    sign_in_on_the_pages(worker, world.lead, enrolled(world.lead))
    sign_in_on_the_pages(supervisor, world.supervisor, enrolled(world.supervisor))
    case_code = world.case.display_code
    post(
        worker,
        reverse("cases:need_new", args=[case_code]),
        {"category": "medical", "urgency": "urgent", "identified_on": TODAY},
    )
    need = SupportNeed.objects.get(case=world.case)
    contact = {"occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    contact.update(channel="phone", purpose="check_in", notes="Called back.", follow_up_on=TODAY + timedelta(days=2))
    post(worker, reverse("cases:contact_new", args=[case_code]), contact)
    provider = make_provider(world.org, "Riverside Clinic")
    referral_data = {"provider": provider.pk, "service_type": "medical", "needs": [need.pk], "urgency": "urgent"}
    post(worker, reverse("cases:referral_new", args=[case_code]), referral_data)
    referral = Referral.objects.get(case=world.case)
    consent = {"version": referral.version, "consent_given_by": "survivor", "consent_given_on": TODAY}
    consent.update(consent_method="verbal_witnessed", consent_witness="Interpreter", consent_scope=["needs"])
    consent.update(consent_recipient="The clinic", consent_expires_on=TODAY + timedelta(days=90))
    post(worker, reverse("cases:referral_consent", args=[case_code, referral.uid]), consent)
    referral.refresh_from_db()
    status = {"version": referral.version, "status": "sent", "on": TODAY}
    post(worker, reverse("cases:referral_status", args=[case_code, referral.uid]), status)
    identity = {"legal_name": VALUES["legal_name"], "phones": VALUES["phones"][0]}
    post(worker, reverse("cases:identity_edit", args=[case_code]), identity)
    assert worker.get(reverse("cases:detail", args=[case_code])).status_code == 200
    grant = {"grant-user": world.teammate.username, "grant-level": "view", "grant-reason": "Covering a shift"}
    post(supervisor, reverse("access:case_grant", args=[case_code]), grant)
    post(worker, reverse("logout"), {})
    post(supervisor, reverse("logout"), {})


def test_every_form_of_the_workspace_leaves_a_chain_that_verifies(world):
    first = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    walk_the_workspace(world)
    written = AuditEntry.objects.filter(seq__gt=first)
    events = set(written.values_list("event", flat=True))
    expected = {"login.success", "supportneed.create", "contact.create", "referral.create", "referral.update"}
    expected |= {"referralstep.create", "identity.create", "grant.add", "case.view", "logout"}
    assert expected <= events, expected - events
    # The entries carry what the request context gave them, and the chain covers it.
    need = written.get(event="supportneed.create")
    assert need.actor == world.lead and need.ip_hash
    view = written.filter(event="case.view").first()  # written by record(), not by auditlog
    assert view.actor == world.lead and view.ip_hash and view.cid
    assert view.ip_hash != need.ip_hash  # the page was opened from another address than the need was posted
    assert "intact" in verify()


def test_a_field_filled_after_linking_is_refused_instead_of_breaking_the_chain(world, monkeypatch, sign_in):
    """If a receiver ever fills a field again during the save (after the link), the write
    fails loudly: a false tamper alarm later would teach supervisors to ignore the alarm."""
    from django.db.models.signals import pre_save

    def late_receiver(sender, instance, **kwargs):
        if instance.pk is None and instance.entry_hash:
            instance.reason = "filled in late"

    pre_save.connect(late_receiver, sender=AuditEntry, weak=False, dispatch_uid="late")
    try:
        client = Client()
        sign_in(client, world.lead)
        with pytest.raises(chain.ChainError):
            need = {"category": "legal", "urgency": "normal", "identified_on": TODAY}
            client.post(reverse("cases:need_new", args=[world.case.display_code]), need)
    finally:
        pre_save.disconnect(sender=AuditEntry, dispatch_uid="late")
    assert not SupportNeed.objects.filter(case=world.case).exists()  # the act went with its entry
    assert "intact" in verify()


def test_an_entry_queued_in_a_savepoint_that_rolls_back_goes_with_it(world):
    """Inside a request, entries wait for the end of its transaction; one written inside a
    savepoint that is rolled back (a service that refused half-way) is never written."""
    with transaction.atomic(), chain.deferred():
        record(event="case.view", actor=world.lead, case=world.case, reason="kept")
        with contextlib.suppress(RuntimeError), transaction.atomic():
            record(event="case.view", actor=world.lead, case=world.case, reason="undone")
            raise RuntimeError
        record(event="case.view", actor=world.lead, case=world.case, reason="kept too")
        assert not AuditEntry.objects.filter(event="case.view").exists()  # queued, not yet written
    kept = [reason_of(entry) for entry in AuditEntry.objects.filter(event="case.view").order_by("seq")]
    assert kept == ["kept", "kept too"]
    assert "intact" in verify()


def test_a_refused_form_leaves_a_chain_that_verifies(world, sign_in):
    client = Client()
    sign_in(client, world.lead)
    case_code = world.case.display_code
    referral = {"service_type": "legal", "urgency": "normal", "external_provider": "A lawyer"}
    post(client, reverse("cases:referral_new", args=[case_code]), referral)
    sent = Referral.objects.get(case=world.case)
    status = {"version": sent.version, "status": "sent", "on": TODAY}
    post(client, reverse("cases:referral_status", args=[case_code, sent.uid]), status, expect=400)  # no consent
    assert "intact" in verify()


# Through a real server process ------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """``runserver`` on a database of its own, migrated for it (a SQLite file, or a fresh
    PostgreSQL database beside the test database), started by the test and stopped after it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    # Debug serves the assets without collectstatic and sends cookies over plain HTTP.
    env.update(CASEWORK_DEBUG="1", CASEWORK_ALLOWED_HOSTS="127.0.0.1")
    database = own_database(tmp_path)
    env["DATABASE_URL"] = next(database)
    env["CASEWORK_KEYSTORE_URL"] = f"sqlite:///{tmp_path / 'keystore.sqlite3'}"  # its key store, of its own
    for database_alias in ("keystore", "default"):
        migrate = [sys.executable, "manage.py", "migrate", "--database", database_alias, "-v0"]
        subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=300)
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", env
    finally:
        stop(process)
        next(database, None)


def stop(process):
    """Ctrl-C, as a person stops runserver; a server that does not hear it is ended."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def own_database(tmp_path):
    """Yield a DATABASE_URL for a new, empty database; drop it when resumed."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    import psycopg

    settings = connection.settings_dict
    name = f"casework_server_{os.getpid()}"
    admin = f"host={settings['HOST']} port={settings['PORT']} user={settings['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}"')
        pg.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{name}"
    with psycopg.connect(admin, autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_in(env, *command):
    return subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, text=True, capture_output=True)


@pytest.mark.slow
def test_a_real_server_process_writes_a_chain_that_verifies(server):
    """The whole stack as deployed: a person made at the server, signed in over HTTP with
    her password and a code, a case opened and a need added; then audit_verify."""
    base, env = server
    made = run_in(env, "shell", "-c", SEED)
    assert made.returncode == 0, made.stderr
    team, secret = made.stdout.split()[-2:]
    browser = Browser(base)
    browser.post("/accounts/login/", {"username": "srv-lead", "password": PASSWORD})
    browser.post("/accounts/verify/", {"code": totp_now(secret)})
    opened = browser.post("/cases/new/", {**INTAKE, "team": team})
    assert "/opened/" in opened.geturl()
    case_url = opened.geturl().replace("opened/", "")
    need = {"category": "medical", "urgency": "urgent", "identified_on": TODAY.isoformat()}
    browser.post(case_url + "needs/new/", need)
    verified = run_in(env, "audit_verify")
    assert verified.returncode == 0, verified.stderr
    assert "intact" in verified.stdout
    events = run_in(env, "audit_export")
    assert '"event": "supportneed.create"' in events.stdout and '"actor": "srv-lead"' in events.stdout


SEED = f"""
import base64
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.factories import make_caseworker, make_org, make_team
org = make_org("srv-org")
team = make_team(org, "srv-team")
user = make_caseworker(org, team, username="srv-lead")
user.set_password("{PASSWORD}")
user.save(update_fields=["password"])
device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
print(team.pk, base64.b32encode(device.bin_key).decode())
"""
INTAKE = {
    "status": "open",
    "risk_level": "high",
    "age_band": "18-24",
    "gender": "female",
    "nationality": "KP",
    "stage": "hiding",
    "region": "CN-JL",
    "started_on": TODAY.isoformat(),
    "exploitation_types": "forced_marriage",
    "intake_source": "partner",
    "summary": "Needs medical care first.",
}


def totp_now(secret):
    import base64

    from django_otp.oath import TOTP

    return f"{TOTP(base64.b32decode(secret)).token():06d}"


class Browser:
    """Cookies and CSRF tokens, as a browser keeps them, over a real socket."""

    def __init__(self, base):
        self.base, self.cookies = base, CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def csrf(self):
        return next((c.value for c in self.cookies if c.name.endswith("csrftoken")), "")

    def post(self, path, data):
        url = path if path.startswith("http") else self.base + path
        self.opener.open(url, timeout=30).read()  # the form page first: it sets the CSRF cookie
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}, doseq=True).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": url})  # noqa: S310 (our own http URL)
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{path}: {error.code} {error.read().decode()[-3000:]}") from None
        assert response.status == 200, response.status
        return response


def test_a_page_takes_the_chain_lock_once_after_it_is_rendered(world, monkeypatch, sign_in):
    """The lock (taken by chain.head) is held from linking to commit: it is taken once, at
    the end of the view's transaction, after the page was rendered and every entry queued."""
    calls = []
    real_head, real_render = chain.head, home_views.render
    monkeypatch.setattr(chain, "head", lambda: calls.append("lock") or real_head())
    monkeypatch.setattr(home_views, "render", lambda *a, **k: calls.append("render") or real_render(*a, **k))
    client = Client()
    sign_in(client, world.lead)
    calls.clear()
    assert client.get(reverse("home")).status_code == 200  # records case.list, then renders
    assert calls == ["render", "lock"]
    assert AuditEntry.objects.filter(event="case.list", actor=world.lead).exists()


def test_a_service_called_inside_a_collecting_block_leaves_the_linking_to_its_end(world):
    """A nested collecting block (a service that opens its own, inside a request) does not
    link at its own end: the outermost block does, last, so the chain's lock is held shortest."""
    with chain.audited_atomic():
        with chain.deferred():
            record(event="case.view", actor=world.lead, case=world.case, reason="inner")
        assert not AuditEntry.objects.filter(event="case.view").exists()  # still queued
        record(event="case.view", actor=world.lead, case=world.case, reason="outer")
    kept = [reason_of(entry) for entry in AuditEntry.objects.filter(event="case.view").order_by("seq")]
    assert kept == ["inner", "outer"]
    assert "intact" in verify()


def test_outside_a_request_the_chain_is_locked_only_at_the_end_of_the_transaction(world, monkeypatch):
    """Writers on different cases overlap: with ``audited_atomic`` (what every request and
    the bench's writers use) the chain's head, and with it its lock (an advisory lock held to
    the commit, on PostgreSQL), is taken only when the entries are linked at the end; in a
    plain transaction it is taken at the first entry and held through the rest of the work."""
    taken = []
    real_head = chain.head
    monkeypatch.setattr(chain, "head", lambda: taken.append("head") or real_head())
    with chain.audited_atomic():
        contact_add(by=world.lead, case=world.case, occurred_at=timezone.now(), channel="phone", purpose="check_in")
        taken.append("work done")
    assert taken == ["work done", "head"]
    taken.clear()
    with transaction.atomic():
        contact_add(by=world.lead, case=world.case, occurred_at=timezone.now(), channel="phone", purpose="check_in")
        taken.append("work done")
    assert taken[0] == "head" and taken[-1] == "work done"
    assert "intact" in verify()


def test_collecting_entries_outside_a_transaction_is_refused(world, monkeypatch):
    """Outside a transaction, an inner transaction would commit its act on its own and the
    entries waiting for the outer block would be forgotten: the block refuses to start."""
    monkeypatch.setattr(type(connection), "in_atomic_block", False, raising=False)
    with pytest.raises(RuntimeError, match="open one first"), chain.deferred():
        pass
