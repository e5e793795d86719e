"""The trail at /audit/, a case's timeline, a person's activity, and the CSV of the trail."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from auditlog.context import set_actor
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from casework import keys
from casework.audit import views
from casework.audit.models import AuditEntry, Outcome
from casework.audit.services import record
from casework.cases import codes
from tests.factories import make_case, make_need
from tests.signing import sign_in

TRAIL = reverse("audit:trail")
EXPORT = reverse("audit:export")


def entry_at(when, *, event, actor, case=None, outcome=Outcome.OK):
    """An entry with a timestamp in the past (entries are immutable: it is built, then saved once)."""
    entry = AuditEntry(
        event=event,
        actor=actor,
        outcome=outcome,
        case_code=case.code if case else "",
        organisation_id=actor.membership.organisation_id,
        action=AuditEntry.Action.ACCESS,
        content_type=ContentType.objects.get_for_model(AuditEntry),
        object_pk="",
        timestamp=when,
    )
    entry.save()
    return entry


def shown(response):
    return [entry.seq for entry in response.context["entries"]]


def trail(client, viewer, **filters):
    sign_in(client, viewer)
    return client.get(TRAIL, filters)


def audit_views():
    return AuditEntry.objects.filter(event="audit.view", outcome="ok")


# Filters ------------------------------------------------------------------------------


def test_it_filters_by_person(client, world):
    mine = record(event="case.view", actor=world.lead, case=world.case)
    theirs = record(event="case.view", actor=world.coworker, case=world.case)
    seen = shown(trail(client, world.supervisor, user="lead"))
    assert mine.seq in seen and theirs.seq not in seen


def test_it_filters_by_case_code_as_people_type_it(client, world):
    ours = record(event="case.view", actor=world.lead, case=world.case)
    other = record(event="case.view", actor=world.lead, case=make_case(world.lead))
    seen = shown(trail(client, world.supervisor, code=world.case.display_code.lower()))
    assert ours.seq in seen and other.seq not in seen


def test_a_malformed_code_is_a_form_error(client, world):
    response = trail(client, world.supervisor, code="Kim Young-hee")
    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    assert not audit_views().exists()


@pytest.mark.parametrize("field", ["user", "code", "event", "outcome", "date_from"])
def test_what_was_typed_into_a_filter_is_never_shown_again_unless_valid(client, world, field):
    response = trail(client, world.supervisor, **{field: "Kim Young-hee", "q": "+82 10 1234 5678"})
    assert response.status_code == 400 and response.context["form"].errors[field]
    page = response.content.decode()
    assert "Young" not in page and "1234" not in page
    assert "Young" not in str(list(AuditEntry.objects.values_list("additional_data", flat=True)))


def test_only_usernames_of_her_organisation_and_known_events_are_searched_for(client, world):
    assert trail(client, world.supervisor, user="outsider").status_code == 400
    assert trail(client, world.supervisor, user="head").status_code == 200
    assert trail(client, world.supervisor, event="nothing.like.this").status_code == 400


def test_it_filters_by_an_event_of_the_catalogue(client, world):
    reveal = record(event="identity.reveal", actor=world.lead, case=world.case)
    view = record(event="case.view", actor=world.lead, case=world.case)
    seen = shown(trail(client, world.supervisor, event="identity.reveal"))
    assert reveal.seq in seen and view.seq not in seen
    assert set(shown(trail(client, world.supervisor, event="case.view"))) >= {view.seq}
    for unknown in ("Kim Young-hee", "identity.", "case.veiw"):
        assert trail(client, world.supervisor, event=unknown).status_code == 400
    # An administrator cannot even ask for what she does not review.
    assert trail(client, world.admin, event="identity.reveal").status_code == 400


def test_it_filters_by_outcome(client, world):
    refused = record(event="case.view", actor=world.teammate, outcome=Outcome.DENIED, case_code=world.case.code)
    allowed = record(event="case.view", actor=world.lead, case=world.case)
    seen = shown(trail(client, world.supervisor, outcome="denied"))
    assert refused.seq in seen and allowed.seq not in seen
    assert set(shown(trail(client, world.supervisor, outcome="", list="1"))) >= {refused.seq, allowed.seq}


def test_it_filters_by_local_dates(client, world):
    today = timezone.localdate()
    at = timezone.make_aware(datetime.combine(today - timedelta(days=3), datetime.min.time())) + timedelta(hours=9)
    old = entry_at(at, event="case.view", actor=world.lead, case=world.case)
    new = record(event="case.view", actor=world.lead, case=world.case)
    day = (today - timedelta(days=3)).isoformat()
    assert shown(trail(client, world.supervisor, date_from=day, date_to=day)) == [old.seq]
    assert old.seq not in shown(trail(client, world.supervisor, date_from=today.isoformat()))
    assert new.seq not in shown(trail(client, world.supervisor, date_to=day))
    backwards = trail(client, world.supervisor, date_from=today.isoformat(), date_to=day)
    assert backwards.status_code == 400


# Pages ---------------------------------------------------------------------------------


def test_keyset_pages_follow_each_other_without_repeats(client, world):
    for _ in range(60):
        record(event="case.view", actor=world.lead, case=world.case)
    first = trail(client, world.supervisor, user="lead", q="Kim Young-hee")
    assert "Young" not in first.content.decode()  # links repeat the valid filters only
    older = first.context["older"]
    assert len(shown(first)) == 50 and keys.open_number(keys.AUDIT_REFERENCE, older) == shown(first)[-1]
    assert str(shown(first)[-1]) not in older  # the link never shows the seq
    assert f'href="?user=lead&amp;before={older}"' in first.content.decode()
    second = client.get(TRAIL, {"user": "lead", "before": older})
    assert not set(shown(first)) & set(shown(second))
    everything = AuditEntry.objects.filter(actor=world.lead).order_by("-seq").values_list("seq", flat=True)
    assert shown(first) + shown(second) == list(everything)
    assert second.context["older"] is None
    look = audit_views().latest("seq")
    assert look.additional_data == {"page": "trail", "filters": {"user": "lead", "older_page": True}}
    assert client.get(TRAIL, {"before": "soon"}).status_code == 400


def test_newest_first_with_person_event_in_words_outcome_and_reason(client, world):
    record(event="identity.reveal", actor=world.lead, case=world.case, reason="Family tracing")
    page = trail(client, world.supervisor, list="1").content.decode()
    assert "Family tracing" in page and "Revealed identity details" in page and ">lead<" in page
    assert "identity.reveal" not in page.split("<main", 1)[1].split("</form>", 1)[1]  # after the filters
    seqs = shown(trail(client, world.supervisor, list="1"))
    assert seqs == sorted(seqs, reverse=True)


def test_a_case_code_links_to_its_timeline_only_for_those_who_manage_it(client, world):
    record(event="case.view", actor=world.lead, case=world.case)
    timeline = reverse("audit:case", args=[world.case.display_code])
    assert timeline in trail(client, world.supervisor, list="1").content.decode()
    admin_page = trail(client, world.admin, list="1").content.decode()  # sees the assignments on it
    assert world.case.display_code in admin_page and timeline not in admin_page


def test_details_name_changed_fields_in_words_never_their_values(client, world):
    need = make_need(world.case, world.lead)
    need.due_on = datetime(2031, 2, 3).date()
    need.save()
    details = {"fields": ["phones"], "purpose": "safety"}
    record(event="identity.reveal", actor=world.lead, case=world.case, details=details)
    page = trail(client, world.supervisor, list="1").content.decode()
    assert "Changed a support need" in page and "<dt>Changed</dt><dd>due</dd>" in page
    assert "2031-02-03" not in page and "3 Feb 2031" not in page and "Feb. 3, 2031" not in page
    assert "Phone numbers" in page and "For safety planning or an emergency" in page
    entries = page.split("<main", 1)[1].split("</form>", 1)[1]  # after the filters, whose options carry keys
    for raw in ("supportneed.update", "due_on", "identity.reveal", "<dt>fields", "<dt>purpose"):
        assert raw not in entries, raw


def test_each_look_is_recorded_once_with_its_page_and_filters(client, world):
    trail(client, world.supervisor, user="lead", outcome="denied", event="case.view")
    entry = audit_views().get()
    assert entry.actor == world.supervisor
    assert entry.additional_data == {
        "page": "trail",
        "filters": {"user": "lead", "outcome": "denied", "event": "case.view"},
    }


def test_looking_at_a_case_timeline_shows_on_that_timeline(client, world):
    view = record(event="case.view", actor=world.viewer, case=world.case)
    other = record(event="case.view", actor=world.other_team_worker, case=world.other_case)
    sign_in(client, world.supervisor)
    url = reverse("audit:case", args=[world.case.display_code])
    response = client.get(url)
    assert view.seq in shown(response) and other.seq not in shown(response)
    look = audit_views().get()
    assert (look.case_code, look.additional_data) == (world.case.code, {"page": "case", "filters": {}})
    assert look.seq in shown(client.get(url))


def test_a_persons_page_counts_what_she_did_and_lists_her_entries(client, world):
    record(event="case.view", actor=world.lead, case=world.case)
    record(event="case.view", actor=world.lead, case=world.case)
    record(event="identity.reveal", actor=world.lead, case=world.case)
    record(event="case.view", actor=world.lead, outcome=Outcome.DENIED, case_code=world.other_case.code)
    with set_actor(world.lead):
        make_need(world.case, world.lead)
    record(event="case.view", actor=world.coworker, case=world.case)
    sign_in(client, world.supervisor)
    response = client.get(reverse("audit:user", args=["lead"]))
    counts = response.context["counts"]
    assert (counts["opened"], counts["revealed"], counts["refused"]) == (1, 1, 1)  # one case, opened twice
    assert counts["changed"] == 1
    assert {entry.actor for entry in response.context["entries"]} == {world.lead}
    assert audit_views().get().additional_data == {"page": "user", "filters": {"user": "lead"}}


# CSV -----------------------------------------------------------------------------------


def rows_of(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_the_csv_holds_the_filtered_trail_and_is_audited(client, world):
    reveal = record(event="identity.reveal", actor=world.lead, case=world.case, reason="=HYPERLINK(1)")
    record(event="case.view", actor=world.lead, case=world.case)
    sign_in(client, world.supervisor)
    response = client.get(EXPORT, {"event": "identity.reveal", "code": world.case.display_code})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, *rows = rows_of(response)
    assert header == ["timestamp", "actor", "event", "case_code", "outcome", "reason", "details"]  # no seq
    assert len(rows) == 1 and rows[0][0] == timezone.localtime(reveal.timestamp).isoformat()
    assert rows[0][1:6] == ["lead", "identity.reveal", world.case.code, "ok", "'=HYPERLINK(1)"]
    entry = AuditEntry.objects.get(event="export.audit_csv")
    assert entry.actor == world.supervisor
    assert entry.additional_data == {
        "filters": {"code": world.case.code, "event": "identity.reveal"},
        "rows": 1,
    }
    assert not audit_views().exists()


def test_the_csv_is_capped_with_a_note(client, world, monkeypatch):
    monkeypatch.setattr(views, "EXPORT_CAP", 3)
    for _ in range(5):
        record(event="case.view", actor=world.lead, case=world.case)
    sign_in(client, world.supervisor)
    _header, *rows = rows_of(client.get(EXPORT, {"user": "lead"}))
    assert len(rows) == 4 and len(rows[-1]) == 1
    assert AuditEntry.objects.get(event="export.audit_csv").additional_data["rows"] == 3


def test_the_csv_of_an_admin_holds_only_what_she_reviews(client, world):
    record(event="case.view", actor=world.lead, case=world.case)
    sign_in(client, world.admin)
    _header, *rows = rows_of(client.get(EXPORT))
    assert rows and not {row[3] for row in rows} & {"case.view", "case.open", "identity.reveal"}


def test_a_malformed_filter_exports_nothing(client, world):
    sign_in(client, world.supervisor)
    assert client.get(EXPORT, {"code": "nonsense"}).status_code == 400
    assert not AuditEntry.objects.filter(event="export.audit_csv").exists()


# Query counts --------------------------------------------------------------------------


def _grow(world, n):
    for _ in range(n):
        case = make_case(world.lead)
        record(event="case.view", actor=world.lead, case=case)
        record(event="identity.reveal", actor=world.lead, case=world.case, details={"fields": ["phones"]})
        make_need(world.case, world.lead)


@pytest.mark.parametrize("persona", ["supervisor", "admin"])
def test_the_trail_query_count_does_not_grow_with_the_data(client, world, persona, django_assert_max_num_queries):
    sign_in(client, getattr(world, persona))
    _grow(world, 2)
    with django_assert_max_num_queries(14) as small:
        client.get(TRAIL, {"list": "1"})
    _grow(world, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(TRAIL, {"list": "1"})
    assert len(response.context["entries"]) == 50 or persona == "admin"


def test_the_case_timeline_query_count_does_not_grow_with_the_data(client, world, django_assert_max_num_queries):
    sign_in(client, world.supervisor)
    url = reverse("audit:case", args=[world.case.display_code])
    _grow(world, 2)
    with django_assert_max_num_queries(15) as small:
        client.get(url)
    _grow(world, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["entries"]) == 50


def test_codes_shown_are_display_codes(client, world):
    record(event="case.view", actor=world.lead, case=world.case)
    page = trail(client, world.supervisor, list="1").content.decode()
    assert codes.display(world.case.code) in page
