"""Canaries: identity values that must never be seen again outside a reveal.

Three cases (world.case in team A, world.other_case in team B, and a case of the other
organisation) get an identity in which every field holds a distinctive marker, and a contact,
a need and a referral with consent, so that every page has something to show. Then every
persona of the policy table, and someone signed out, in English, Korean or Chinese:

- GETs every route the URL resolver knows, filled in with each case's code and each record's
  id (of a case she may not see, the pages that show something: the rest answer the same 404),
  and addresses with a name, an alias or a phone typed into them;
- POSTs bad input to every route of world.case, good and bad input to its main forms, and
  asks for the de-identified export; the four who may reveal the identity do so, once;
- signs out. Then the management commands run, and a signed-out visitor who typed a name
  into the address bar gets as far as the password step.

The markers (case-insensitively, as typed, percent- and form-encoded, JSON-escaped; a phone
also in digits only, the birth date in ISO form) must then appear in no response body or
header but those four reveals, no audit entry, no log record or log output, no command
output, no session, no mail, no column of any table and, on SQLite, no byte of the database.
``test_the_scanners_find_a_planted_value`` shows that the scanners are not blind.
"""

import datetime
import io
import json
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.access.services import request_reveal_grant
from casework.audit.checkpoint import new_keypair
from casework.audit.models import AuditEntry
from casework.cases.models import Case, ServiceProvider
from casework.identity import crypto, services
from casework.identity.models import FIELD_NAMES, Identity
from casework.logging import redact_path
from tests.accounts.test_csrf import NO_RECORD_UID, PARAMETER, UID_OWNERS, every_route
from tests.factories import PASSWORD, make_case, make_contact, make_need, make_provider, make_referral
from tests.identity.conftest import current_code, mark_fresh
from tests.personas import ANONYMOUS, REVEALERS, everyone_except
from tests.signing import sign_in

PERSONAS = [*everyone_except("superuser", "global_viewer"), ANONYMOUS]
CORE = ("canary", "카나리", "金丝雀")  # in every identity below: a partial quote is caught too


def canary_identity(n):
    """The identity of seeded case ``n`` (1 to 3): a marker and ``n`` in every field."""
    hangul, han = "일이삼"[n - 1], "一二三"[n - 1]
    return {
        "legal_name": f"김카나리{hangul}",
        "other_names": [f"金丝雀{han}号", f"Canary Kimsong{n}"],
        "date_of_birth": datetime.date(1990 + n, 2, 10 + n),
        "phones": [f"+82 10-7391-48{n}6"],
        "messengers": [f"WeChat: canary_wx_{n}7391"],
        "addresses": f"{n}7 Canary Lane, 카나리로 {n}",
        "last_location": f"Canaryville {n}, 金丝雀镇{han}",
        "family_contacts": f"Sister 카나리언니{hangul}, +86 139 {n}555 0173",
        "documents": f"Passport CANARYDOC{n}7391",
        "notes": f"카나리 노트 {n}7391; 金丝雀笔记{han}",
    }


def markers_of(values):
    """{text: label} of what must not be seen: every value, phones in digits only, dates in ISO form."""
    found = {}
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            found[item.isoformat() if isinstance(item, datetime.date) else item] = name
    for phone in values["phones"]:
        found[re.sub(r"\D", "", phone)] = "phones, digits only"
    return found


def spellings(markers):
    """{spelling: label}: each marker case-folded as typed, percent- and form-encoded, JSON-escaped
    (as JSONField stores it on SQLite, and as Django escapes a logged path)."""
    found = {}
    for text, label in markers.items():
        for spelling, how in [
            (text, ""),
            (quote(text, safe=""), ", percent-encoded"),
            (quote_plus(text, safe=""), ", form-encoded"),
            (json.dumps(text)[1:-1], ", JSON-escaped"),
        ]:
            found.setdefault(spelling.casefold(), f"{label}{how}")
    return found


def canary_markers(identities):
    markers = dict.fromkeys(CORE, "a marker")
    for values in identities:
        markers.update(markers_of(values))
    return spellings(markers)


def find(text, markers):
    """The ``markers`` that occur in ``text``, case-insensitively: [(label, spelling)]."""
    folded = text.casefold()
    return sorted((label, spelling) for spelling, label in markers.items() if spelling in folded)


