"""Canaries: identity values that must never be seen again outside a reveal.

Three cases (team A, team B, another organisation) get an identity in which every field
holds a distinctive marker, and a contact, a need and a referral with consent, so that every
page has something to show. Then every persona of the policy table, and someone signed out,
walks every route the URL resolver knows (with each case's code and each record's id), posts
every form with bad input and the main forms with good input, exports, runs the management
commands, and the four who may reveal do so once.

The markers (as typed, case-folded, percent-encoded as in a URL, ASCII-escaped as JSON
stores them; a phone also in digits only, the birth date in ISO form) must then appear in
no response body or header but those four reveals, no audit entry, no log line, no command
output, no session, no mail, no column of any table and (on SQLite) no byte of the database
file. ``test_the_scanner_finds_a_planted_canary`` shows the scanners are not blind.
"""

import datetime
import io
import json
import logging
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import quote, quote_plus

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.audit.models import AuditEntry
from casework.cases.models import Case
from casework.identity import crypto, services
from casework.identity.models import FIELD_NAMES, Identity
from casework.logging import redact_path
from tests.accounts.test_csrf import PARAMETER, UID_OWNERS, every_route
from tests.factories import make_case, make_contact, make_need, make_provider, make_referral
from tests.identity.conftest import mark_fresh

PERSONAS = [
    "lead",
    "coworker",
    "teammate",
    "other_team_worker",
    "viewer",
    "editor",
    "revealer",
    "supervisor",
    "other_supervisor",
    "head",
    "admin",
    "outsider",
    "deactivated",
    "anonymous",
]
REVEALERS = {"lead", "revealer", "supervisor", "head"}  # may reveal the identity of world.case
CORE = ("canary", "카나리", "金丝雀")  # in every identity below, so a partial quote is caught too


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
            if isinstance(item, datetime.date):
                found[item.isoformat()] = f"{name} (ISO date)"
            elif item:
                found[item] = name
        for phone in values.get("phones", []) if name == "phones" else []:
            found[re.sub(r"\D", "", phone)] = "phones (digits only)"
    return found


def spellings(markers):
    """Each marker case-folded, as a URL carries it and as JSON escapes it: {spelling: label}."""
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


def find(text, markers):
    """The labels of the ``markers`` (case-folded spellings) that occur in ``text``, case-insensitively."""
    folded = text.casefold()
    return sorted({f"{label} {spelling!r}" for spelling, label in markers.items() if spelling in folded})


def assert_clean(text, where, markers):
    hits = find(text, markers)
    assert not hits, f"canary in {where}: {hits}"


# Seeding ---------------------------------------------------------------------------------------


def seed_case(case, by, values, provider):
    """Give ``case`` the identity ``values`` and one of each child record, through the services."""
    services.identity_save(by=by, case=case, values=values)
    need = make_need(case, by, owner=by, outcome_notes="Clinic visit arranged.")
    contact = make_contact(case, by, place="Jilin province", notes="Checked in; all well.", follow_up_on=None)
    referral = make_referral(
        case,
        by,
        provider=provider,
        consent_given_by="survivor",
        consent_given_on=timezone.localdate() - datetime.timedelta(days=2),
        consent_method="written",
        consent_scope="Her age band and the shelter need; no name.",
        consent_recipient=provider.name,
        consent_recorded_by=by,
        next_step="Ask the shelter for a bed",
    )
    referral.needs.add(need)
    return SimpleNamespace(case=case, need=need, contact=contact, referral=referral, provider=provider)


@pytest.fixture
def seeded(world):
    """Three cases with canary identities: world.case, world.other_case (team B), and one of org B.

    The team B identity also lists team A's phone, so that supervisors get a duplicate alert.
    """
    provider_a, provider_b = make_provider(world.org, "Shelter One"), make_provider(world.other_org, "Shelter Two")
    foreign = make_case(world.outsider)
    identities = [canary_identity(n) for n in (1, 2, 3)]
    identities[1]["phones"] = [*identities[1]["phones"], identities[0]["phones"][0]]
    return [
        seed_case(world.case, world.lead, identities[0], provider_a),
        seed_case(world.other_case, world.other_team_worker, identities[1], provider_a),
        seed_case(foreign, world.outsider, identities[2], provider_b),
    ], identities


