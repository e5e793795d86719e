"""A seeded set for the reports: counts in the first month of the last ended quarter, one region with exactly two
cases, and helpers that read back what a page, a CSV or a chart shows."""

import csv
import datetime
import io
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.cases.models import JourneyStep, ReferralStep
from casework.reports.periods import last_ended_quarter
from tests.factories import make_case, make_contact, make_need, make_referral

CONSENT = {"consent_given_by": "survivor", "consent_method": "written"}


def month():
    """The first day of the last ended quarter: the seeded month."""
    return last_ended_quarter().start


def day(n):
    return month() + datetime.timedelta(days=n - 1)


def noon(n):
    return timezone.make_aware(datetime.datetime.combine(day(n), datetime.time(12)))


def period_query():
    return f"quarter={last_ended_quarter().key}"


def report_url():
    return f"{reverse('reports:report')}?{period_query()}"


def opened_case(lead, team=None):
    case = make_case(lead, team=team)
    case.opened_on = day(1)
    case.save(update_fields=["opened_on"])
    return case


def step(case, by, stage, region, on):
    return JourneyStep.objects.create(case=case, stage=stage, region=region, started_on=on, created_by=by)


def referral_answered(case, by, answer="accepted", sent=2, answered=5, service="medical"):
    referral = make_referral(
        case,
        by,
        service_type=service,
        status=answer,
        sent_on=day(sent),
        responded_on=day(answered),
        consent_given_on=day(1),
        **CONSENT,
    )
    ReferralStep.objects.create(referral=referral, status="sent", on=day(sent), by=by)
    ReferralStep.objects.create(referral=referral, status=answer, on=day(answered), by=by)
    return referral


def seed(world, lead=None, team=None, cases=7, region_pair=True):
    """Cases of ``lead``'s team (team A's lead by default), all in the seeded month: ``cases``
    hidden in Liaoning then in transit in Laos, each with needs, a referral answered and a
    follow-up; and (``region_pair``) exactly two more cases reaching a stage in Jilin."""
    lead = lead or world.lead
    made = []
    for n in range(cases):
        case = opened_case(lead, team)
        step(case, lead, "hiding", "CN-LN", day(2))
        step(case, lead, "transit", "LA", day(2 + 5 * (n % 3) + 3))
        make_need(case, lead, category="shelter", identified_on=day(3))
        make_need(case, lead, category="medical", identified_on=day(3), status="met", closed_on=day(20))
        referral_answered(case, lead, answer="accepted" if n % 4 else "declined", answered=4 + n)
        make_contact(case, lead, follow_up_on=day(10), occurred_at=noon(1))
        if n % 3:
            make_contact(case, lead, occurred_at=noon(6))  # the follow-up kept
        made.append(case)
    if region_pair:
        for _n in range(2):
            case = opened_case(lead, team)
            step(case, lead, "hiding", "CN-JL", day(4))
            made.append(case)
    return made


@pytest.fixture
def seeded(world):
    return seed(world)


class _Tables(HTMLParser):
    """Every <table> of a page: its id, caption, and rows of (header, [cell texts])."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell, self._in_caption = [], None, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"id": dict(attrs).get("id", ""), "caption": "", "rows": []})
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [tag, ""]
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append((self._cell[0], self._cell[1].strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1]["rows"].append(self._row)
            self._row = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data
        elif self._in_caption:
            self.tables[-1]["caption"] += data


def _value(text):
    return None if text.startswith("fewer than") else int(text.replace(",", ""))


def page_tables(html):
    """{table id: {"rows": {row label: [values]}, "grid": shown grid}} of the report tables
    (None where the page reads "fewer than k")."""
    parser = _Tables()
    parser.feed(html)
    found = {}
    for table in parser.tables:
        body = [row for row in table["rows"] if any(tag == "td" for tag, _text in row)]
        labelled = {row[0][1]: [_value(text) for tag, text in row if tag == "td"] for row in body}
        found[table["id"].removesuffix("-table")] = {"rows": labelled, "grid": list(labelled.values())}
    return found


def csv_tables(content):
    """{table title: {"rows": ..., "grid": ...}} of a report CSV: blocks after blank lines,
    each a title, a header line, its rows and a total line."""
    lines = list(csv.reader(io.StringIO(content)))
    blocks, current = [], None
    for line in lines[2:]:
        if not line:
            current = []
            blocks.append(current)
        elif current is not None:
            current.append(line)
    found = {}
    for block in blocks:
        rows = {line[0]: [_value(cell) for cell in line[1:]] for line in block[2:]}
        found[block[0][0]] = {"rows": rows, "grid": list(rows.values())}
    return found