def found_in(text, where, markers):
    return [(where, f"{label} {spelling!r}") for label, spelling in find(text, markers)]


def assert_clean(found):
    assert not found, "canaries found:\n" + "\n".join(f"{where}: {what}" for where, what in found)


# Seeding ---------------------------------------------------------------------------------------


def seed_case(case, by, values, provider):
    """Give ``case`` the identity ``values``, a need, a contact and a referral resting on consent."""
    services.identity_save(by=by, case=case, values=values)
    need = make_need(case, by, owner=by, outcome_notes="Clinic visit arranged.")
    contact = make_contact(case, by, place="Jilin province", notes="Checked in; all well.")
    referral = make_referral(
        case,
        by,
        provider=provider,
        consent_given_by="survivor",
        consent_given_on=timezone.localdate() - datetime.timedelta(days=2),
        consent_method="written",
        consent_scope=["age_band", "needs"],
        consent_recipient=provider.name,
        consent_recorded_by=by,
        next_step="Ask the shelter for a bed",
    )
    referral.needs.add(need)
    # A request waiting for confirmation, so that its page is walked too.
    access_request = request_reveal_grant(by=by, case=case, membership=by.membership, reason="Court date")
    return SimpleNamespace(
        case=case,
        by=by,
        need=need,
        contact=contact,
        referral=referral,
        provider=provider,
        access_request=access_request,
    )


@pytest.fixture
def seeded(world):
    """([records of the three cases], [their identities]). Team B's identity also lists team
    A's phone, so that supervisors get a possible-duplicate alert to look at."""
    provider_a, provider_b = make_provider(world.org, "Shelter One"), make_provider(world.other_org, "Shelter Two")
    identities = [canary_identity(n) for n in (1, 2, 3)]
    identities[1]["phones"] = [*identities[1]["phones"], identities[0]["phones"][0]]
    cases = [
        seed_case(world.case, world.lead, identities[0], provider_a),
        seed_case(world.other_case, world.other_team_worker, identities[1], provider_a),
        seed_case(make_case(world.outsider), world.outsider, identities[2], provider_b),
    ]
    return cases, identities


# The requests ----------------------------------------------------------------------------------


def fill(route, records):
    def value(match):
        if match["name"] == "code":
            return records.case.display_code
        if match["name"] == "username":
            return records.by.username
        if match["name"] == "slug":
            return records.case.team.slug
        if match["name"] == "section":
            return "regions"  # a table of the reports (its chart)
        if match["name"] == "grant_uid":
            grant = records.case.grants.order_by("pk").first()
            return str(grant.uid if grant else "00000000-0000-4000-8000-000000000000")
        owner = UID_OWNERS.get(route[: match.start()].rstrip("/").rsplit("/", 1)[-1])
        assert match["name"] == "uid" and owner, f"/{route}: teach this test to fill <{match['name']}>"
        return str(getattr(records, owner).uid) if hasattr(records, owner) else NO_RECORD_UID

    return "/" + PARAMETER.sub(value, route)


def pages_for(cases, visible):
    """Every route, filled in for each of ``cases`` (and their records, providers and leads).
    Of a case not in ``visible`` (pks) only the pages that show something are asked for: the
    other routes of such a case answer the very same 404. Sign-out and quick exit come last."""
    urls = []
    for route in every_route():
        if "<" not in route:
            urls.append("/" + route)
            continue
        for records in cases:
            if "<str:code>" not in route or records.case.pk in visible or route.endswith(SHOWN):
                urls.append(fill(route, records))
    last = {reverse("logout"), reverse("accounts:exit")}
    return sorted(dict.fromkeys(urls), key=lambda url: url in last)


SHOWN = (">/", "/identity/", "/identity/edit/")  # a case, a record, the identity pages


def typed_urls(identity, case):
    """Addresses someone typed a name, an alias or a phone into."""
    name, alias, phone = identity["legal_name"], identity["other_names"][1], identity["phones"][0]
    return [
        f"/cases/{name}/",
        f"/cases/{name}",
        f"/cases/{case.display_code}/contacts/{name}/",
        f"/providers/{alias}/",
        f"/{name}/",
        f"/{name}",
        f"/cases/?q={quote_plus(name)}",
        f"/cases/?q={quote_plus(alias)}&status={quote_plus(phone)}",
        f"/audit/?user={quote_plus(alias)}",
        f"/access/users/{name}/",
        f"/access/cases/{name}/",
        f"/access/cases/?code={quote_plus(name)}&person={quote_plus(alias)}",
        f"/audit/?code={quote_plus(name)}&q={quote_plus(phone)}",
        f"/accounts/login/?next=/cases/{quote(name)}/",
    ]