def canary_markers(identities):
    markers = {core: "a marker" for core in CORE}
    for values in identities:
        markers.update(markers_of(values))
    return spellings(markers)


# The pages -------------------------------------------------------------------------------------


def fill(route, records):
    def value(match):
        if match["name"] == "code":
            return records.case.display_code
        owner = UID_OWNERS.get(route[: match.start()].rstrip("/").rsplit("/", 1)[-1])
        assert match["name"] == "uid" and owner, f"/{route}: teach this test to fill <{match['name']}>"
        return str(getattr(records, owner).uid)

    return "/" + PARAMETER.sub(value, route)


def pages_for(cases):
    """Every route, once per seeded case (or provider) when it takes one; logout and quick exit last."""
    urls = []
    for route in every_route():
        if "<" not in route:
            urls.append("/" + route)
        elif route.startswith("providers/"):
            urls += [fill(route, records) for records in (cases[0], cases[2])]  # one provider per organisation
        else:
            urls += [fill(route, records) for records in cases]
    last = {reverse("logout"), reverse("accounts:exit")}
    return sorted(dict.fromkeys(urls), key=lambda url: url in last)


def typed_urls(identity, case):
    """URLs someone typed a name, a phone or a handle into: the answer must not repeat it."""
    name, alias, phone = identity["legal_name"], identity["other_names"][1], identity["phones"][0]
    return [
        f"/cases/{name}/",
        f"/cases/{case.display_code}/contacts/{name}/",
        f"/providers/{alias}/",
        f"/{name}/",
        f"/cases/?q={quote_plus(name)}",
        f"/cases/?q={quote_plus(alias)}&status={quote_plus(phone)}",
        f"/accounts/login/?next=/cases/{quote(name)}/",
    ]


@dataclass
class Exchange:
    who: str
    method: str
    url: str
    status: int
    text: str
    revealed: bool = False


def send(client, who, method, url, data=None, revealed=False):
    """One request, and the redirects after it (so that flash messages are read): their exchanges."""
    response = getattr(client, method)(url, data or {})
    exchanges = [exchange(who, method.upper(), url, response, revealed)]
    for _hop in range(3):
        location = response.headers.get("Location", "")
        if response.status_code not in (301, 302, 303) or not location.startswith("/"):
            break
        url, response = location, client.get(location)
        exchanges.append(exchange(who, "GET", url, response))
    return exchanges


def exchange(who, method, url, response, revealed=False):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{key}: {value}" for key, value in response.headers.items())
    cookies = response.cookies.output()
    return Exchange(who, method, url, response.status_code, f"{headers}\n{cookies}\n\n{body.decode()}", revealed)


# Form data: good input without any canary (the free-text guard would refuse it), and bad input.
JUNK = {"reason": " ", "version": "x", "note": "Checking every page"}


