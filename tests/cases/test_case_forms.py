"""Intake, profile edit, close / reopen and assignment, each through the view contract."""

import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.audit.reasons import reason_of
from casework.cases.models import Case, CaseAssignment
from tests.cases.contract import FormContract, PageContract, snapshot

PROFILE = {
    "status": "active",
    "risk_level": "high",
    "age_band": "18-24",
    "gender": "female",
    "nationality": "KP",
    "exploitation_types": ["forced_marriage", "labour"],
    "intake_source": "hotline",
    "summary": "Referred by the hotline after a second call.",
}


class TestCaseEdit(FormContract):
    max_queries = 23  # the contract's 22, and the guard reads the identity behind the summary

    def url(self, w):
        return reverse("cases:edit", args=[w.case.display_code])

    def valid_data(self, w):
        w.case.refresh_from_db()
        return {**PROFILE, "version": w.case.version}

    def invalid_data(self, w):
        return {**self.valid_data(w), "risk_level": "extreme", "summary": "x" * 1001}

    def assert_saved(self, w, response):
        case = Case.objects.get(pk=w.case.pk)
        assert case.risk_level == "high"
        assert case.exploitation_types == ["forced_marriage", "labour"]
        assert case.version == w.case.version + 1
        assert response["Location"] == reverse("cases:detail", args=[case.display_code])


class TestCaseClose(FormContract):
    forbidden = "lead"  # she works the case; closing it is her supervisor's call
    allowed = "supervisor"

    def url(self, w):
        return reverse("cases:close", args=[w.case.display_code])

    def valid_data(self, w):
        w.case.refresh_from_db()
        return {"version": w.case.version, "reason": "Resettled; no further support needed."}

    def invalid_data(self, w):
        return {**self.valid_data(w), "reason": "  "}

    def assert_saved(self, w, response):
        case = Case.objects.get(pk=w.case.pk)
        assert (case.status, case.closed_on) == ("closed", case.updated_at.date())
        entry = AuditEntry.objects.filter(event="case.close").get()
        assert (reason_of(entry), entry.actor, entry.case_code) == (
            "Resettled; no further support needed.",
            w.supervisor,
            case.code,
        )


class TestCaseReopen(TestCaseClose):
    def url(self, w):
        from casework.cases.services.cases import case_close

        if w.case.status != "closed":
            case_close(by=w.supervisor, case=w.case, reason="Resettled", version=w.case.version)
        return reverse("cases:reopen", args=[w.case.display_code])

    def assert_saved(self, w, response):
        case = Case.objects.get(pk=w.case.pk)
        assert (case.status, case.closed_on) == ("active", None)
        entry = AuditEntry.objects.filter(event="case.reopen").get()
        assert reason_of(entry).startswith("Resettled;")


class TestCaseAssign(FormContract):
    forbidden = "lead"
    allowed = "supervisor"
    # Two assignments and both people's permission rows rewritten and audited, whether she may
    # name a lead, the case locked for the change and its has_lead flag set from the database.
    max_queries = 48

    def url(self, w):
        return reverse("cases:assign", args=[w.case.display_code])

    def valid_data(self, w):
        return {"user": w.teammate.username, "role": "lead", "reason": "Lead on leave"}

    def invalid_data(self, w):
        return {"user": w.outsider.username, "role": "lead", "reason": "Lead on leave"}

    def assert_saved(self, w, response):
        roles = dict(CaseAssignment.objects.filter(case=w.case).values_list("user__username", "role"))
        assert roles["teammate"] == "lead"
        assert roles["lead"] == "coworker"


def test_a_lead_must_work_in_the_cases_team(client, world, sign_in):
    sign_in(client, world.supervisor)
    before = snapshot()
    response = client.post(
        reverse("cases:assign", args=[world.case.display_code]),
        {"user": world.other_team_worker.username, "role": "lead", "reason": "Lead on leave"},
    )
    assert response.status_code == 400
    assert "must work in the case" in response.content.decode()
    assert snapshot() == before


def test_unassigning_needs_a_post_and_the_manage_permission(client, world, sign_in):
    url = reverse("cases:unassign", args=[world.case.display_code])
    sign_in(client, world.lead)
    assert client.post(url, {"user": world.coworker.username, "reason": "Moved on"}).status_code == 403
    sign_in(client, world.supervisor)
    assert client.get(url).status_code == 405
    refused = client.post(url, {"user": world.coworker.username})  # the same rule as /access/: a reason is needed
    assert refused.status_code == 400 and CaseAssignment.objects.filter(case=world.case, user=world.coworker).exists()
    assert client.post(url, {"user": world.coworker.username, "reason": "Moved on"}).status_code == 302
    assert not CaseAssignment.objects.filter(case=world.case, user=world.coworker).exists()