@dataclass
class Exchange:
    who: str
    method: str
    url: str
    status: int
    headers: str
    body: str
    revealed: bool = False

    def where(self):
        return f"{self.who} {self.method} {self.url} → {self.status}"


def send(client, who, method, url, data=None, revealed=False, hops=3, to_sign_in=False):
    """One request, and up to ``hops`` redirects after it (so that flash messages are read): their
    exchanges. The sign-in page a signed-out visitor is sent to is only looked at when ``to_sign_in``."""
    response = getattr(client, method)(url, data or {})
    exchanges = [exchange(who, method.upper(), url, response, revealed)]
    for _hop in range(hops):
        location = response.headers.get("Location", "")
        if response.status_code not in (301, 302, 303) or not location.startswith("/"):
            break
        if location.startswith(reverse("login")) and not to_sign_in:
            break
        url, response = location, client.get(location)
        exchanges.append(exchange(who, "GET", url, response))
    return exchanges


def exchange(who, method, url, response, revealed=False):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    headers += "\n" + response.cookies.output()
    return Exchange(who, method, url, response.status_code, headers, body.decode(errors="replace"), revealed)


# Bad input for every form (no valid version, a blank reason), and good input without a canary
# (the free-text guard would refuse a note that quotes the identity).
JUNK = {"reason": " ", "version": "x", "note": "Checking every page"}
REVEAL = {"purpose": "record", "reason": "Checking the record", "fields": FIELD_NAMES}


