"""The review page at /audit/: one week, sensitive entries first, routine page views folded
per person, case and day, every event in words; and the weekly "reviewed" mark."""

import time
from datetime import datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.audit.models import AuditEntry, Outcome, WeekReview
from casework.audit.review import week_start
from casework.audit.services import record
from tests.factories import PASSWORD, make_case, make_need
from tests.signing import sign_in

TRAIL = reverse("audit:trail")
MARK = reverse("audit:week_review")


def this_monday():
    return week_start(timezone.localdate())


def last_monday():
    return this_monday() - timedelta(days=7)


def entry_at(when, *, event, actor, case=None, outcome=Outcome.OK, details=None):
    """An entry with a timestamp in the past (built, then saved once: entries are immutable)."""
    entry = AuditEntry(
        event=event,
        actor=actor,
        outcome=outcome,
        case_code=case.code if case else "",
        organisation_id=actor.membership.organisation_id,
        action=AuditEntry.Action.ACCESS,
        content_type=ContentType.objects.get_for_model(AuditEntry),
        object_pk="",
        additional_data=details,
        timestamp=when,
    )
    entry.save()
    return entry


def local(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=hour, minutes=minute)


def main_of(response):
    return response.content.decode().split("<main", 1)[1].split("</main>")[0]


def review_page(client, viewer, **params):
    sign_in(client, viewer)
    return client.get(TRAIL, params)


# Folding and order ---------------------------------------------------------------------


def test_routine_page_views_fold_into_one_line_per_person_case_and_day(client, world):
    tuesday = last_monday() + timedelta(days=1)
    for minute in (22, 23, 24):
        entry_at(local(tuesday, 10, minute), event="case.view", actor=world.lead, case=world.case)
    entry_at(local(tuesday, 11), event="case.view", actor=world.coworker, case=world.case)
    entry_at(local(tuesday + timedelta(days=1), 10), event="case.view", actor=world.lead, case=world.case)
    response = review_page(client, world.supervisor, week=tuesday.isoformat())
    assert response.status_code == 200
    folds = {(fold.actor_name, fold.day): fold for fold in response.context["folds"]}
    lead = folds[("lead", tuesday)]
    assert (lead.count, lead.views, lead.case_code) == (3, 3, world.case.code)
    assert (folds[("coworker", tuesday)].count, folds[("lead", tuesday + timedelta(days=1))].count) == (1, 1)
    assert [entry.timestamp.minute for entry in lead.entries] == [24, 23, 22]
    page = response.content.decode()
    assert f"opened 3 pages of {world.case.display_code}" in page
    main = main_of(response)
    assert "<details>" in main and "<script" not in main and "style=" not in main
    assert "10:22" in page and "10:24" in page
    assert not response.context["sensitive"]


def test_sensitive_entries_come_first_with_the_purpose_in_words(client, world):
    record(event="identity.reveal", actor=world.lead, case=world.case, reason="Safety plan", details=_purpose())
    for _ in range(3):
        record(event="case.view", actor=world.lead, case=world.case)
    refused = record(event="case.view", actor=world.teammate, outcome=Outcome.DENIED, case_code=world.case.code)
    grant = AuditEntry.objects.filter(event="grant.add").latest("seq")  # the world's grants, this week
    response = review_page(client, world.supervisor)
    sensitive = [entry.seq for entry in response.context["sensitive"]]
    assert refused.seq in sensitive and grant.seq in sensitive
    assert not {entry.event for entry in response.context["sensitive"]} & {"case.list"}
    assert all(entry.event != "case.view" or entry.outcome != "ok" for entry in response.context["sensitive"])
    page = response.content.decode()
    assert page.index("Revealed identity details") < page.index("Routine activity")
    assert "For safety planning or an emergency" in page and "Safety plan" in page
    assert "Gave someone access to a case" in page
    assert page.index("Needs a look") < page.index(f"opened 3 pages of {world.case.display_code}")


def _purpose():
    return {"fields": ["phones"], "purpose": "safety"}


def test_activity_outside_working_hours_is_lifted_out_of_the_routine(client, world, settings):
    settings.WORKING_HOURS = (7, 20)
    night = local(last_monday() + timedelta(days=2), 3, 10)
    entry_at(night, event="case.view", actor=world.lead, case=world.case)
    entry_at(local(last_monday() + timedelta(days=2), 9), event="case.view", actor=world.coworker, case=world.case)
    response = review_page(client, world.supervisor, week=last_monday().isoformat())
    assert [fold.actor_name for fold in response.context["night_folds"]] == ["lead"]
    assert [fold.actor_name for fold in response.context["folds"]] == ["coworker"]
    page = response.content.decode()
    assert page.index("Outside working hours") < page.index("Routine activity")


