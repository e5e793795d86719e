"""Who reviews which entries: supervisors their teams, administrators access and sign-ins,
nobody another organisation, everyone else nothing (404 at every /audit/ URL)."""

import pytest
from django.urls import reverse

from casework.access import services as access
from casework.audit import review
from casework.audit.models import AuditEntry, Outcome
from casework.audit.services import record
from tests.factories import make_admin, make_case, make_caseworker, make_supervisor


def review_urls(world):
    return [
        reverse("audit:trail"),
        reverse("audit:export"),
        reverse("audit:case", args=[world.case.display_code]),
        reverse("audit:user", args=[world.lead.username]),
        reverse("audit:flags"),
    ]


def events_seen(user):
    return set(review.entries_for(user).values_list("event", flat=True))


def seqs_seen(user):
    return set(review.entries_for(user).values_list("seq", flat=True))


@pytest.fixture
def acts(world):
    """One entry for each kind of act, by people of team A, team B and the other organisation."""
    other_case = make_case(world.outsider)
    return {
        "a_case_view": record(event="case.view", actor=world.lead, case=world.case),
        "a_reveal": record(event="identity.reveal", actor=world.lead, case=world.case, reason="Family tracing"),
        "a_login": record(event="login.success", actor=world.teammate),
        "a_grantee_view": record(event="case.view", actor=world.viewer, case=world.case),
        "b_case_view": record(event="case.view", actor=world.other_team_worker, case=world.other_case),
        "b_login": record(event="login.success", actor=world.other_team_worker),
        "b_export": record(event="export.csv", actor=world.other_supervisor),
        "x_case_view": record(event="case.view", actor=world.outsider, case=other_case),
        "x_login": record(event="login.success", actor=world.outsider),
        # Someone of the other organisation trying a code of ours: an entry of her organisation.
        "x_probe": record(event="case.view", actor=world.outsider, outcome=Outcome.DENIED, case_code=world.case.code),
    }


def test_a_supervisor_sees_her_teams_cases_and_the_acts_of_their_members(world, acts):
    seen = seqs_seen(world.supervisor)
    assert {acts[name].seq for name in ("a_case_view", "a_reveal", "a_login", "a_grantee_view")} <= seen
    assert not {acts[name].seq for name in ("b_case_view", "b_login", "b_export", "x_case_view", "x_login")} & seen


def test_a_supervisor_of_team_b_sees_none_of_team_a(world, acts):
    seen = seqs_seen(world.other_supervisor)
    assert {acts["b_case_view"].seq, acts["b_login"].seq} <= seen
    assert acts["a_case_view"].seq not in seen and acts["a_login"].seq not in seen
    # The grantee works in team B: her acts are her supervisor's to review, on any case.
    assert acts["a_grantee_view"].seq in seen


def test_the_head_of_every_team_sees_both_teams(world, acts):
    seen = seqs_seen(world.head)
    names = ("a_case_view", "a_reveal", "a_login", "b_case_view", "b_login")
    assert {acts[name].seq for name in names} <= seen


def test_acts_of_a_deactivated_member_stay_visible_to_her_supervisor(world):
    entry = record(event="case.list", actor=world.deactivated)
    assert entry.seq in seqs_seen(world.supervisor)


def test_an_admin_sees_access_management_and_sign_ins_never_case_reads(world, acts):
    record(event="login.failed", actor=world.lead, outcome=Outcome.DENIED)
    seen = events_seen(world.admin)
    assert {"login.success", "login.failed", "grant.add", "case.assign", "membership.deactivate"} <= seen
    assert {"team.create", "membership.add", "caseassignment.create"} <= seen
    assert not {"case.view", "identity.reveal", "case.open", "case.list"} & seen
    assert not any(event.startswith(("identity.", "contact.")) for event in seen)


def test_nobody_sees_another_organisation(world, acts):
    other_supervisor = make_supervisor(world.other_org, world.other_team)
    other_admin = make_admin(world.other_org)
    for user in (world.supervisor, world.head, world.admin):
        organisations = set(review.entries_for(user).values_list("organisation_id", flat=True))
        assert organisations == {world.org.pk}, user.username
        assert acts["x_probe"].seq not in seqs_seen(user)
    for user in (other_supervisor, other_admin):
        assert set(review.entries_for(user).values_list("organisation_id", flat=True)) <= {world.other_org.pk}
    assert acts["x_case_view"].seq in seqs_seen(other_supervisor)


@pytest.mark.parametrize("persona", ["lead", "teammate", "viewer", "outsider", "superuser", "global_viewer"])
def test_everyone_else_gets_404_at_every_review_url(client, world, persona, sign_in):
    sign_in(client, getattr(world, persona))
    for url in review_urls(world):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("audit:flag_review"), {"key": "x", "note": "n"}).status_code == 404


