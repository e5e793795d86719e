"""One date format per language, never ambiguous: "11/09/2026" is November to one reader and
September to another. Every page that shows a date, walked in all three languages, with a
day of the month no greater than 12 (the case that misleads), shows no date in numbers alone."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation

from casework.audit.models import AuditEntry
from tests.factories import make_contact, make_need, make_referral

LANGUAGES = ("en", "ko", "zh-hans")
# A day and a month both 12 or less, in the past, so that "due" and "overdue" dates show too.
TRICKY = datetime.date(2026, 3, 4)
# Day, month and year in numbers with separators, in any order (not the ISO dates in links).
NUMERIC_DATE = re.compile(r"(?<![\w-])(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?![\w-])")
TAG = re.compile(r"<[^>]+>")
MONTH_WORD = {"en": "Mar", "ko": "3월", "zh-hans": "3月"}


def visible_text(html):
    """The page as read: without tags (a link's ?week=2026-03-02 is for the browser, not her)."""
    return TAG.sub(" ", html)


def numeric_dates(text):
    return [match.group(0) for match in NUMERIC_DATE.finditer(text)]


def test_the_check_finds_a_numeric_date():
    # The pattern must catch what it guards against, or the walk below proves nothing.
    assert numeric_dates("Follow-up 03/04/2026 and 4.3.2026 and 2026-3-4.") == ["03/04/2026", "4.3.2026", "2026-3-4"]
    assert numeric_dates('<a href="?week=2026-03-02">') != []  # inside tags: hence visible_text()
    assert numeric_dates(visible_text('<a href="?week=2026-03-02">Week</a> 4 Mar 2026')) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_named_format_spells_the_month(language):
    moment = timezone.make_aware(datetime.datetime(2026, 3, 4, 14, 5))
    with translation.override(language):
        for name in ("DATE_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"):
            shown = formats.date_format(moment, name)
            assert MONTH_WORD[language] in shown, (name, shown)
            assert numeric_dates(shown) == [], (name, shown)
        # 24-hour times, in every language.
        assert formats.time_format(moment, "TIME_FORMAT") == "14:05"


@pytest.fixture
def dated(world):
    """world.case with a date of every kind on it: a contact with a follow-up, a need due, a
    referral sent and answered; the case's own follow-up; all on the 4th of March."""
    case, lead = world.case, world.lead
    at = timezone.make_aware(datetime.datetime(2026, 3, 4, 9, 30))
    contact = make_contact(case, lead, occurred_at=at, follow_up_on=TRICKY)
    need = make_need(case, lead, identified_on=TRICKY, due_on=TRICKY, urgency="urgent")
    consent = {"consent_given_by": "survivor", "consent_given_on": TRICKY, "consent_method": "written"}
    referral = make_referral(case, lead, sent_on=TRICKY, status="sent", **consent)
    case.follow_up_on = TRICKY
    case.save(update_fields=["follow_up_on"])
    return {"contact": contact, "need": need, "referral": referral}


def pages(world, dated):
    code = world.case.display_code
    return {
        "lead": [
            reverse("home"),
            reverse("cases:list"),
            reverse("cases:detail", args=[code]),
            reverse("cases:contact", args=[code, dated["contact"].uid]),
            reverse("cases:need", args=[code, dated["need"].uid]),
            reverse("cases:referral", args=[code, dated["referral"].uid]),
        ],
        "supervisor": [
            reverse("home"),
            reverse("audit:trail"),
            reverse("audit:trail") + "?list=1",
            reverse("audit:case", args=[code]),
            reverse("audit:user", args=["lead"]),
            reverse("audit:flags"),
        ],
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_shows_a_date_in_numbers_alone(client, world, dated, sign_in, language):
    assert AuditEntry.objects.filter(case_code=world.case.code).exists()  # the trail has dated entries
    found, shown = {}, 0
    for persona, urls in pages(world, dated).items():
        sign_in(client, getattr(world, persona))
        for url in urls:
            response = client.get(url, headers={"accept-language": language})
            assert response.status_code == 200, url
            text = visible_text(response.content.decode())
            shown += text.count(MONTH_WORD[language])
            if numeric_dates(text):
                found[url] = numeric_dates(text)
    assert found == {}
    assert shown >= 10  # the dates are there, spelled out: not merely absent