def test_no_raw_event_key_or_field_name_on_the_page(client, world):
    with_need = make_need(world.case, world.lead)
    with_need.due_on = timezone.localdate()
    with_need.save()
    record(event="identity.reveal", actor=world.lead, case=world.case, reason="Call", details=_purpose())
    record(event="case.view", actor=world.lead, case=world.case, details={"page": "case_detail"})
    page = review_page(client, world.supervisor).content.decode()
    body = page.split('name="event"')[0]  # the event filter's options carry the keys as values
    for raw in ("identity.reveal", "case.view", "supportneed", "grant.add", "case_detail", "due_on", ">phones<"):
        assert raw not in body, raw


def test_the_per_person_summary_counts_the_chosen_week_only(client, world):
    week = last_monday()
    other_case = make_case(world.lead)
    entry_at(local(week, 9), event="case.view", actor=world.lead, case=world.case)
    entry_at(local(week, 9, 5), event="case.view", actor=world.lead, case=world.case)
    entry_at(local(week, 9, 9), event="case.view", actor=world.lead, case=other_case)
    entry_at(local(week, 10), event="identity.reveal", actor=world.lead, case=world.case, details=_purpose())
    entry_at(local(week, 11), event="case.view", actor=world.lead, outcome=Outcome.DENIED, case=world.other_case)
    entry_at(local(week - timedelta(days=1), 9), event="case.view", actor=world.lead, case=world.case)
    response = review_page(client, world.supervisor, week=(week + timedelta(days=3)).isoformat())
    rows = {row["actor__username"]: row for row in response.context["people"]}
    assert (rows["lead"]["opened"], rows["lead"]["revealed"], rows["lead"]["refused"]) == (2, 1, 1)
    assert rows["lead"]["exported"] == 0
    assert response.context["monday"] == week


def test_a_malformed_week_is_a_clear_error_and_not_recorded_as_a_look(client, world):
    response = review_page(client, world.supervisor, week="Kim Young-hee")
    assert response.status_code == 400
    assert "Young" not in response.content.decode()
    assert not AuditEntry.objects.filter(event="audit.view", outcome="ok").exists()


def test_looking_at_the_week_is_recorded(client, world):
    review_page(client, world.supervisor, week=last_monday().isoformat())
    look = AuditEntry.objects.get(event="audit.view", outcome="ok")
    assert look.additional_data == {"page": "review", "filters": {"week": last_monday().isoformat()}}


def test_an_admin_gets_the_week_of_what_she_reviews_only(client, world):
    record(event="identity.reveal", actor=world.lead, case=world.case, details=_purpose())
    record(event="case.view", actor=world.lead, case=world.case)
    record(event="login.failed", actor=world.lead, outcome=Outcome.DENIED)
    response = review_page(client, world.admin)
    seen = {entry.event for entry in response.context["sensitive"]}
    seen |= {entry.event for fold in response.context["folds"] for entry in fold.entries}
    assert "login.failed" in seen and not seen & {"identity.reveal", "case.view"}
    assert "Cases opened" not in response.content.decode()


# Labels in three languages ---------------------------------------------------------------


@pytest.mark.parametrize(("language", "who"), [("en", "Who"), ("ko", "사용자"), ("zh-hans", "操作人")])
def test_the_page_speaks_her_language(client, world, language, who):
    record(event="identity.reveal", actor=world.lead, case=world.case, details=_purpose())
    sign_in(client, world.supervisor)
    page = client.get(TRAIL, headers={"accept-language": language}).content.decode()
    assert f">{who}</th>" in page  # a string the catalogues already translate


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "Revealed identity details"), ("ko", "신원 정보 공개"), ("zh-hans", "显示身份信息")],
)
def test_an_event_is_described_in_her_language(client, world, language, label):
    record(event="identity.reveal", actor=world.lead, case=world.case, details=_purpose())
    sign_in(client, world.supervisor)
    response = client.get(TRAIL, headers={"accept-language": language})
    assert label in response.content.decode()
    assert [str(entry.label) for entry in response.context["sensitive"] if entry.event == "identity.reveal"] == [label]


# The weekly mark -------------------------------------------------------------------------