def test_a_supervisor_whose_membership_ended_reviews_nothing(client, world, sign_in):
    access.membership_deactivate(by=world.admin, membership=world.supervisor.membership)
    assert review.entries_for(world.supervisor) is None
    sign_in(client, world.supervisor)  # deactivation also ends her sign-in
    assert client.get(reverse("audit:trail"))["Location"].startswith(reverse("login"))


def test_a_refused_look_is_itself_recorded(client, world, sign_in):
    sign_in(client, world.lead)
    client.get(reverse("audit:case", args=[world.case.display_code]))
    entry = AuditEntry.objects.filter(event="audit.view").latest("seq")
    assert (entry.actor, entry.outcome, entry.case_code) == (world.lead, "denied", world.case.code)
    assert entry.additional_data == {"page": "case"}


def test_anonymous_is_sent_to_login(client, world):
    for url in review_urls(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_the_case_timeline_is_for_those_who_manage_the_case(client, world, sign_in):
    url = reverse("audit:case", args=[world.case.display_code])
    for persona, status in {"supervisor": 200, "head": 200, "other_supervisor": 404, "admin": 404}.items():
        sign_in(client, getattr(world, persona))
        assert client.get(url).status_code == status, persona
    sign_in(client, world.supervisor)
    assert client.get(reverse("audit:case", args=["not-a-code"])).status_code == 404
    assert client.get(reverse("audit:case", args=[world.other_case.display_code])).status_code == 404


def test_the_activity_page_is_for_people_within_her_reach(client, world, sign_in):
    outsider_admin_sees = make_caseworker(world.other_org, world.other_team, username="elsewhere")
    expected = {
        (world.supervisor, world.lead): 200,
        (world.supervisor, world.deactivated): 200,
        (world.supervisor, world.other_team_worker): 404,
        (world.supervisor, world.head): 404,
        (world.supervisor, world.outsider): 404,
        (world.other_supervisor, world.lead): 404,
        (world.head, world.lead): 200,
        (world.head, world.other_team_worker): 200,
        (world.admin, world.lead): 200,
        (world.admin, world.head): 200,
        (world.admin, outsider_admin_sees): 404,
    }
    for (viewer, person), status in expected.items():
        sign_in(client, viewer)
        response = client.get(reverse("audit:user", args=[person.username]))
        assert response.status_code == status, (viewer.username, person.username)
    assert client.get(reverse("audit:user", args=["nobody-by-that-name"])).status_code == 404


def test_an_admin_sees_only_access_events_on_a_persons_page(client, world, sign_in):
    record(event="case.view", actor=world.lead, case=world.case)
    record(event="login.success", actor=world.lead)
    sign_in(client, world.admin)
    response = client.get(reverse("audit:user", args=[world.lead.username]))
    events = {entry.event for entry in response.context["entries"]}
    assert "login.success" in events and "case.view" not in events
    assert "opened" in response.context["counts"]
    assert "Cases opened" not in response.content.decode()


def test_the_navigation_offers_the_review_to_supervisors_and_admins_only(client, world, sign_in):
    for persona, shown in {"supervisor": True, "head": True, "admin": True, "lead": False}.items():
        sign_in(client, getattr(world, persona))
        page = client.get(reverse("home")).content.decode()
        assert (f'href="{reverse("audit:trail")}"' in page) is shown, persona


def test_a_supervisor_sees_what_administrators_did_to_her_people_and_only_to_them(world):
    access.membership_deactivate(by=world.admin, membership=world.teammate.membership, reason="Left")
    access.membership_deactivate(by=world.admin, membership=world.other_team_worker.membership, reason="Left")
    about = dict(
        AuditEntry.objects.filter(event="membership.deactivate").values_list("object_pk", "seq").order_by("seq")
    )
    assert about[str(world.teammate.pk)] in seqs_seen(world.supervisor)
    assert about[str(world.other_team_worker.pk)] not in seqs_seen(world.supervisor)
    assert about[str(world.other_team_worker.pk)] in seqs_seen(world.other_supervisor)


def test_a_supervisor_off_boarded_shows_in_every_supervisors_trail_with_only_the_cases_each_manages(world):
    access.case_assign(by=world.supervisor, case=world.case, user=world.other_supervisor, reason="Cover")
    access.person_offboard(by=world.admin, membership=world.other_supervisor.membership, reason="Left")
    entry = AuditEntry.objects.get(event="membership.offboard")
    assert entry.additional_data["cases"] == [world.case.code]
    only_team_b = make_supervisor(world.org, world.team_b, username="only-b")
    for viewer, shown in ((world.supervisor, [world.case.code]), (only_team_b, [])):
        [seen] = review.withhold_outside_teams(viewer, list(review.entries_for(viewer).filter(pk=entry.pk)))
        assert seen.additional_data["cases"] == shown, viewer.username
