"""Her journey as dated steps: recording one, removing one entered by mistake, the case's
current stage and region that follow the latest, and who may do what, through the pages."""

import io
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.audit.guard import unaudited_writes
from casework.audit.models import AuditEntry
from casework.audit.reasons import reason_of
from casework.cases import codes
from casework.cases.models import Case, JourneyStep
from tests.access.test_query_shapes import loaded_for_a_request
from tests.access.test_query_shapes import many_cases as many_cases  # a fixture
from tests.cases.contract import FormContract, snapshot
from tests.factories import make_case, make_journey_step
from tests.personas import STRANGERS

TODAY = timezone.localdate()


def day(n):
    return (TODAY + timedelta(days=n)).isoformat()


def unmasked(response):
    """The page without its CSRF token, which Django masks afresh in every response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def add_url(case):
    return reverse("cases:journey_new", args=[case.display_code])


def remove_url(case, step):
    return reverse("cases:journey_remove", args=[case.display_code, step.uid])


def saved(case):
    return Case.objects.get(pk=case.pk)


def step_data(case, **changes):
    return {"version": saved(case).version, "stage": "transit", "region": "LA", "started_on": day(-3), **changes}


class TestJourneyStepAdd(FormContract):
    # The contract's, and the case row locked, the latest step read and the case saved with its diff.
    max_queries = 26

    def url(self, w):
        return add_url(w.case)

    def valid_data(self, w):
        return step_data(w.case)

    def invalid_data(self, w):
        return step_data(w.case, started_on=day(2))

    def assert_saved(self, w, response):
        step = JourneyStep.objects.get(case=w.case)
        assert (step.stage, step.region, step.started_on, step.created_by) == (
            "transit",
            "LA",
            TODAY - timedelta(3),
            w.lead,
        )
        case = saved(w.case)
        assert (case.stage, case.region, case.version) == ("transit", "LA", w.case.version + 1)
        assert response["Location"] == reverse("cases:detail", args=[case.display_code]) + "#journey"


class TestJourneyStepRemove(FormContract):
    max_queries = 28

    def url(self, w):
        step = JourneyStep.objects.filter(case=w.case).first() or make_journey_step(w.case, w.coworker)
        return remove_url(w.case, step)

    def valid_data(self, w):
        return {"version": saved(w.case).version, "reason": "Entered on the wrong case"}

    def invalid_data(self, w):
        return {**self.valid_data(w), "reason": "   "}

    def assert_saved(self, w, response):
        assert not JourneyStep.objects.filter(case=w.case).exists()
        case = saved(w.case)
        assert (case.stage, case.region) == ("", "unknown")
        entry = AuditEntry.objects.get(event="journey.remove")
        assert (reason_of(entry), entry.actor, entry.case_code) == ("Entered on the wrong case", w.lead, case.code)


@pytest.mark.parametrize("persona", ["lead", "coworker", "supervisor", "editor"])
def test_whoever_may_change_the_case_records_a_step(client, world, sign_in, persona):
    sign_in(client, getattr(world, persona))
    response = client.post(add_url(world.case), step_data(world.case, stage="hiding", region="CN-LN"))
    assert response.status_code == 302
    step = JourneyStep.objects.get(case=world.case)
    assert (step.stage, step.region, step.created_by) == ("hiding", "CN-LN", getattr(world, persona))
    assert saved(world.case).stage == "hiding"


@pytest.mark.parametrize("persona", STRANGERS)
def test_a_stranger_gets_the_same_404_as_for_a_code_never_issued_and_is_recorded(client, world, sign_in, persona):
    step = make_journey_step(world.case, world.lead)
    never = codes.display(codes.generate())
    sign_in(client, getattr(world, persona))
    before = snapshot()
    pairs = [
        (add_url(world.case), reverse("cases:journey_new", args=[never])),
        (remove_url(world.case, step), reverse("cases:journey_remove", args=[never, step.uid])),
    ]
    for right, wrong in pairs:
        for method in (client.get, client.post):
            data = {**step_data(world.case), "reason": "x"}
            answer, guess = method(right, data), method(wrong, data)
            assert answer.status_code == guess.status_code == 404
            assert unmasked(answer) == unmasked(guess)
    assert snapshot() == before
    denied = AuditEntry.objects.filter(outcome="denied", actor=getattr(world, persona), case_code=world.case.code)
    assert denied.count() == 4 and {entry.event for entry in denied} == {"case.change"}


def test_a_view_only_grant_sees_the_journey_and_gets_403_for_changing_it(client, world, sign_in):
    step = make_journey_step(world.case, world.lead)
    sign_in(client, world.viewer)
    before = snapshot()
    page = client.get(reverse("cases:detail", args=[world.case.display_code])).content.decode()
    assert "Rescued, in hiding" in page and remove_url(world.case, step) not in page and add_url(world.case) not in page
    assert client.post(add_url(world.case), step_data(world.case)).status_code == 403
    assert client.post(remove_url(world.case, step), {"version": 1, "reason": "Mistake"}).status_code == 403
    assert snapshot() == before
    assert AuditEntry.objects.filter(outcome="denied", actor=world.viewer, event="case.change").count() == 2


def test_a_step_of_another_case_is_not_found_through_this_one(client, world, sign_in):
    other = make_case(world.lead)
    step = make_journey_step(other, world.lead)
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post(remove_url(world.case, step), {"version": saved(world.case).version, "reason": "Mistake"})
    assert response.status_code == 404
    assert snapshot() == before


def test_a_back_dated_step_fills_in_the_past_and_leaves_the_current_stage(client, world, sign_in):
    sign_in(client, world.lead)
    assert client.post(add_url(world.case), step_data(world.case, started_on=day(-10))).status_code == 302
    older = step_data(world.case, stage="exploitation", region="CN-JL", started_on=day(-400))
    assert client.post(add_url(world.case), older).status_code == 302
    case = saved(world.case)
    assert (case.stage, case.region) == ("transit", "LA")
    journey = client.get(reverse("cases:detail", args=[case.display_code])).context["journey"]
    assert [step.stage for step in journey] == ["transit", "exploitation"]  # newest first


def test_two_steps_on_the_same_day_the_later_entry_is_the_current_one(client, world, sign_in):
    sign_in(client, world.lead)
    client.post(add_url(world.case), step_data(world.case, stage="embassy", region="TH", started_on=day(-1)))
    client.post(add_url(world.case), step_data(world.case, stage="resettled", region="KR", started_on=day(-1)))
    assert (saved(world.case).stage, saved(world.case).region) == ("resettled", "KR")


def test_removing_the_latest_step_brings_back_the_one_before(client, world, sign_in):
    make_journey_step(world.case, world.lead, stage="hiding", region="CN-LN", days_ago=50)
    latest = make_journey_step(world.case, world.lead, stage="transit", region="VN", days_ago=5)
    sign_in(client, world.coworker)
    data = {"version": saved(world.case).version, "reason": "Belongs to another case"}
    assert client.post(remove_url(world.case, latest), data).status_code == 302
    assert (saved(world.case).stage, saved(world.case).region) == ("hiding", "CN-LN")


def test_a_stale_version_is_refused_and_nothing_changes(client, world, sign_in):
    sign_in(client, world.lead)
    stale = step_data(world.case)
    other = Client()
    sign_in(other, world.coworker)
    assert other.post(add_url(world.case), step_data(world.case, stage="hiding", region="CN-JL")).status_code == 302
    before = snapshot()
    response = client.post(add_url(world.case), stale)
    assert response.status_code == 409
    assert snapshot() == before
    assert saved(world.case).stage == "hiding"
    step = JourneyStep.objects.get(case=world.case)
    refused = client.post(remove_url(world.case, step), {"version": stale["version"], "reason": "Mistake"})
    assert refused.status_code == 409 and snapshot() == before


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"started_on": day(1)}, "A step cannot start in the future."),
        ({"started_on": "1925-05-01"}, "more than 40 years ago. Check the year."),
        ({"started_on": ""}, "This field is required."),
        ({"stage": "deported"}, "That choice is not one of the available choices."),
        ({"region": "Pyongyang"}, "That choice is not one of the available choices."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(client, world, sign_in, changes, message):
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post(add_url(world.case), step_data(world.case, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Pyongyang" not in response.content.decode()
    assert snapshot() == before


def test_the_case_page_shows_the_journey_newest_first_and_the_current_stage_on_top(client, world, sign_in):
    make_journey_step(world.case, world.lead, stage="exploitation", region="CN-SD", days_ago=700)
    make_journey_step(world.case, world.coworker, stage="hiding", region="CN-JL", days_ago=90)
    sign_in(client, world.lead)
    page = client.get(reverse("cases:detail", args=[world.case.display_code])).content.decode()
    strip = page[page.index('class="case-strip"') : page.index("</dl>", page.index('class="case-strip"'))]
    assert "Rescued, in hiding" in strip
    journey = page[page.index('id="journey"') :]
    assert journey.index("Rescued, in hiding") < journey.index("In exploitation")
    assert "Shandong" in journey and ">coworker<" in journey and ">lead<" in journey


def test_a_recorded_step_lands_on_the_journey_with_its_message(client, world, sign_in):
    sign_in(client, world.lead)
    client.post(add_url(world.case), step_data(world.case))
    page = client.get(reverse("cases:detail", args=[world.case.display_code])).content.decode()
    assert page.index('id="journey"') < page.index("Journey step recorded.") < page.index('id="needs"')


def test_adding_and_removing_are_in_the_trail_in_words_and_the_chain_verifies(client, world, sign_in):
    sign_in(client, world.lead)
    client.post(add_url(world.case), step_data(world.case))
    step = JourneyStep.objects.get(case=world.case)
    created = AuditEntry.objects.get(event="journeystep.create")
    assert (created.actor, created.case_code) == (world.lead, world.case.code)
    data = {"version": saved(world.case).version, "reason": "Typed on the wrong case"}
    assert client.post(remove_url(world.case, step), data).status_code == 302
    assert AuditEntry.objects.filter(event="journeystep.delete", case_code=world.case.code).count() == 1
    sign_in(client, world.supervisor)
    trail = client.get(reverse("audit:case", args=[world.case.display_code])).content.decode()
    for words in (
        "Recorded a step of her journey",
        "Removed a journey step entered by mistake",
        "In transit (third country)",
        "Typed on the wrong case",
    ):
        assert words in trail, words
    assert "journey.remove" not in trail and "journeystep" not in trail
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact" in out.getvalue()


# Intake: the first step ----------------------------------------------------------------

INTAKE = {
    "status": "open",
    "risk_level": "high",
    "age_band": "18-24",
    "gender": "female",
    "nationality": "KP",
    "exploitation_types": ["forced_marriage"],
    "intake_source": "hotline",
    "summary": "Referred by the hotline.",
}


def test_intake_records_the_first_step(client, world, sign_in):
    sign_in(client, world.lead)
    data = {**INTAKE, "team": world.team_a.pk, "stage": "hiding", "region": "CN-LN", "started_on": day(-20)}
    assert client.post(reverse("cases:new"), data).status_code == 302
    case = Case.objects.latest("created_at")
    step = case.journey.get()
    assert (step.stage, step.region, step.started_on, step.created_by) == (
        "hiding",
        "CN-LN",
        TODAY - timedelta(20),
        world.lead,
    )
    assert (case.stage, case.region) == ("hiding", "CN-LN")


def test_intake_without_a_stage_records_no_step_and_the_region_stays_unknown(client, world, sign_in):
    sign_in(client, world.lead)
    assert (
        client.post(reverse("cases:new"), {**INTAKE, "team": world.team_a.pk, "region": "unknown"}).status_code == 302
    )
    case = Case.objects.latest("created_at")
    assert (case.stage, case.region, case.journey.count()) == ("", "unknown", 0)


@pytest.mark.parametrize(
    "step, message",
    [
        ({"region": "CN-JL"}, "Choose her stage too"),
        ({"stage": "hiding", "region": "CN-JL", "started_on": day(5)}, "A step cannot start in the future."),
        ({"stage": "hiding", "region": "CN-JL", "started_on": ""}, "Give the day she reached this stage."),
    ],
)
def test_intake_refuses_a_first_step_that_does_not_hold_and_opens_nothing(client, world, sign_in, step, message):
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post(reverse("cases:new"), {**INTAKE, "team": world.team_a.pk, **step})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_a_first_step_the_service_refuses_leaves_no_case_behind(client, world, sign_in, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError("Refused for the test.")

    monkeypatch.setattr("casework.cases.views.cases.journey_step_add", refuse)
    sign_in(client, world.lead)
    before, opened = snapshot(), AuditEntry.objects.filter(event="case.open").count()
    data = {**INTAKE, "team": world.team_a.pk, "stage": "hiding", "region": "CN-LN", "started_on": day(-20)}
    response = client.post(reverse("cases:new"), data)
    assert response.status_code == 400 and "Refused for the test." in response.content.decode()
    assert snapshot() == before and AuditEntry.objects.filter(event="case.open").count() == opened


def test_the_profile_form_no_longer_edits_the_region(client, world, sign_in):
    make_journey_step(world.case, world.lead, stage="transit", region="MN")
    sign_in(client, world.lead)
    url = reverse("cases:edit", args=[world.case.display_code])
    assert 'name="region"' not in client.get(url).content.decode()
    profile = {**INTAKE, "version": saved(world.case).version, "region": "KR"}
    assert client.post(url, profile).status_code == 302
    assert saved(world.case).region == "MN"


# The case list ---------------------------------------------------------------------------

LIST = reverse("cases:list")


def codes_on(client, **filters):
    response = client.get(LIST, filters)
    assert response.status_code == 200
    return {case.code for case in response.context["page"]}


def test_the_case_list_filters_by_stage_and_counts_the_filter(client, world, sign_in):
    make_journey_step(world.case, world.lead, stage="transit", region="LA")
    make_journey_step(world.other_case, world.other_team_worker, stage="transit", region="TH")
    hiding = make_case(world.lead)
    make_journey_step(hiding, world.lead, stage="hiding")
    sign_in(client, world.head)
    assert codes_on(client, stage="transit") == {world.case.code, world.other_case.code}
    assert codes_on(client, stage="hiding") == {hiding.code}
    assert codes_on(client, stage="resettled") == set()
    assert world.case.code not in codes_on(client, stage="none") and hiding.code not in codes_on(client, stage="none")
    page = client.get(LIST, {"stage": "transit", "risk": "medium"}).content.decode()
    assert "Filter (2 in use)" in page


def test_the_stage_filter_never_widens_what_she_may_see(client, world, sign_in):
    make_journey_step(world.other_case, world.other_team_worker, stage="transit", region="TH")
    sign_in(client, world.lead)
    assert codes_on(client, stage="transit") == set()


def test_an_unknown_stage_shows_a_message_and_no_cases(client, world, sign_in):
    sign_in(client, world.lead)
    response = client.get(LIST, {"stage": "deported"})
    assert list(response.context["page"]) == [] and response.context["form"].errors["stage"]


def test_filtering_by_stage_costs_the_same_queries_however_many_cases_match(client, world, sign_in):
    sign_in(client, world.head)
    counts = []
    for size in (3, 27):
        for _ in range(size):
            make_journey_step(make_case(world.lead), world.lead, stage="embassy", region="TH")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST, {"stage": "embassy"}).status_code == 200
        counts.append(len(queries))
    assert counts[1] <= counts[0], counts


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query plan")
def test_the_stage_filter_reads_the_stage_index_in_order(many_cases):
    """A page of the cases at one stage, for a supervisor of every team: read in order from
    case_org_stage and stopped after one page, never every case sorted. Three hundred rows fit
    in a few pages, where a scan and a sort are cheapest: both are priced out, as a million rows
    would, so what is left is whether an index fits the filter and the order together."""
    every_tenth = Case.objects.order_by("pk").values_list("pk", flat=True)[::10]
    with unaudited_writes("test data for the query planner"):
        Case.objects.filter(pk__in=list(every_tenth)).update(stage="resettled")
        Case.objects.exclude(stage="resettled").update(stage="hiding")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    user = loaded_for_a_request(many_cases.head)
    plan = Case.objects.restrict(user, "view").filter(stage="resettled").sorted_as("opened")[:50].explain()
    assert plan.startswith("Limit") and "Index Scan using case_org_stage on cases_case" in plan, plan
    assert "Sort" not in plan, plan
