"""The home page: what needs doing, for the cases this person works on or supervises."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.access import services as access
from casework.audit.models import AuditEntry
from tests.factories import make_case, make_need, make_referral
from tests.signing import sign_in

TODAY = timezone.localdate()


def set_follow_up(case, day):
    case.follow_up_on = day
    case.save(update_fields=["follow_up_on"])


def home(client, user):
    sign_in(client, user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_is_sent_to_login(client, db):
    assert client.get(reverse("home"))["Location"].startswith("/accounts/login/")


def test_a_caseworker_sees_her_overdue_follow_ups_and_not_other_peoples(client, world):
    set_follow_up(world.case, TODAY - timedelta(days=2))
    set_follow_up(world.other_case, TODAY - timedelta(days=2))
    page = home(client, world.lead)
    assert world.case.display_code in page
    assert "overdue since" in page
    assert world.other_case.display_code not in page


def test_a_follow_up_far_ahead_is_not_due_yet(client, world):
    set_follow_up(world.case, TODAY + timedelta(days=30))
    assert "No follow-ups due this week." in home(client, world.lead)


def test_urgent_needs_and_referrals_awaiting_an_answer_of_her_cases(client, world):
    need = make_need(world.case, world.lead, urgency="urgent", category="medical")
    referral = make_referral(
        world.case,
        world.lead,
        status="sent",
        sent_on=TODAY,
        consent_given_by="survivor",
        consent_given_on=TODAY,
        consent_method="written",
    )
    make_need(world.other_case, world.other_team_worker, urgency="urgent", category="legal")
    page = home(client, world.lead)
    assert reverse("cases:need", args=[world.case.display_code, need.uid]) in page
    assert reverse("cases:referral", args=[world.case.display_code, referral.uid]) in page
    assert "Legal" not in page


def test_a_grant_alone_does_not_make_a_case_hers(client, world):
    set_follow_up(world.case, TODAY)
    assert world.case.display_code not in home(client, world.viewer)


def test_a_supervisor_sees_her_teams_and_cases_without_a_lead(client, world):
    unled = make_case(world.teammate)
    access.case_unassign(by=world.supervisor, case=unled, user=world.teammate, reason="Left the team")
    set_follow_up(world.case, TODAY)
    page = home(client, world.supervisor)
    assert world.case.display_code in page
    assert reverse("cases:assign", args=[unled.display_code]) in page
    assert world.other_case.display_code not in page


def test_recently_opened_cases_come_from_her_own_trail_and_vanish_with_access(client, world):
    sign_in(client, world.viewer)
    client.get(reverse("cases:detail", args=[world.case.display_code]))
    assert world.case.display_code in home(client, world.viewer)
    grant = world.case.grants.get(user=world.viewer)
    access.grant_remove(by=world.supervisor, grant=grant, reason="Shift covered")
    assert world.case.display_code not in home(client, world.viewer)


def test_the_home_page_is_audited_with_the_codes_it_shows(client, world):
    set_follow_up(world.case, TODAY)
    home(client, world.lead)
    entry = AuditEntry.objects.filter(event="case.list").latest("pk")
    assert entry.additional_data == {"page": "home", "codes": [world.case.code]}


def test_an_admin_sees_no_case(client, world):
    set_follow_up(world.case, TODAY)
    page = home(client, world.admin)
    assert world.case.display_code not in page


def test_queries_stay_flat_as_cases_grow(client, world):
    sign_in(client, world.supervisor)
    counts = []
    for size in (3, 27):
        for _ in range(size):
            case = make_case(world.lead)
            set_follow_up(case, TODAY)
            make_need(case, world.lead, urgency="urgent")
            client.get(reverse("cases:detail", args=[case.display_code]))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        counts.append(len(queries))
    # 25: one asks whether the audit chain verified, one whether anything waits for her
    # confirmation (access.pending_for), one how many partner packets wait for her, one for
    # erasures waiting for a second supervisor, one for cases due under the retention rules
    # and one for accounts under protection (frozen, travelling, duress) she may look after.
    assert counts[1] <= counts[0] <= 25, counts