def moment(**delta):
    return (timezone.localtime() - datetime.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


def day(n):
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


def form_posts(world, records):
    """(url, data) of the main forms of world.case, good and bad, with the versions as saved now."""
    case = Case.objects.get(pk=world.case.pk)
    code = case.display_code
    identity = Identity.objects.get(case=case)
    contact = {"occurred_at": moment(hours=1), "channel": "phone", "purpose": "check_in", "notes": "Short call."}
    need = {"category": "medical", "urgency": "high", "owner": world.lead.pk, "identified_on": day(-1)}
    profile = {
        "version": case.version,
        "status": "active",
        "risk_level": "high",
        "age_band": "18-24",
        "gender": "female",
        "nationality": "KP",
        "region": "CN-JL",
        "intake_source": "hotline",
        "summary": "Referred by the hotline after a second call.",
    }
    referral = {"provider": records.provider.pk, "service_type": "legal", "urgency": "normal", "next_step": "Call"}
    return [
        (reverse("cases:contact_new", args=[code]), contact),
        (reverse("cases:contact_new", args=[code]), {**contact, "follow_up_on": day(-3)}),
        (reverse("cases:need_new", args=[code]), need),
        (reverse("cases:need_new", args=[code]), {**need, "due_on": day(-5)}),
        (reverse("cases:edit", args=[code]), profile),
        (reverse("cases:edit", args=[code]), {**profile, "risk_level": "extreme"}),
        (reverse("cases:referral_new", args=[code]), {**referral, "needs": [records.need.pk]}),
        (reverse("cases:referral_new", args=[code]), {**referral, "provider": ""}),
        (reverse("cases:identity_edit", args=[code]), {"version": identity.version, "date_of_birth": day(9000)}),
        (reverse("cases:identity_edit", args=[code]), {"version": identity.version, "approximate_age": "About 30"}),
        (reverse("cases:export"), {"reason": "Quarterly report to the board"}),
    ]


def walk(world, cases, identities):
    """Every persona: GET every page and typed URL, POST bad input everywhere, the main forms, a reveal."""
    pages = pages_for(cases)
    traffic = []
    for who in PERSONAS:
        client = Client()
        if who != "anonymous":
            client.force_login(getattr(world, who))
        ends_session = pages[-2:]
        for url in pages + typed_urls(identities[0], world.case):
            traffic += send(client, who, "get", url)
        for url in pages[:-2]:
            traffic += send(client, who, "post", url, JUNK)
        for url, data in form_posts(world, cases[0]):
            traffic += send(client, who, "post", url, data)
        if who in REVEALERS:
            mark_fresh(client)
            ask = {"purpose": "record", "reason": "Checking the record", "fields": FIELD_NAMES}
            traffic += send(client, who, "post", reverse("cases:identity", args=[world.case.display_code]), ask, True)
        for url in ends_session:
            traffic += send(client, who, "post", url, JUNK)
    return traffic


# Commands, logs, the database ------------------------------------------------------------------


def run_commands(tmp_path, settings):
    """Every command of casework with harmless arguments; their stdout and stderr (or error)."""
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"users": [{"username": "lead", "role": "caseworker", "password": "x"}]}))
    settings.FIELD_KEYS = [crypto.new_key(), *settings.FIELD_KEYS]  # rotate onto a second key
    plan = {
        "field_key_new": [[]],
        "rotate_field_keys": [["--dry-run"], [], []],
        "demo_logins": [["--manifest", str(manifest)]],
        "demo_code": [["lead"]],  # refuses: debug is off
        "seed_demo": [["--cases", "1"]],  # refuses: debug is off, and the database is not empty
        "unlock_user": [["lead"]],
    }
    ours = {name for name, app in get_commands().items() if app.startswith("casework")}
    assert ours == set(plan), f"teach this test to run {sorted(ours - set(plan))}"
    outputs = {}
    for name, runs in plan.items():
        for args in runs:
            out, err = io.StringIO(), io.StringIO()
            try:
                call_command(name, *args, stdout=out, stderr=err)
            except CommandError as error:
                err.write(str(error))
            outputs[f"{name} {' '.join(args)}"] = out.getvalue() + err.getvalue()
    assert "re-encrypted" in outputs["rotate_field_keys "], outputs
    return outputs


class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def captured_logs():
    """Every record (a handler on the root and on each logger that does not propagate), at
    DEBUG everywhere, and the text the configured handlers actually write."""
    records, written = Records(), io.StringIO()
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    loggers = [logger for logger in loggers if logger is logging.root or not logger.propagate]
    levels = {logger: logger.level for logger in loggers}
    streams = {}
    for logger in loggers:
        logger.addHandler(records)
        logger.setLevel(logging.DEBUG)
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and handler not in streams:
                streams[handler] = handler.setStream(written)
    try:
        yield records, written
    finally:
        for logger in loggers:
            logger.removeHandler(records)
            logger.setLevel(levels[logger])
        for handler, stream in streams.items():
            handler.setStream(stream)


def scan_database(markers):
    """Every column of every table, cast to text: [(table.column, what was found)]."""
    quote_name = connection.ops.quote_name
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [column.name for column in connection.introspection.get_table_description(cursor, table)]
            texts = ", ".join(f"CAST({quote_name(column)} AS TEXT)" for column in columns)
            cursor.execute(f"SELECT {texts} FROM {quote_name(table)}")  # noqa: S608 (names from introspection)
            rows = cursor.fetchall()
            for position, column in enumerate(columns):
                text = "\n".join(row[position] for row in rows if row[position] is not None)
                hits += [(f"{table}.{column}", hit) for hit in find(text, markers)]
    return hits


