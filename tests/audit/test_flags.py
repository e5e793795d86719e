"""Flags at /audit/flags/: bursts of cases opened or of refusals in one clock hour, reveals
outside working hours, exports; and marking a flag reviewed, which is itself audited."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from casework import keys
from casework.audit import flags
from casework.audit.models import AuditEntry, FlagKind, FlagReview, Outcome
from casework.cases import codes

FLAGS = reverse("audit:flags")
REVIEW = reverse("audit:flag_review")


def entry_at(when, *, event, actor, case_code="", outcome=Outcome.OK):
    """An entry with a timestamp in the past (entries are immutable: it is built, then saved once)."""
    entry = AuditEntry(
        event=event,
        actor=actor,
        outcome=outcome,
        case_code=case_code,
        organisation_id=actor.membership.organisation_id,
        action=AuditEntry.Action.ACCESS,
        content_type=ContentType.objects.get_for_model(AuditEntry),
        object_pk="",
        timestamp=when,
    )
    entry.save()
    return entry


def local(days_ago, hour, minute=0):
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def kinds(user, **kwargs):
    return [flag.kind for flag in flags.flags_for(user, **kwargs)]


@pytest.fixture
def thresholds(settings):
    settings.AUDIT_FLAG_CASES_PER_HOUR = 3
    settings.AUDIT_FLAG_DENIALS_PER_HOUR = 2
    settings.WORKING_HOURS = (7, 20)
    return settings


def open_cases(actor, n, at, repeat=1):
    for i in range(n):
        code = codes.generate()
        for j in range(repeat):
            entry_at(at + timedelta(minutes=i, seconds=j), event="case.view", actor=actor, case_code=code)


def test_more_distinct_cases_than_the_threshold_in_one_hour_is_flagged(world, thresholds):
    open_cases(world.lead, 4, local(1, 10))
    [flag] = flags.flags_for(world.supervisor)
    assert (flag.kind, flag.actor_name, flag.count) == (FlagKind.CASES_PER_HOUR, "lead", 4)
    assert flag.when == local(1, 10)
    assert flag.key == f"cases_per_hour:{world.lead.pk}:{local(1, 10).astimezone(UTC):%Y%m%dT%H%MZ}"


def test_the_threshold_itself_and_repeated_views_are_not_flagged(world, thresholds):
    open_cases(world.lead, 3, local(1, 10), repeat=3)
    open_cases(world.lead, 2, local(1, 11, 50))
    open_cases(world.lead, 2, local(1, 12, 5))  # 4 in sixty minutes, but across two clock hours
    assert kinds(world.supervisor) == []


def test_a_burst_of_refusals_is_flagged_above_the_threshold_only(world, thresholds):
    for i in range(3):
        entry_at(local(2, 9, i), event="case.view", actor=world.teammate, outcome=Outcome.DENIED)
    for i in range(2):
        entry_at(local(2, 9, i), event="case.view", actor=world.lead, outcome=Outcome.DENIED)
    [flag] = flags.flags_for(world.supervisor)
    assert (flag.kind, flag.actor_name, flag.count) == (FlagKind.DENIALS_PER_HOUR, "teammate", 3)


def test_reveals_outside_working_hours_are_flagged(world, thresholds):
    night = entry_at(local(1, 23, 30), event="identity.reveal", actor=world.lead, case_code=world.case.code)
    early = entry_at(local(1, 6, 59), event="identity.reveal", actor=world.lead, case_code=world.case.code)
    entry_at(local(1, 7, 0), event="identity.reveal", actor=world.lead, case_code=world.case.code)
    entry_at(local(1, 19, 59), event="identity.reveal", actor=world.lead, case_code=world.case.code)
    found = flags.flags_for(world.supervisor)
    assert [(flag.kind, flag.seq) for flag in found] == [
        (FlagKind.REVEAL_OUT_OF_HOURS, night.seq),
        (FlagKind.REVEAL_OUT_OF_HOURS, early.seq),
    ]
    assert found[0].key == f"reveal_out_of_hours:{reference(night.seq)}"


def test_every_export_is_flagged(world, thresholds):
    export = entry_at(local(1, 14), event="export.csv", actor=world.lead)
    [flag] = flags.flags_for(world.supervisor)
    assert (flag.kind, flag.key, flag.event) == (FlagKind.EXPORT, f"export:{reference(export.seq)}", "export.csv")
    assert str(export.seq) not in flag.key.split(":")  # reviewers never see the numbering


def test_flags_come_from_the_window_and_the_reviewers_scope_only(world, thresholds):
    entry_at(local(9, 14), event="export.csv", actor=world.lead)
    entry_at(local(1, 14), event="export.csv", actor=world.other_team_worker)
    open_cases(world.outsider, 5, local(1, 10))
    assert kinds(world.supervisor) == []
    assert kinds(world.supervisor, days=10) == [FlagKind.EXPORT]
    assert kinds(world.other_supervisor) == [FlagKind.EXPORT]
    assert len(kinds(world.head, days=10)) == 2


def test_admins_see_bursts_of_refused_sign_ins_and_exports_only(world, thresholds):
    for i in range(3):
        entry_at(local(1, 3, i), event="login.failed", actor=world.lead, outcome=Outcome.DENIED)
        entry_at(local(1, 4, i), event="case.view", actor=world.lead, outcome=Outcome.DENIED)
    open_cases(world.lead, 4, local(1, 10))
    entry_at(local(1, 23), event="identity.reveal", actor=world.lead, case_code=world.case.code)
    entry_at(local(1, 14), event="export.csv", actor=world.lead)
    assert sorted(kinds(world.admin)) == sorted([FlagKind.DENIALS_PER_HOUR, FlagKind.EXPORT])
    assert len(kinds(world.supervisor)) == 5


def test_the_flags_page_lists_them_and_its_look_is_recorded(client, world, thresholds, sign_in):
    open_cases(world.lead, 4, local(1, 10))
    sign_in(client, world.supervisor)
    response = client.get(FLAGS, {"days": 3})
    assert response.status_code == 200
    page = response.content.decode()
    assert "lead" in page and "Mark reviewed" in page
    look = AuditEntry.objects.get(event="audit.view")
    assert look.additional_data == {"page": "flags", "filters": {"days": 3}}
    assert client.get(FLAGS, {"days": 0}).status_code == 400


def test_caseworkers_get_404(client, world, sign_in):
    sign_in(client, world.lead)
    assert client.get(FLAGS).status_code == 404


# Reviewing -----------------------------------------------------------------------------


def test_reviewing_a_flag_keeps_the_note_and_is_audited(client, world, thresholds, sign_in):
    open_cases(world.lead, 4, local(1, 10))
    [flag] = flags.flags_for(world.supervisor)
    sign_in(client, world.supervisor)
    response = client.post(REVIEW, {"key": flag.key, "note": "Covering for a colleague on leave."})
    assert response.status_code == 302
    review = FlagReview.objects.get()
    assert (review.key, review.kind, review.reviewed_by) == (flag.key, FlagKind.CASES_PER_HOUR, world.supervisor)
    assert (review.organisation, review.note) == (world.org, "Covering for a colleague on leave.")
    entry = AuditEntry.objects.get(event="audit.flag_review")
    assert (entry.actor, entry.reason, entry.additional_data) == (
        world.supervisor,
        "Covering for a colleague on leave.",
        {"flag": flag.key},
    )
    page = client.get(FLAGS).content.decode()
    assert "Covering for a colleague on leave." in page and "Reviewed by supervisor" in page
    assert "Mark reviewed" not in page
    # Another supervisor of the same flag sees it reviewed too, and cannot review it again.
    sign_in(client, world.head)
    assert "Covering for a colleague on leave." in client.get(FLAGS).content.decode()
    client.post(REVIEW, {"key": flag.key, "note": "Again"})
    assert FlagReview.objects.count() == 1


def test_a_review_needs_a_note(client, world, thresholds, sign_in):
    open_cases(world.lead, 4, local(1, 10))
    [flag] = flags.flags_for(world.supervisor)
    sign_in(client, world.supervisor)
    response = client.post(REVIEW, {"key": flag.key, "note": ""})
    assert response.status_code == 400
    assert not FlagReview.objects.exists()
    assert not AuditEntry.objects.filter(event="audit.flag_review").exists()


def test_only_a_flag_she_can_see_can_be_reviewed(client, world, thresholds, sign_in):
    open_cases(world.other_team_worker, 4, local(1, 10))
    [flag] = flags.flags_for(world.other_supervisor)
    sign_in(client, world.supervisor)
    assert client.post(REVIEW, {"key": flag.key, "note": "Not mine"}).status_code == 404
    assert client.post(REVIEW, {"key": "export:1", "note": "Made up"}).status_code == 404
    sign_in(client, world.lead)
    assert client.post(REVIEW, {"key": flag.key, "note": "Nope"}).status_code == 404
    assert not FlagReview.objects.exists()


def test_the_flags_query_count_does_not_grow_with_the_data(
    client, world, thresholds, django_assert_max_num_queries, sign_in
):
    sign_in(client, world.supervisor)
    open_cases(world.lead, 4, local(1, 10))
    with django_assert_max_num_queries(18) as small:
        client.get(FLAGS)
    for day in range(2, 6):
        open_cases(world.lead, 4, local(day, 10))
        entry_at(local(day, 23), event="identity.reveal", actor=world.lead, case_code=world.case.code)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(FLAGS)
    assert len(response.context["flags"]) == 9


def reference(seq):
    """How a flag names its entry: a keyed digest of the seq, never the seq itself."""
    return keys.keyed_hash(keys.AUDIT_REFERENCE, str(seq).encode())[:24]
