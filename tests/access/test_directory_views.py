"""The case directory at /access/cases/ and a case's access page: who sees them, what they
change for the people concerned on their next request, and what they never show."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.access import services as access
from casework.access.models import Grant
from casework.audit.models import AuditEntry, Outcome
from casework.audit.reasons import reason_of
from casework.cases.choices import AssignmentRole
from casework.cases.models import CaseAssignment
from casework.identity import services as identity
from tests.factories import make_admin, make_case, make_contact, make_need
from tests.personas import case_page, signed_in_client


def access_url(name, *args):
    return reverse(f"access:{name}", args=args)


def grant_of(world, user):
    return Grant.objects.get(case=world.case, user=user, revoked_at__isnull=True)


def every_url(world):
    """(method, url) for every page of the directory, on world.case."""
    code = world.case.display_code
    return [
        ("get", access_url("cases")),
        ("get", access_url("case", code)),
        ("post", access_url("case_assign", code)),
        ("post", access_url("case_unassign", code)),
        ("post", access_url("case_grant", code)),
        ("get", access_url("case_revoke", code, grant_of(world, world.viewer).uid)),
        ("post", access_url("case_revoke", code, grant_of(world, world.viewer).uid)),
    ]


def grant_data(user, level="view", reason="Covering a shift", expires=""):
    return {"grant-user": user.username, "grant-level": level, "grant-reason": reason, "grant-expires": expires}


def post_grant(client, world, user, **fields):
    return client.post(access_url("case_grant", world.case.display_code), grant_data(user, **fields))


@pytest.fixture
def other_admin(world):
    return make_admin(world.other_org, username="other_admin")


# Who reaches the pages -----------------------------------------------------------------


def test_an_admin_sees_every_case_of_her_organisation_and_none_of_another(client, world, foreign_case, sign_in):
    extra = make_case(world.other_team_worker)
    sign_in(client, world.admin)
    response = client.get(access_url("cases"))
    assert response.status_code == 200
    for case in (world.case, world.other_case, extra):
        assert case.display_code in response.text
    assert foreign_case.display_code not in response.text


def test_a_supervisor_sees_only_the_cases_of_her_teams(client, world, sign_in):
    sign_in(client, world.supervisor)
    response = client.get(access_url("cases"))
    assert response.status_code == 200
    assert world.case.display_code in response.text
    assert world.other_case.display_code not in response.text
    assert client.get(access_url("case", world.other_case.display_code)).status_code == 404


def test_the_directory_shows_assignments_and_current_grants(client, world, sign_in):
    sign_in(client, world.admin)
    text = client.get(access_url("cases")).text
    for username in ("lead", "coworker", "viewer", "editor", "revealer"):
        assert username in text


@pytest.mark.parametrize("persona", ["lead", "teammate"])
def test_every_directory_url_is_a_404_for_caseworkers(client, world, persona, sign_in):
    sign_in(client, getattr(world, persona))
    for method, url in every_url(world):
        assert getattr(client, method)(url).status_code == 404, url
    assert not Grant.objects.filter(revoked_at__isnull=False).exists()


def test_every_case_url_is_a_404_for_an_admin_of_another_organisation(client, world, other_admin, sign_in):
    sign_in(client, other_admin)
    directory = client.get(access_url("cases"))
    assert directory.status_code == 200  # her own organisation's directory, without our cases
    assert world.case.display_code not in directory.text
    for method, url in every_url(world)[1:]:
        assert getattr(client, method)(url).status_code == 404, url
    assert not Grant.objects.filter(revoked_at__isnull=False).exists()


def test_every_directory_url_sends_anonymous_visitors_to_the_login_page(client, world):
    for method, url in every_url(world):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_a_case_of_another_organisation_is_a_404_and_recorded(client, world, foreign_case, sign_in):
    sign_in(client, world.admin)
    assert client.get(access_url("case", foreign_case.display_code)).status_code == 404
    assert client.post(access_url("case_grant", foreign_case.display_code), grant_data(world.lead)).status_code == 404
    denied = AuditEntry.objects.filter(event="access.case", outcome=Outcome.DENIED, actor=world.admin)
    assert denied.filter(case_code=foreign_case.code).count() == 2


def test_a_malformed_or_unknown_code_is_the_same_404(client, world, sign_in):
    sign_in(client, world.admin)
    assert client.get(access_url("case", "Kim Mina")).status_code == 404
    assert client.get(access_url("case", "7X3-QM9P-DK4")).status_code == 404
    # What a mistyped address held is never kept.
    assert not AuditEntry.objects.filter(case_code__icontains="kim").exists()


def test_a_grant_of_another_case_cannot_be_revoked_through_this_one(client, world, sign_in):
    other_grant = access.grant_add(
        by=world.admin, case=world.other_case, user=world.teammate, level="view", reason="Cover"
    )
    sign_in(client, world.admin)
    url = access_url("case_revoke", world.case.display_code, other_grant.uid)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Done"}).status_code == 404
    other_grant.refresh_from_db()
    assert other_grant.revoked_at is None


def test_the_case_page_says_who_can_reach_the_case_and_why(client, world, sign_in):
    access.grant_remove(by=world.admin, grant=grant_of(world, world.editor), reason="Shift over")
    sign_in(client, world.admin)
    response = client.get(access_url("case", world.case.display_code))
    assert response.status_code == 200
    text = response.text
    for expected in (
        "lead caseworker",
        "supervises team Team-A",
        "supervises every team",
        "grant by supervisor: View, no end, reason: Covering a shift",
        "deactivated: gives nothing",
        "revoked by admin on",
    ):
        assert expected in text, expected
    rows = {row.user.username: row for row in response.context["rows"]}
    assert rows["lead"].actions == ("view", "change", "reveal")
    assert "editor" not in rows and "admin" not in rows
    assert [past.grant.user for past in response.context["history"]] == [world.editor]


# What the changes do on the next request -------------------------------------------------


def test_a_grant_opens_the_case_to_her_and_a_revocation_closes_it(client, world, sign_in):
    teammate = signed_in_client(world.teammate)
    assert teammate.get(case_page(world.case)).status_code == 404
    sign_in(client, world.admin)
    response = post_grant(client, world, world.teammate, reason="Covering the night shift")
    assert response.status_code == 302
    assert response.url == access_url("case", world.case.display_code)
    assert teammate.get(case_page(world.case)).status_code == 200
    entry = AuditEntry.objects.get(event="grant.add", actor=world.admin, case_code=world.case.code)
    assert reason_of(entry) == "Covering the night shift"

    grant = grant_of(world, world.teammate)
    response = client.post(access_url("case_revoke", world.case.display_code, grant.uid), {"reason": "Shift over"})
    assert response.status_code == 302
    assert teammate.get(case_page(world.case)).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_by == world.admin
    entry = AuditEntry.objects.get(event="grant.remove", actor=world.admin, case_code=world.case.code)
    assert reason_of(entry) == "Shift over"


def test_the_revoke_page_asks_before_it_revokes(client, world, sign_in):
    sign_in(client, world.supervisor)
    grant = grant_of(world, world.viewer)
    url = access_url("case_revoke", world.case.display_code, grant.uid)
    response = client.get(url)
    assert response.status_code == 200
    assert "viewer" in response.text
    assert client.post(url, {"reason": ""}).status_code == 400
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_an_expired_grant_closes_the_case_again(client, world, sign_in):
    now = timezone.now()
    sign_in(client, world.admin)
    expires = (timezone.localtime(now) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    assert post_grant(client, world, world.teammate, expires=expires).status_code == 302
    teammate = signed_in_client(world.teammate)
    assert teammate.get(case_page(world.case)).status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(minutes=3)):
        assert teammate.get(case_page(world.case)).status_code == 404


def test_an_assignment_opens_the_case_and_an_unassignment_closes_it(client, world, sign_in):
    teammate = signed_in_client(world.teammate)
    sign_in(client, world.admin)
    code = world.case.display_code
    data = {"assign-user": "teammate", "assign-role": AssignmentRole.COWORKER, "assign-reason": "Extra hands"}
    assert client.post(access_url("case_assign", code), data).status_code == 302
    assert teammate.get(case_page(world.case)).status_code == 200
    assert AuditEntry.objects.filter(event="case.assign", actor=world.admin, case_code=world.case.code).exists()

    data = {"unassign-user": "teammate", "unassign-reason": "Back to her own cases"}
    assert client.post(access_url("case_unassign", code), data).status_code == 302
    assert teammate.get(case_page(world.case)).status_code == 404
    entry = AuditEntry.objects.get(event="case.unassign", actor=world.admin, case_code=world.case.code)
    assert reason_of(entry) == "Back to her own cases"


def test_a_supervisor_can_give_access_on_her_teams_cases(client, world, sign_in):
    sign_in(client, world.supervisor)
    assert post_grant(client, world, world.other_team_worker, level="edit").status_code == 302
    assert grant_of(world, world.other_team_worker).granted_by == world.supervisor


def test_a_lead_must_work_in_the_case_team(client, world, sign_in):
    sign_in(client, world.admin)
    data = {"assign-user": "other_team_worker", "assign-role": AssignmentRole.LEAD, "assign-reason": "Cover"}
    response = client.post(access_url("case_assign", world.case.display_code), data)
    assert response.status_code == 400
    assert not CaseAssignment.objects.filter(case=world.case, user=world.other_team_worker).exists()


# Refusals: a clear message, nothing written ---------------------------------------------


def test_an_admin_cannot_grant_herself(client, world, sign_in):
    before = Grant.objects.count()
    sign_in(client, world.admin)
    response = post_grant(client, world, world.admin, reason="Curious")
    assert response.status_code == 400
    assert "You cannot grant access to yourself" in response.text
    assert Grant.objects.count() == before
    assert not AuditEntry.objects.filter(event="grant.add", actor=world.admin).exists()


def test_a_supervisor_cannot_grant_herself(client, world, sign_in):
    before = Grant.objects.count()
    sign_in(client, world.supervisor)
    response = post_grant(client, world, world.supervisor, reason="Curious")
    assert response.status_code == 400
    assert "You cannot grant access to yourself" in response.text
    assert Grant.objects.count() == before
    assert not AuditEntry.objects.filter(event="grant.add", reason="Curious").exists()


def test_the_grant_form_does_not_offer_herself(client, world, sign_in):
    sign_in(client, world.supervisor)
    select = str(client.get(access_url("case", world.case.display_code)).context["grant_form"]["user"])
    assert 'value="teammate"' in select
    assert 'value="supervisor"' not in select


def test_access_cannot_be_given_to_another_organisation(client, world, sign_in):
    before = Grant.objects.count()
    sign_in(client, world.admin)
    response = post_grant(client, world, world.outsider, reason="Partner asked")
    assert response.status_code == 400
    assert "caseworkers and supervisors of this organisation" in response.text
    assert Grant.objects.count() == before
    assert not AuditEntry.objects.filter(event="grant.add", reason="Partner asked").exists()


def test_a_supervisors_reason_may_not_quote_the_survivors_name(client, world, sign_in):
    identity.identity_save(by=world.lead, case=world.case, values={"legal_name": "Ri Sunhwa"})
    before = Grant.objects.count()
    sign_in(client, world.supervisor)
    response = post_grant(client, world, world.teammate, reason="Ri Sunhwa asked for her")
    assert response.status_code == 400
    assert Grant.objects.count() == before
    assert "Leave names and phone numbers out of this" in response.text


def test_an_admin_cannot_use_the_reason_box_to_test_a_guess_at_the_name(client, world, sign_in):
    # She may not reveal the identity, so the guard must not answer "is this her name?":
    # a right guess and a wrong one get the very same answer.
    identity.identity_save(by=world.lead, case=world.case, values={"legal_name": "Ri Sunhwa"})
    sign_in(client, world.admin)
    answers = [
        post_grant(client, world, user, reason=f"{guess} asked for her")
        for user, guess in ((world.teammate, "Ri Sunhwa"), (world.other_team_worker, "Kim Yuna"))
    ]
    assert [(r.status_code, r.url) for r in answers] == [(302, access_url("case", world.case.display_code))] * 2
    assert Grant.objects.current().filter(user__in=[world.teammate, world.other_team_worker]).count() == 2


def test_invalid_filters_are_shown_as_errors_and_not_repeated(client, world, sign_in):
    sign_in(client, world.admin)
    response = client.get(access_url("cases"), {"code": "Kim Mina", "person": "nobody-here", "status": "lost"})
    assert response.status_code == 400
    assert "That is not a case code" in response.text
    for typed in ("Kim Mina", "nobody-here", "lost"):
        assert typed not in response.text
    assert world.case.display_code not in response.text


def test_the_filters_narrow_the_directory(client, world, sign_in):
    sign_in(client, world.admin)

    def shown(**filters):
        text = client.get(access_url("cases"), filters).text
        return {case.display_code for case in (world.case, world.other_case) if case.display_code in text}

    assert shown(code=world.case.code.lower()) == {world.case.display_code}
    assert shown(team=world.team_b.pk) == {world.other_case.display_code}
    assert shown(status="closed") == set()
    assert shown(person="viewer") == {world.case.display_code}
    assert shown(person="other_team_worker") == {world.other_case.display_code}


# What the pages never show -------------------------------------------------------------


CANARIES = ("CANARY-SUMMARY-7Q", "CANARY-NEED-3Z", "CANARY-CONTACT-8K", "CANARY-PLACE-5W", "Pak Yongmi")


@pytest.mark.parametrize("persona", ["admin", "supervisor"])
def test_no_page_shows_case_content(client, world, persona, sign_in):
    world.case.summary = "CANARY-SUMMARY-7Q"
    world.case.save(update_fields=["summary"])
    make_need(world.case, world.lead, outcome_notes="CANARY-NEED-3Z")
    make_contact(world.case, world.lead, notes="CANARY-CONTACT-8K", place="CANARY-PLACE-5W")
    identity.identity_save(by=world.lead, case=world.case, values={"legal_name": "Pak Yongmi"})
    sign_in(client, getattr(world, persona))
    code = world.case.display_code
    pages = [
        access_url("cases"),
        access_url("cases") + f"?code={code}",
        access_url("case", code),
        access_url("case_revoke", code, grant_of(world, world.viewer).uid),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        for canary in CANARIES:
            assert canary not in response.text, (url, canary)
    title = client.get(access_url("case", code)).text.split("<title>")[1].split("</title>")[0]
    assert title.strip() == f"Access to case {code} · casework"


# Query counts stay flat ----------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def add_cases(world, how_many):
    for _ in range(how_many):
        case = make_case(world.lead)
        access.case_assign(by=world.supervisor, case=case, user=world.coworker, role=AssignmentRole.COWORKER)
        access.grant_add(by=world.supervisor, case=case, user=world.viewer, level="view", reason="Cover")


@pytest.mark.parametrize("persona", ["admin", "supervisor"])
def test_the_directory_runs_the_same_queries_however_many_cases(
    client, world, django_assert_max_num_queries, persona, sign_in
):
    sign_in(client, getattr(world, persona))
    add_cases(world, 2)
    few = count_queries(client, access_url("cases"))
    add_cases(world, 12)
    with django_assert_max_num_queries(few):
        assert client.get(access_url("cases")).status_code == 200


def test_the_case_page_runs_the_same_queries_however_many_grants(client, world, django_assert_max_num_queries, sign_in):
    case = make_case(world.lead)
    url = access_url("case", case.display_code)
    sign_in(client, world.admin)
    access.grant_add(by=world.admin, case=case, user=world.viewer, level="view", reason="Cover")
    one = count_queries(client, url)
    for user in (world.editor, world.revealer, world.other_team_worker, world.teammate):
        access.grant_add(by=world.admin, case=case, user=user, level="edit", reason="Cover")
    access.grant_remove(by=world.admin, grant=Grant.objects.get(case=case, user=world.viewer), reason="Done")
    with django_assert_max_num_queries(one):
        assert client.get(url).status_code == 200


def test_the_directory_pages_by_fifty(client, world, sign_in):
    add_cases(world, 50)
    sign_in(client, world.admin)
    first = client.get(access_url("cases"))
    assert first.context["page"].paginator.count == 52
    assert len(first.context["page"].object_list) == 50
    assert len(client.get(access_url("cases"), {"page": 2}).context["page"].object_list) == 2
