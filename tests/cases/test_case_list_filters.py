"""The case list's filters by open need, referral status and overdue follow-up."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_case, make_need, make_referral

URL = reverse("cases:list")
TODAY = timezone.localdate()
CONSENT = {"consent_given_by": "survivor", "consent_given_on": TODAY, "consent_method": "written"}


def codes_on(client, **filters):
    response = client.get(URL, filters)
    assert response.status_code == 200
    return {case.code for case in response.context["page"]}


def test_it_filters_by_an_unresolved_need_of_a_category(client, world, sign_in):
    make_need(world.case, world.lead, category="legal")
    make_need(world.other_case, world.other_team_worker, category="legal", status="met")
    sign_in(client, world.head)
    assert codes_on(client, need_category="legal") == {world.case.code}
    assert codes_on(client, need_category="medical") == set()


def test_it_filters_by_referral_status_once_per_case(client, world, sign_in):
    make_referral(world.case, world.lead, status="sent", **CONSENT)
    make_referral(world.case, world.lead, status="sent", **CONSENT)
    make_referral(world.other_case, world.other_team_worker, status="draft")
    sign_in(client, world.head)
    response = client.get(URL, {"referral_status": "sent"})
    assert [case.code for case in response.context["page"]] == [world.case.code]


def test_it_filters_open_cases_with_an_overdue_follow_up(client, world, sign_in):
    late, closed_late, fine = world.case, make_case(world.lead), world.other_case
    for case, day in ((late, -1), (closed_late, -5), (fine, 3)):
        case.follow_up_on = TODAY + timedelta(days=day)
        case.save(update_fields=["follow_up_on"])
    closed_late.status, closed_late.closed_on = "closed", TODAY
    closed_late.save(update_fields=["status", "closed_on"])
    sign_in(client, world.head)
    assert codes_on(client, follow_up="overdue") == {late.code}


def test_filters_never_widen_what_the_user_may_see(client, world, sign_in):
    make_need(world.other_case, world.other_team_worker, category="legal")
    sign_in(client, world.lead)
    assert codes_on(client, need_category="legal") == set()


def test_an_unknown_filter_value_shows_a_message_and_no_cases(client, world, sign_in):
    sign_in(client, world.lead)
    response = client.get(URL, {"referral_status": "lost"})
    assert list(response.context["page"]) == []
    assert response.context["form"].errors["referral_status"]


def test_filtering_costs_the_same_queries_however_many_cases_match(client, world, sign_in):
    sign_in(client, world.head)
    counts = []
    for size in (3, 27):
        for _ in range(size):
            case = make_case(world.lead)
            make_need(case, world.lead, category="legal")
            make_referral(case, world.lead, status="sent", **CONSENT)
        with CaptureQueriesContext(connection) as queries:
            client.get(URL, {"need_category": "legal", "referral_status": "sent", "sort": "risk"})
        counts.append(len(queries))
    assert counts[1] <= counts[0], counts