class TestCaseCreate:
    """Intake is not case-scoped: who may open cases, and where."""

    url = "/cases/new/"

    def test_a_caseworker_opens_a_case_in_her_team_and_leads_it(self, client, world, sign_in):
        sign_in(client, world.lead)
        response = client.post(self.url, {**PROFILE, "team": world.team_a.pk})
        case = Case.objects.latest("created_at")
        assert response["Location"] == reverse("cases:opened", args=[case.display_code])
        assert case.assignments.get().user == world.lead
        page = client.get(response["Location"]).content.decode()
        assert f'<p class="code-large">{case.display_code}</p>' in page

    def test_a_caseworker_cannot_open_a_case_in_another_team(self, client, world, sign_in):
        sign_in(client, world.lead)
        before = snapshot()
        response = client.post(self.url, {**PROFILE, "team": world.team_b.pk})
        assert response.status_code == 400
        assert snapshot() == before

    def test_a_supervisor_picks_a_lead_from_the_team(self, client, world, sign_in):
        sign_in(client, world.supervisor)
        response = client.post(self.url, {**PROFILE, "team": world.team_a.pk, "lead": world.teammate.pk})
        assert response.status_code == 302
        assert Case.objects.latest("created_at").assignments.get().user == world.teammate

    def test_a_supervisor_cannot_pick_a_lead_from_another_team(self, client, world, sign_in):
        sign_in(client, world.supervisor)
        before = snapshot()
        response = client.post(self.url, {**PROFILE, "team": world.team_a.pk, "lead": world.other_team_worker.pk})
        assert response.status_code == 400
        assert snapshot() == before

    @pytest.mark.parametrize("persona", ["admin", "outsider"])
    def test_people_without_a_team_of_their_own_get_404_or_only_their_team(self, client, world, persona, sign_in):
        sign_in(client, getattr(world, persona))
        response = client.get(self.url)
        if persona == "admin":
            assert response.status_code == 404
        else:
            assert world.team_a.name not in response.content.decode()

    def test_anonymous_is_sent_to_login(self, client, db):
        assert client.get(self.url)["Location"].startswith("/accounts/login/")

    def test_the_form_never_offers_a_closed_status(self, client, world, sign_in):
        sign_in(client, world.lead)
        assert 'value="closed"' not in client.get(self.url).content.decode()


def test_two_people_editing_the_same_case_see_a_conflict_and_lose_nothing(client, world, django_user_model, sign_in):
    from django.test import Client

    url = reverse("cases:edit", args=[world.case.display_code])
    first, second = Client(), Client()
    sign_in(first, world.lead)
    sign_in(second, world.supervisor)
    version = world.case.version
    assert first.get(url).status_code == second.get(url).status_code == 200
    assert first.post(url, {**PROFILE, "version": version, "risk_level": "critical"}).status_code == 302
    theirs = {**PROFILE, "version": version, "summary": "Second editor's careful wording."}
    response = second.post(url, theirs)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Second editor&#x27;s careful wording." in page  # what she typed is still in the form
    assert "Critical" in page  # and she sees what the other saved
    case = Case.objects.get(pk=world.case.pk)
    assert (case.risk_level, case.summary, case.version) == ("critical", PROFILE["summary"], version + 1)
    # Saving again from the conflict page is a deliberate overwrite of the version she has now seen.
    assert second.post(url, {**theirs, "version": version + 1}).status_code == 302
    assert Case.objects.get(pk=world.case.pk).summary == "Second editor's careful wording."


def test_intake_asks_for_a_risk_level_rather_than_assuming_one(client, world, sign_in):
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post("/cases/new/", {**PROFILE, "risk_level": "", "team": world.team_a.pk})
    assert response.status_code == 400
    assert response.context["form"].errors["risk_level"]
    assert snapshot() == before


def test_the_assign_page_lists_who_works_on_the_case_with_a_way_to_remove_them(client, world, sign_in):
    sign_in(client, world.supervisor)
    page = client.get(reverse("cases:assign", args=[world.case.display_code])).content.decode()
    assert page.count(f'action="{reverse("cases:unassign", args=[world.case.display_code])}"') == 3
    response = client.post(
        reverse("cases:unassign", args=[world.case.display_code]), {"user": world.teammate.username, "reason": "x"}
    )
    assert response.status_code == 400  # she is not assigned: a message, not a crash
    assert "error-summary" in response.content.decode()


class TestCaseOpened(PageContract):
    def url(self, w):
        return reverse("cases:opened", args=[w.case.display_code])