def database_file_bytes(tmp_path):
    """The whole SQLite test database as bytes, free pages included (None on PostgreSQL)."""
    if connection.vendor != "sqlite":
        return None
    connection.ensure_connection()
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    connection.connection.backup(copy)
    copy.close()
    return (tmp_path / "copy.sqlite3").read_bytes()


def sessions_text():
    return "\n".join(json.dumps(session.get_decoded(), ensure_ascii=False) for session in Session.objects.all())


def audit_text():
    rows = AuditEntry.objects.order_by("pk").values()
    return "\n".join(json.dumps(row, ensure_ascii=False, default=str) for row in rows)


def leaks(markers, traffic, records, written, outputs, tmp_path):
    """Everything found anywhere, as (where, what)."""
    found = []
    for x in traffic:
        if not x.revealed:
            found += [(f"{x.who} {x.method} {x.url} → {x.status}", hit) for hit in find(x.text, markers)]
    found += [(f"log record {r.name}", hit) for r in records for hit in find(f"{r.getMessage()} {r.args}", markers)]
    found += [("log output", hit) for hit in find(written, markers)]
    found += [(f"command {name}", hit) for name, text in outputs.items() for hit in find(text, markers)]
    found += [("audit trail", hit) for hit in find(audit_text(), markers)]
    found += [("sessions", hit) for hit in find(sessions_text(), markers)]
    found += [("mail", hit) for message in mail.outbox for hit in find(message.message().as_string(), markers)]
    found += scan_database(markers)
    raw = database_file_bytes(tmp_path)
    if raw is not None:
        raw = raw.lower()
        found += [("database file", label) for spelling, label in markers.items() if spelling.encode() in raw]
    return found


# The tests -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_no_canary_leaves_the_identity_record_except_through_a_reveal(world, seeded, tmp_path, settings):
    cases, identities = seeded
    markers = canary_markers(identities)
    with captured_logs() as (records, written):
        traffic = walk(world, cases, identities)
        outputs = run_commands(tmp_path, settings)

    reveals = [x for x in traffic if x.revealed]
    assert {x.who for x in reveals} == REVEALERS
    for x in reveals:  # the canary is there when it should be: the check below can fail
        assert x.status == 200 and identities[0]["legal_name"] in x.text, (x.who, x.status)
        assert identities[0]["other_names"][1] in x.text and identities[0]["notes"] in x.text
    # The name typed into a URL was logged, and the log line kept only the section of the path.
    assert redact_path(f"/cases/{identities[0]['legal_name']}/") == "/cases/[…]"
    not_found = [r.getMessage() for r in records if r.name == "django.request" and r.getMessage().startswith("Not ")]
    assert "Not Found: /cases/[…]" in not_found
    assert "Not Found: /cases/[…]" in written.getvalue()

    assert leaks(markers, traffic, records, written.getvalue(), outputs, tmp_path) == []


def test_the_scanner_finds_a_planted_canary(world, seeded, tmp_path):
    """A canary written into a contact note behind the guard's back: the scanners must see it."""
    cases, identities = seeded
    contact = cases[0].contact
    contact.notes = f"Spoke with {identities[0]['legal_name']} at {identities[0]['phones'][0]}."
    contact.save(update_fields=["notes"])
    markers = canary_markers(identities)

    hits = scan_database(markers)
    assert (
        "cases_contact.notes",
        f"legal_name {identities[0]['legal_name']!r}",
    ) in hits
    assert any(where == "cases_contact.notes" and "digits" not in what and "phones" in what for where, what in hits)
    client = Client()
    client.force_login(world.lead)
    page = send(client, "lead", "get", reverse("cases:contact", args=[world.case.display_code, contact.uid]))
    assert f"legal_name {identities[0]['legal_name']!r}" in find(page[0].text, markers)
    raw = database_file_bytes(tmp_path)
    if raw is not None:
        assert identities[0]["legal_name"].encode() in raw