def moment(**delta):
    return (timezone.localtime() - datetime.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


def day(n):
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


def form_posts(world, records):
    """(url, data) for the main forms of world.case, good and bad, with the versions as saved now."""
    case = Case.objects.get(pk=world.case.pk)
    code, identity = case.display_code, Identity.objects.get(case=case)
    contact = {"occurred_at": moment(hours=1), "channel": "phone", "purpose": "check_in", "notes": "Short call."}
    need = {"category": "medical", "urgency": "high", "owner": world.lead.pk, "identified_on": day(-1)}
    profile = {
        "version": case.version,
        "status": "active",
        "risk_level": "high",
        "age_band": "18-24",
        "gender": "female",
        "nationality": "KP",
        "intake_source": "hotline",
        "summary": "Referred by the hotline after a second call.",
    }
    referral = {"provider": records.provider.pk, "service_type": "legal", "urgency": "normal", "next_step": "Call"}
    consent = {
        "data_shared": "Age band",
        "consent_given_by": "survivor",
        "consent_given_on": day(-1),
        "consent_method": "written",
        "consent_scope": ["age_band", "needs"],
        "on": day(0),
    }
    on_case = lambda name: reverse(f"cases:{name}", args=[code])  # noqa: E731
    return [
        (on_case("contact_new"), contact),
        (on_case("contact_new"), {**contact, "follow_up_on": day(-3)}),
        (on_case("need_new"), need),
        (on_case("need_new"), {**need, "due_on": day(-5)}),
        (on_case("journey_new"), {"version": case.version, "stage": "transit", "region": "LA", "started_on": day(-2)}),
        (on_case("journey_new"), {"version": case.version, "stage": "transit", "region": "LA", "started_on": day(3)}),
        (on_case("edit"), profile),
        (on_case("edit"), {**profile, "risk_level": "extreme"}),
        (on_case("referral_new"), {**referral, "needs": [records.need.pk]}),
        (on_case("referral_new"), {**referral, "provider": ""}),
        (on_case("referral_send"), {**referral, **consent, "needs": [records.need.pk]}),
        (on_case("referral_send"), {**referral, **consent, "on": day(-3)}),
        (on_case("identity_edit"), {"version": identity.version, "date_of_birth": day(9000)}),
        (on_case("identity_edit"), {"version": identity.version, "approximate_age": "About 30"}),
        (reverse("cases:export"), {"reason": " "}),
        (reverse("cases:export"), {"reason": "Quarterly report to the board"}),
    ]


def walk(world, cases, identities):
    """Each persona in turn, in one of the three languages, as the module docstring tells: [Exchange]."""
    languages = [code for code, _name in django_settings.LANGUAGES]
    traffic = []
    for number, who in enumerate(PERSONAS):
        client, visible = Client(), set()
        if who != ANONYMOUS:
            sign_in(client, getattr(world, who))
            visible = set(Case.objects.restrict(getattr(world, who), "view").values_list("pk", flat=True))
        pages, posts = pages_for(cases, visible), pages_for(cases[:1], visible)
        traffic += send(client, who, "post", reverse("set_language"), {"language": languages[number % 3]})
        for url in pages[:-2]:
            traffic += send(client, who, "get", url)
        for url in typed_urls(identities[0], world.case):
            traffic += send(client, who, "get", url, to_sign_in=True)
        for url in posts[:-2]:  # what bad input redirects to (home, mostly) is in the walk anyway
            traffic += send(client, who, "post", url, JUNK, hops=0)
        if who in REVEALERS:  # identity writes need a recent code; the reveal below asks for its own
            mark_fresh(client)
        for url, data in form_posts(world, cases[0]):
            traffic += send(client, who, "post", url, data)
        if who in REVEALERS:
            mark_fresh(client, seconds_ago=24 * 60 * 60)
            ask = {**REVEAL, "code": current_code(getattr(world, who))}
            traffic += send(client, who, "post", reverse("cases:identity", args=[world.case.display_code]), ask, True)
        for url in posts[-2:]:
            traffic += send(client, who, "post", url, JUNK)
    return traffic + password_step_after_typing_a_name(world, identities[0])


def password_step_after_typing_a_name(world, identity):
    """Signed out, she types a name instead of a code, is sent to sign in, gives her password
    and leaves before the second factor: nothing of what she typed may stay behind."""
    client = Client()
    traffic = send(client, "anonymous", "get", f"/cases/{identity['legal_name']}/", to_sign_in=True)
    next_url = unquote_plus(traffic[0].headers.split("next=", 1)[1].split("\n", 1)[0])
    password_form = {"username": world.lead.username, "password": PASSWORD, "next": next_url}
    return traffic + send(client, "anonymous", "post", reverse("login"), password_form)


# Commands, logs, the database ------------------------------------------------------------------


def run_commands(world, tmp_path, settings):
    """Every command of casework with harmless arguments: [(command line, its stdout and stderr, or error)]."""
    manifest, checkpoint = tmp_path / "manifest.json", tmp_path / "checkpoint.json"
    manifest.write_text(json.dumps({"users": [{"username": "lead", "role": "caseworker", "password": "x"}]}))
    settings.FIELD_KEYS = [crypto.new_key(), *settings.FIELD_KEYS]  # rotate onto a second key
    settings.AUDIT_SIGNING_KEY, settings.AUDIT_PUBLIC_KEY = new_keypair()
    plan = [
        ("field_key_new", []),
        ("rotate_field_keys", ["--dry-run"]),
        ("rotate_field_keys", []),
        ("rotate_field_keys", []),  # nothing left to do
        ("reindex_identities", []),
        ("demo_logins", ["--manifest", str(manifest)]),
        ("demo_code", ["lead"]),  # refuses: debug is off
        ("seed_demo", ["--cases", "1"]),  # refuses: debug is off, and the database is not empty
        ("unlock_user", ["lead"]),
        ("protection_lift", ["lead", "--reason", "Operator"]),  # refuses: lead is not protected
        ("expire_grants", []),
        ("org_bootstrap_supervisor", [world.org.slug, "lead"]),  # refuses: org-a has a vouched supervisor
        ("audit_checkpoint", ["--new-key"]),
        ("audit_checkpoint", []),
        ("audit_verify", ["--checkpoint", str(checkpoint)]),
        ("audit_export", []),
        ("audit_export", ["--case", world.case.display_code]),
        ("apply_retention", []),  # no rules set: nothing to do
        ("erase_organisation", [world.org.slug]),  # refuses: no supervisor confirmed
        ("backup", ["--to", str(tmp_path)]),  # refuses: no backup public key
        ("backup_key_new", [str(tmp_path / "backup-private-key")]),
        ("restore", ["data", "keys", "--key", str(tmp_path / "backup-private-key")]),  # refuses: not empty
        ("restore_drill", ["--cases", "0"]),  # refuses: nothing to prove
        ("db_roles", ["--grant"]),
    ]
    ours = {name for name, app in get_commands().items() if app.startswith("casework")}
    assert ours == {name for name, _args in plan}, f"teach this test to run {sorted(ours - {n for n, _a in plan})}"
    outputs = []
    for name, args in plan:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(name, *args, stdout=out, stderr=err)
        except CommandError as error:
            err.write(str(error))
        if name == "audit_checkpoint" and not args:
            checkpoint.write_text(out.getvalue())
        outputs.append((" ".join([name, *args]), out.getvalue() + err.getvalue()))
    assert any("re-encrypted" in text for line, text in outputs if line == "rotate_field_keys"), outputs
    return outputs


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


# Its DEBUG records come with exception chains: kept here unformatted, not through pytest's handlers.
UNFORMATTED = ("django.template",)


@contextmanager
def captured_logs():
    """(records, output): every record, every logger at DEBUG (a handler on the root logger and on
    each logger that does not propagate), and the text the configured handlers actually write."""
    records, written = Records(), io.StringIO()
    loggers = [logging.root, *logging.root.manager.loggerDict.values()]
    loggers = [logger for logger in loggers if isinstance(logger, logging.Logger)]
    saved, streams = {logger: (logger.level, logger.propagate) for logger in loggers}, {}
    for logger in loggers:
        if logger.name in UNFORMATTED:
            logger.propagate = False
        if logger is logging.root or logger.level != logging.NOTSET:
            logger.setLevel(logging.DEBUG)
        if logger is logging.root or not logger.propagate:
            logger.addHandler(records)
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and handler not in streams:
                streams[handler] = handler.setStream(written)
    try:
        yield records.records, written
    finally:
        for logger in loggers:
            logger.removeHandler(records)
            logger.level, logger.propagate = saved[logger]
        for handler, stream in streams.items():
            handler.setStream(stream)


def record_text(record):
    """A log record's message, its arguments and every exception in its chain (type, args, text)."""
    parts, error = [record.getMessage(), repr(record.args)], record.exc_info[1] if record.exc_info else None
    while error is not None:
        parts.append(f"{type(error).__name__}{error.args!r} {error}")
        error = error.__cause__ or error.__context__
    return "\n".join(parts)


def scan_database(markers):
    """Every column of every table, cast to text: [(table.column, what was found)]."""
    quote_name, found = connection.ops.quote_name, []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [column.name for column in connection.introspection.get_table_description(cursor, table)]
            texts = ", ".join(f"CAST({quote_name(column)} AS TEXT)" for column in columns)
            cursor.execute(f"SELECT {texts} FROM {quote_name(table)}")  # noqa: S608 (names from introspection)
            rows = cursor.fetchall()
            for position, column in enumerate(columns):
                text = "\n".join(row[position] for row in rows if row[position] is not None)
                found += found_in(text, f"{table}.{column}", markers)
    return found


def database_file_bytes():
    """The SQLite test database as the bytes of its file, free pages included (None on PostgreSQL).

    The test runs inside a transaction, where VACUUM INTO refuses and the backup API waits
    for ever; sqlite3_serialize copies the pages as this connection sees them.
    """
    if connection.vendor != "sqlite":
        return None
    connection.ensure_connection()
    return connection.connection.serialize()


def scan_database_file(markers):
    raw = database_file_bytes()
    if raw is None:
        return []
    raw = raw.lower()  # the markers are case-folded; non-ASCII bytes stay as they are
    found = [(label, spelling) for spelling, label in markers.items() if spelling.encode() in raw]
    return [("the database file", f"{label} {spelling!r}") for label, spelling in found]


def sessions_text():
    return "\n".join(json.dumps(session.get_decoded(), ensure_ascii=False) for session in Session.objects.all())


def audit_text():
    """Every column of every audit entry."""
    rows = AuditEntry.objects.order_by("pk").values()
    return "\n".join(json.dumps(row, ensure_ascii=False, default=str) for row in rows)


def everything_found(markers, traffic, records, output, commands):
    """Every place a marker turned up: [(where, what)]."""
    found = []
    for x in traffic:
        if x.revealed:
            continue
        found += found_in(x.body, x.where(), markers)
        # A redirect may hand an address she typed back to her browser (adding a slash, or as
        # sign-in's "next"); anything else in a header may not hold a canary.
        if not find(unquote_plus(x.url), markers):
            found += found_in(x.headers, f"{x.where()} (headers)", markers)
    for record in records:
        found += found_in(record_text(record), f"log record {record.name} {record.getMessage()[:200]!r}", markers)
    found += found_in(output, "log output", markers)
    for line, text in commands:
        found += found_in(text, f"command {line}", markers)
    found += found_in(audit_text(), "audit entries", markers)
    found += found_in(sessions_text(), "sessions (decoded)", markers)
    for message in mail.outbox:
        found += found_in(message.message().as_string(), "mail", markers)
    return found + scan_database(markers) + scan_database_file(markers)


# The tests -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_identity_values_appear_nowhere_but_in_a_reveal(world, seeded, tmp_path, settings, caplog, monkeypatch):
    cases, identities = seeded
    markers = canary_markers(identities)
    caplog.set_level(logging.DEBUG)
    # Every case its own row in the case export (the rule asks for 2 or more; a row per case
    # is what puts the canaried cases in the file the scan below reads).
    settings.REPORT_MIN_COUNT = 1
    # Two thousand requests: spare the test client copying every template's context (unused here).
    monkeypatch.setattr("django.test.client.store_rendered_templates", lambda *args, **kwargs: None)
    with captured_logs() as (records, output):
        traffic = walk(world, cases, identities)
        commands = run_commands(world, tmp_path, settings)

    # It went where it meant to: forms saved, the export downloaded, four reveals showed the values.
    saved = {x.who for x in traffic if x.url.endswith("/contacts/new/") and "Location: /cases/" in x.headers}
    assert saved == {"lead", "coworker", "editor", "supervisor", "head"}
    exports = [x for x in traffic if x.url == reverse("cases:export") and "text/csv" in x.headers]
    assert {x.who for x in exports} == {"supervisor", "other_supervisor", "head"}
    assert all(len(x.body.splitlines()) == 1 + 1 for x in exports if x.who != "head")  # a row each
    assert all(world.case.display_code not in x.body for x in exports)  # a fresh code per row, never the case's
    reveals = [x for x in traffic if x.revealed]
    assert {x.who for x in reveals} == REVEALERS
    for x in reveals:  # the canaries are there when they should be: the scan below can fail
        assert x.status == 200, x.where()
        assert {"legal_name", "other_names", "phones", "notes"} <= {label for label, _ in find(x.body, markers)}
    # The name typed into an address was logged, redacted to the section of the site.
    assert redact_path(f"/cases/{identities[0]['legal_name']}/") == "/cases/[…]"
    assert "Not Found: /cases/[…]" in [r.getMessage() for r in records if r.name == "django.request"]
    assert "Not Found: /cases/[…]" in output.getvalue()

    assert_clean(everything_found(markers, traffic, records, f"{output.getvalue()}\n{caplog.text}", commands))


def test_the_scanners_find_a_planted_value(world, seeded):
    """A name and a phone written behind the application's back are found: in clear text in
    a column (as an operator could put it there), and on a page that shows a column."""
    cases, identities = seeded
    name, phone = identities[0]["legal_name"], identities[0]["phones"][0]
    with connection.cursor() as cursor:  # notes are encrypted: only around the application is clear text possible
        cursor.execute(
            "UPDATE cases_contact SET notes = %s WHERE id = %s", [f"Spoke with {name} on {phone}.", cases[0].contact.pk]
        )
    provider = ServiceProvider.objects.create(organisation=world.org, name=f"Clinic of {name}")
    markers = canary_markers(identities)

    assert {what for where, what in scan_database(markers) if where == "cases_contact.notes"} >= {
        f"legal_name {name!r}",
        f"phones {phone!r}",
    }
    client = Client()
    sign_in(client, world.supervisor)
    (page,) = send(client, "supervisor", "get", reverse("providers:detail", args=[provider.uid]))
    assert ("legal_name", name) in find(page.body, markers)
    if connection.vendor == "sqlite":
        assert ("the database file", f"legal_name {name!r}") in scan_database_file(markers)
