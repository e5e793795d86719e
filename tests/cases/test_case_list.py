from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.cases.views import cases as case_views
from casework.web import paging
from tests.factories import make_case, make_contact, make_need, make_referral

URL = reverse("cases:list")


def codes_on(response):
    return {case.code for case in response.context["page"]}


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_lists_exactly_the_cases_the_user_may_see(client, world, sign_in):
    expected = {
        world.lead: {world.case.code},
        world.viewer: {world.case.code},
        world.other_team_worker: {world.other_case.code},
        world.head: {world.case.code, world.other_case.code},
        world.outsider: set(),
        world.superuser: set(),
        world.global_viewer: set(),
    }
    for user, codes in expected.items():
        sign_in(client, user)
        response = client.get(URL)
        assert response.status_code == 200
        assert codes_on(response) == codes, user.username
    sign_in(client, world.admin)  # administrators manage access at /access/, never read cases
    assert client.get(URL).status_code == 404


def test_it_shows_codes_never_summaries(client, world, sign_in):
    sign_in(client, world.lead)
    page = client.get(URL).content.decode()
    assert world.case.display_code in page
    assert world.case.summary not in page


def test_listing_is_audited_with_the_codes_shown(client, world, sign_in):
    sign_in(client, world.head)
    client.get(URL)
    entry = AuditEntry.objects.filter(event="case.list").latest("pk")
    assert entry.actor == world.head
    assert sorted(entry.additional_data["codes"]) == sorted([world.case.code, world.other_case.code])


def _grow(world, cases):
    for _ in range(cases):
        case = make_case(world.lead)
        make_need(case, world.lead)
        make_contact(case, world.lead)
        make_referral(case, world.lead)


def test_its_query_count_does_not_grow_with_the_data(client, world, django_assert_max_num_queries, sign_in):
    sign_in(client, world.supervisor)
    _grow(world, 2)
    # Among them: may she export (a supervisor's link), and the case.list entry with its organisation and chain link.
    with django_assert_max_num_queries(18) as small:  # one to tell a caseworker or supervisor
        client.get(URL)
    _grow(world, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(URL)
    assert len(response.context["page"]) == 33


def test_past_the_cap_it_says_more_than_and_still_pages_to_the_end(client, world, sign_in, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    monkeypatch.setattr(case_views, "CASES_PER_PAGE", 2)
    for _ in range(4):
        make_case(world.lead)  # six cases in all for the supervisor of both teams
    sign_in(client, world.head)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(URL)
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 4" in counts[0]  # never a count of everything
    assert "Page 1 (more than 3 cases)" in first.content.decode()
    assert first.context["page"].has_next() and not first.context["page"].has_previous()
    pages = [codes_on(client.get(URL, {"page": number})) for number in (1, 2, 3)]
    last = client.get(URL, {"page": 3}).context["page"]
    assert not last.has_next() and last.has_previous()
    every = set().union(*pages)
    assert len(every) == 6 and sum(len(page) for page in pages) == 6
    assert codes_on(client.get(URL, {"page": "nonsense"})) == pages[0]


def test_within_the_cap_it_counts_the_pages_as_before(client, world, sign_in, monkeypatch):
    monkeypatch.setattr(case_views, "CASES_PER_PAGE", 1)
    sign_in(client, world.head)
    response = client.get(URL, {"page": 2})
    assert "Page 2 of 2" in response.content.decode()
    assert not response.context["page"].paginator.capped
