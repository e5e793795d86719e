"""Neither end sees the other's case code: not in a page, an export, the audit trail or an error.

After a whole journey (sent, approved, accepted, answered twice, consent withdrawn and
decided on), every page each side's people can reach by following links from their home
page, their audit exports (``audit_export --organisation``) and their CSV exports are
searched for the other end's code, in both its plain and its grouped form.
"""

import io
import re
from collections import deque

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from casework.cases.choices import ShareCategory
from casework.cases.models import Case
from casework.partners.models import Packet
from tests.partners.conftest import LEGAL_NAME
from tests.signing import sign_in

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/[^"#]*)"')
# Links that end the session, leave the site or change the language are not pages to read.
SKIP = ("/accounts/logout/", "/accounts/exit/", "/accounts/weather/", "/static/", "/i18n/")


def crawl(client, start="/", limit=150):
    """Every page ``client`` reaches by following links from ``start`` (GET only), with its body."""
    seen, queue, pages = {start}, deque([start]), {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        response = client.get(url)
        body = response.content.decode(errors="replace")
        pages[url] = (response.status_code, body)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for link in HREF.findall(body):
            link = link.replace("&amp;", "&")
            if link not in seen and not link.startswith(SKIP):
                seen.add(link)
                queue.append(link)
    return pages


def forms_of(code):
    """The code as stored and as shown (grouped), which pages and exports may use."""
    return {code, Case(code=code).display_code}


def journey(pw):
    """The whole journey through the pages; returns bridge's new case."""
    lead, supervisor = sign_in(Client(), pw.haven_lead), sign_in(Client(), pw.haven_supervisor)
    packet_new = reverse("partners:packet_new", args=[pw.case.display_code, pw.referral.uid])
    data = {"categories": [ShareCategory.NEEDS, ShareCategory.LEGAL_NAME], "needs": [pw.shelter.pk]}
    assert lead.post(packet_new, data).status_code == 302
    assert (
        supervisor.post(reverse("partners:packet_approve", args=[pw.case.display_code, pw.referral.uid])).status_code
        == 302
    )
    packet = Packet.objects.get(referral=pw.referral)
    intake = sign_in(Client(), pw.bridge_intake)
    assert intake.post(reverse("partners:accept", args=[packet.uid]), {"team": pw.bridge_team.pk}).status_code == 302
    received = Case.objects.get(organisation=pw.bridge)
    assert (
        intake.post(reverse("partners:answer", args=[received.display_code]), {"answer": "started"}).status_code == 302
    )
    pw.referral.refresh_from_db()
    withdraw = reverse("cases:referral_consent_withdraw", args=[pw.case.display_code, pw.referral.uid])
    on = str(pw.referral.consent_given_on)
    assert lead.post(withdraw, {"version": pw.referral.version, "consent_withdrawn_on": on}).status_code == 302
    return received


def exports_of(user, organisation_slug):
    """What this side can take away: its audit export, its case CSV and its audit CSV."""
    out = io.StringIO()
    call_command("audit_export", organisation=organisation_slug, stdout=out)
    client = sign_in(Client(), user)
    cases_csv = client.post(reverse("cases:export"), {"reason": "Quarterly report to the board"})
    audit_csv = client.get(reverse("audit:export"))
    assert cases_csv.status_code == audit_csv.status_code == 200
    return {
        "audit_export": out.getvalue(),
        "cases.csv": b"".join(cases_csv.streaming_content).decode(),
        "audit.csv": audit_csv.content.decode(),
    }


def test_neither_side_sees_the_others_case_code_anywhere(pw):
    received = journey(pw)
    haven_codes, bridge_codes = forms_of(pw.case.code), forms_of(received.code)
    sides = {
        "haven": (
            [pw.haven_lead, pw.haven_supervisor, pw.haven_admin, pw.haven_coworker],
            bridge_codes,
            pw.haven_supervisor,
        ),
        "bridge": (
            [pw.bridge_intake, pw.bridge_supervisor, pw.bridge_admin, pw.bridge_worker],
            haven_codes,
            pw.bridge_supervisor,
        ),
    }
    for slug, (people, others_codes, supervisor) in sides.items():
        texts = {}
        for person in people:
            for url, (_status, body) in crawl(sign_in(Client(), person)).items():
                texts[f"{person.username} {url}"] = body
        texts.update(exports_of(supervisor, slug))
        leaks = sorted(where for where, text in texts.items() if any(code in text for code in others_codes))
        assert leaks == [], f"{slug} sees the other end's case code in: {leaks}"
        # The crawl did reach the partner pages and the side's own case.
        assert any("/partners/" in where for where in texts)
        own = received if slug == "bridge" else pw.case
        assert any(own.display_code in text for text in texts.values())


def test_the_link_is_in_no_audit_entry_of_either_side(pw):
    received = journey(pw)
    out = io.StringIO()
    call_command("audit_export", stdout=out)  # the whole server's trail
    for line in out.getvalue().splitlines():
        has_haven = any(code in line for code in forms_of(pw.case.code))
        has_bridge = any(code in line for code in forms_of(received.code))
        assert not (has_haven and has_bridge), line
        assert LEGAL_NAME not in line


def test_a_bridge_person_acting_leaves_no_name_in_havens_trail(pw):
    journey(pw)
    out = io.StringIO()
    call_command("audit_export", organisation="haven", stdout=out)
    bridge_people = {"bridge_intake", "bridge_supervisor", "bridge_admin", "bridge_worker"}
    assert not any(name in out.getvalue() for name in bridge_people)
    assert '"packet.answer"' in out.getvalue()