def test_a_supervisor_marks_a_week_reviewed_with_a_note_and_it_is_audited(client, world):
    sign_in(client, world.supervisor)
    response = client.post(MARK, {"week": last_monday().isoformat(), "note": "Nothing unusual"})
    assert response.status_code == 302
    mark = WeekReview.objects.get()
    assert (mark.reviewed_by, mark.week, mark.note, mark.all_teams) == (
        world.supervisor,
        last_monday(),
        "Nothing unusual",
        False,
    )
    assert [team.slug for team in mark.teams.all()] == ["team-a"]
    entry = AuditEntry.objects.get(event="audit.week_reviewed")
    assert (entry.actor, entry.reason, entry.organisation_id) == (world.supervisor, "Nothing unusual", world.org.pk)
    assert entry.additional_data == {"week": last_monday().isoformat(), "teams": ["team-a"]}
    page = client.get(response["Location"]).content.decode()
    assert "You marked this week reviewed" in page and "Nothing unusual" in page
    assert "Mark this week reviewed" not in page


@pytest.mark.parametrize(
    "posted",
    [
        {"note": ""},
        {"note": "   "},
        {"week": "2999-01-05"},  # not begun
        {"week": "not-a-date"},
    ],
)
def test_bad_input_to_the_mark_is_a_clear_error_and_changes_nothing(client, world, posted):
    sign_in(client, world.supervisor)
    data = {"week": last_monday().isoformat(), "note": "Looked at it", **posted}
    response = client.post(MARK, data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not WeekReview.objects.exists()
    assert not AuditEntry.objects.filter(event="audit.week_reviewed").exists()


def test_a_week_is_marked_once_by_each_supervisor_and_only_for_her_own_scope(client, world):
    sign_in(client, world.supervisor)
    client.post(MARK, {"week": last_monday().isoformat(), "note": "First"})
    again = client.post(MARK, {"week": last_monday().isoformat(), "note": "Second"})
    assert again.status_code == 400 and "already marked" in again.content.decode()
    assert WeekReview.objects.get().note == "First"
    # Her mark covers her teams, not the other supervisor's: he still has it to do.
    sign_in(client, world.other_supervisor)
    assert "not yet reviewed" in client.get(reverse("home")).content.decode()
    client.post(MARK, {"week": last_monday().isoformat(), "note": "Team B fine"})
    marks = {mark.reviewed_by.username: [team.slug for team in mark.teams.all()] for mark in WeekReview.objects.all()}
    assert marks == {"supervisor": ["team-a"], "other_supervisor": ["team-b"]}


def test_an_administrator_may_not_mark_a_week(client, world):
    sign_in(client, world.admin)
    response = client.post(MARK, {"week": last_monday().isoformat(), "note": "Looked"})
    assert response.status_code == 403
    assert not WeekReview.objects.exists()
    denied = AuditEntry.objects.get(event="audit.week_reviewed")
    assert (denied.actor, denied.outcome) == (world.admin, "denied")
    assert "Mark this week reviewed" not in review_page(client, world.admin).content.decode()


def _signed_in_for_real(user):
    """Through the sign-in pages: the password, then a code from her authenticator."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = Client()
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    assert client.post(reverse("accounts:verify"), {"code": f"{totp.token():0{device.digits}d}"}).status_code == 302
    return client


def test_a_caseworker_signed_in_for_real_cannot_mark_a_week_and_learns_nothing(world):
    client = _signed_in_for_real(world.lead)
    right = client.post(MARK, {"week": last_monday().isoformat(), "note": "Looked"})
    wrong = client.post(MARK, {"week": "nonsense", "note": ""})
    assert right.status_code == wrong.status_code == 404
    assert main_of(right) == main_of(wrong)
    assert not WeekReview.objects.exists()
    refusals = AuditEntry.objects.filter(event="audit.view", outcome="denied", actor=world.lead)
    assert refusals.count() == 2


# The reminder on her home page -------------------------------------------------------------


def test_her_home_page_reminds_her_while_last_week_is_not_reviewed(client, world):
    sign_in(client, world.supervisor)
    link = f"{TRAIL}?week={last_monday().isoformat()}"
    page = client.get(reverse("home")).content.decode()
    assert "not yet reviewed" in page and link in page
    client.post(MARK, {"week": last_monday().isoformat(), "note": "Done"})
    assert "not yet reviewed" not in client.get(reverse("home")).content.decode()


def test_marking_this_week_does_not_silence_the_reminder_for_last_week(client, world):
    sign_in(client, world.supervisor)
    client.post(MARK, {"week": this_monday().isoformat(), "note": "Early"})
    assert "not yet reviewed" in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("persona", ["lead", "admin"])
def test_no_reminder_for_those_who_do_not_mark_weeks(client, world, persona):
    sign_in(client, getattr(world, persona))
    assert "not yet reviewed" not in client.get(reverse("home")).content.decode()


# Query counts ----------------------------------------------------------------------------


def _grow(world, n):
    for number in range(n):
        case = make_case(world.lead)
        record(event="case.view", actor=world.lead, case=case)
        record(event="case.view", actor=world.coworker, case=case)
        record(event="identity.reveal", actor=world.lead, case=world.case, details=_purpose())
        record(event="case.view", actor=world.teammate, outcome=Outcome.DENIED, case_code=world.other_case.code)
        make_need(world.case, world.lead)
        entry_at(local(this_monday(), 3, number % 60), event="case.view", actor=world.lead, case=case)
        record(event="login.success", actor=world.coworker)
        record(event="login.failed", actor=world.coworker, outcome=Outcome.DENIED)


@pytest.mark.parametrize("persona", ["supervisor", "admin"])
def test_the_review_query_count_does_not_grow_with_the_data(
    client, world, persona, settings, django_assert_max_num_queries
):
    settings.AUDIT_FLAG_DENIALS_PER_HOUR = 1  # flags at both sizes: their queries are counted in both
    sign_in(client, getattr(world, persona))
    _grow(world, 2)
    with django_assert_max_num_queries(40) as small:
        client.get(TRAIL)
    _grow(world, 25)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(TRAIL)
    if persona == "supervisor":
        assert len(response.context["folds"]) + len(response.context["night_folds"]) > 25
        assert len(response.context["sensitive"]) > 50


# A person's week, a case's timeline -------------------------------------------------------


def test_a_persons_page_summarises_the_chosen_week(client, world):
    week = last_monday()
    entry_at(local(week, 9), event="case.view", actor=world.lead, case=world.case)
    entry_at(local(week, 10), event="identity.reveal", actor=world.lead, case=world.case, details=_purpose())
    entry_at(local(week - timedelta(days=2), 9), event="identity.reveal", actor=world.lead, case=world.case)
    sign_in(client, world.supervisor)
    url = reverse("audit:user", args=["lead"])
    response = client.get(url, {"week": (week + timedelta(days=4)).isoformat()})
    counts = response.context["counts"]
    assert (counts["opened"], counts["revealed"], counts["exported"], counts["refused"]) == (1, 1, 0, 0)
    assert "The week from" in response.content.decode()
    look = AuditEntry.objects.filter(event="audit.view", outcome="ok").latest("seq")
    assert look.additional_data["filters"] == {"user": "lead", "week": week.isoformat()}
    assert client.get(url, {"week": "Kim Young-hee"}).status_code == 400


def test_the_case_timeline_describes_events_and_who_worked_on_it(client, world):
    record(event="identity.reveal", actor=world.lead, case=world.case, reason="Call", details=_purpose())
    record(event="case.view", actor=world.teammate, outcome=Outcome.DENIED, case_code=world.case.code)
    sign_in(client, world.supervisor)
    response = client.get(reverse("audit:case", args=[world.case.display_code]))
    rows = {row["actor__username"]: row for row in response.context["people"]}
    assert rows["lead"]["revealed"] == 1 and rows["teammate"]["refused"] == 1
    page = main_of(response)
    assert "Revealed identity details" in page and "identity.reveal" not in page


def test_details_are_in_words_down_to_the_filters_of_a_look(client, world):
    filters = {"event": "identity.reveal", "outcome": "denied", "code": world.case.code}
    record(event="audit.view", actor=world.lead, details={"page": "trail", "filters": filters})
    record(event="membership.move", actor=world.lead, details={"from": "a", "to": "b", "unassign": False})
    page = main_of(review_page(client, world.supervisor, list="1")).split("</form>", 1)[1]  # after the filters
    assert "Event: Revealed identity details" in page and "Outcome: Denied" in page
    assert "<dt>Taken off its cases</dt><dd>no</dd>" in page
    for raw in ("identity.reveal", "unassign", ">trail<", "False"):
        assert raw not in page, raw


def test_the_week_holds_only_her_teams(client, world):
    record(event="case.view", actor=world.lead, case=world.case)
    record(event="identity.reveal", actor=world.lead, case=world.case, details=_purpose())
    record(event="case.view", actor=world.other_team_worker, case=world.other_case)
    response = review_page(client, world.other_supervisor)
    names = {fold.actor_name for fold in response.context["folds"] + response.context["night_folds"]}
    assert "other_team_worker" in names and "lead" not in names
    assert not [entry for entry in response.context["sensitive"] if entry.event == "identity.reveal"]
    assert "lead" not in {row["actor__username"] for row in response.context["people"]}


def test_any_day_names_its_week(client, world):
    sign_in(client, world.supervisor)
    client.post(MARK, {"week": (last_monday() + timedelta(days=3)).isoformat(), "note": "Fine"})
    assert WeekReview.objects.get().week == last_monday()
    assert "not yet reviewed" not in client.get(reverse("home")).content.decode()
