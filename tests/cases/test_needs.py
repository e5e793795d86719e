"""Support needs: add, edit, move through the workflow; the board on the case page and the need page."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.access import services as access
from casework.cases.models import SupportNeed
from casework.cases.services import needs as services
from tests.cases.contract import FormContract, PageContract, snapshot
from tests.factories import make_need, make_referral


def days(n):
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def need_data(w, **overrides):
    return {
        "category": "medical",
        "urgency": "high",
        "owner": w.coworker.pk,
        "identified_on": days(-2),
        "due_on": days(7),
        "outcome_notes": "",
        **overrides,
    }


def the_need(w):
    """One need on the case, made on first use and read fresh (its version moves)."""
    if not hasattr(w, "need"):
        w.need = make_need(w.case, w.lead, owner=w.lead)
    w.need.refresh_from_db()
    return w.need


def need_url(w, name="need"):
    return reverse(f"cases:{name}", args=[w.case.display_code, the_need(w).uid])


class TestNeedDetail(PageContract):
    def url(self, w):
        return need_url(w)


class TestNeedCreate(FormContract):
    max_queries = 30  # the form checks each of the model's constraints with a query; the save is audited

    def url(self, w):
        return reverse("cases:need_new", args=[w.case.display_code])

    def valid_data(self, w):
        return need_data(w)

    def invalid_data(self, w):
        return need_data(w, due_on=days(-5))

    def assert_saved(self, w, response):
        need = SupportNeed.objects.get(case=w.case, category="medical")
        assert (need.urgency, need.owner, need.status, need.created_by) == ("high", w.coworker, "identified", w.lead)
        assert need.due_on.isoformat() == days(7)
        assert response["Location"] == reverse("cases:detail", args=[w.case.display_code]) + "#needs"


class TestNeedEdit(FormContract):
    max_queries = 32  # as above, and the free-text guard reads the case's identity

    def url(self, w):
        return need_url(w, "need_edit")

    def valid_data(self, w):
        return need_data(w, version=the_need(w).version, outcome_notes="Clinic appointment booked.")

    def invalid_data(self, w):
        return {**self.valid_data(w), "urgency": "extreme"}

    def assert_saved(self, w, response):
        need = SupportNeed.objects.get(pk=w.need.pk)
        assert (need.category, need.owner, need.outcome_notes) == ("medical", w.coworker, "Clinic appointment booked.")
        assert need.version == 2
        assert response["Location"] == need_url(w)


class TestNeedStatus(FormContract):
    def url(self, w):
        return need_url(w, "need_status")

    def valid_data(self, w):
        return {"status": "in_progress", "version": the_need(w).version}

    def invalid_data(self, w):
        return {**self.valid_data(w), "status": "identified"}  # where it already is: not a move

    def assert_saved(self, w, response):
        need = SupportNeed.objects.get(pk=w.need.pk)
        assert (need.status, need.closed_on, need.version) == ("in_progress", None, 2)
        assert response["Location"] == need_url(w)


def test_someone_with_an_edit_grant_adds_needs(client, world, sign_in):
    sign_in(client, world.editor)
    response = client.post(reverse("cases:need_new", args=[world.case.display_code]), need_data(world))
    assert response.status_code == 302
    assert SupportNeed.objects.filter(case=world.case, created_by=world.editor).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"identified_on": days(-1), "due_on": days(-3)}, "due_on", "cannot be before the day the need was identified"),
        ({"identified_on": days(2)}, "identified_on", "cannot be identified in the future"),
        ({"category": "bribes"}, "category", "Select a valid choice"),
        ({"urgency": "extreme"}, "urgency", "Select a valid choice"),
        ({"owner": "outsider"}, "owner", "Choose someone assigned to this case"),
        ({"owner": "teammate"}, "owner", "Choose someone assigned to this case"),
        ({"owner": "deactivated"}, "owner", "Choose someone assigned to this case"),
        ({"owner": "999999"}, "owner", "Choose someone assigned to this case"),
        ({"outcome_notes": "x" * 2001}, "outcome_notes", "at most 2000 characters"),
    ],
)
def test_bad_input_is_refused_with_a_message_next_to_the_field(client, world, changes, field, message, sign_in):
    if changes.get("owner") in ("outsider", "teammate", "deactivated"):
        changes = {**changes, "owner": getattr(world, changes["owner"]).pk}
    sign_in(client, world.lead)
    before = snapshot()
    response = client.post(reverse("cases:need_new", args=[world.case.display_code]), need_data(world, **changes))
    page = response.content.decode()
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert snapshot() == before


def test_the_owner_menu_offers_only_the_people_on_the_case(client, world, sign_in):
    sign_in(client, world.lead)
    page = client.get(reverse("cases:need_new", args=[world.case.display_code])).content.decode()
    assert f'<option value="{world.coworker.pk}">coworker</option>' in page
    assert f'value="{world.lead.pk}" selected' in page  # the person adding it, by default
    for persona in ("teammate", "outsider", "deactivated", "supervisor", "editor"):
        assert f'value="{getattr(world, persona).pk}"' not in page, persona


def test_editing_keeps_an_owner_who_has_left_the_case_but_offers_no_one_else(client, world, sign_in):
    need = make_need(world.case, world.lead, owner=world.coworker)
    access.case_unassign(by=world.supervisor, case=world.case, user=world.coworker, reason="Moved on")
    sign_in(client, world.lead)
    url = reverse("cases:need_edit", args=[world.case.display_code, need.uid])
    kept = need_data(world, owner=world.coworker.pk, version=need.version, urgency="urgent")
    assert client.post(url, kept).status_code == 302
    assert SupportNeed.objects.get(pk=need.pk).urgency == "urgent"
    moved = {**kept, "owner": world.teammate.pk, "version": need.version + 1}
    assert client.post(url, moved).status_code == 400
    assert SupportNeed.objects.get(pk=need.pk).owner == world.coworker


def test_the_services_check_permission_and_owner_again(world):
    with pytest.raises(PermissionDenied):
        services.need_add(by=world.viewer, case=world.case, category="legal", urgency="low")
    with pytest.raises(ValidationError) as error:
        services.need_add(by=world.lead, case=world.case, category="legal", urgency="low", owner=world.outsider)
    assert "owner" in error.value.message_dict
    assert not SupportNeed.objects.exists()


def test_a_need_moves_through_its_workflow_and_is_dated_when_resolved(world):
    need = make_need(world.case, world.lead)
    services.need_set_status(by=world.lead, need=need, status="in_progress", version=1)
    assert need.closed_on is None
    services.need_set_status(by=world.lead, need=need, status="met", version=2)
    assert SupportNeed.objects.get(pk=need.pk).closed_on == timezone.localdate()
    with pytest.raises(ValidationError):
        services.need_set_status(by=world.lead, need=need, status="unmet", version=3)
    services.need_set_status(by=world.lead, need=need, status="in_progress", version=3)
    saved = SupportNeed.objects.get(pk=need.pk)
    assert (saved.status, saved.closed_on, saved.version) == ("in_progress", None, 4)


def test_the_status_menu_offers_only_the_next_steps(client, world, sign_in):
    need = make_need(world.case, world.lead, status="met", closed_on=timezone.localdate())
    sign_in(client, world.lead)
    url = reverse("cases:need_status", args=[world.case.display_code, need.uid])
    page = client.get(reverse("cases:need", args=[world.case.display_code, need.uid])).content.decode()
    assert 'value="in_progress"' in page
    assert 'value="unmet"' not in page
    before = snapshot()
    response = client.post(url, {"status": "unmet", "version": need.version})
    assert response.status_code == 400
    assert "cannot move to this status" in response.content.decode()
    assert snapshot() == before


def test_a_viewer_sees_the_need_but_no_way_to_change_it(client, world, sign_in):
    need = make_need(world.case, world.lead)
    sign_in(client, world.viewer)
    page = client.get(reverse("cases:need", args=[world.case.display_code, need.uid])).content.decode()
    assert reverse("cases:need_edit", args=[world.case.display_code, need.uid]) not in page
    assert reverse("cases:need_status", args=[world.case.display_code, need.uid]) not in page


def test_the_need_page_lists_its_referrals_and_only_those_of_its_case(client, world, sign_in):
    need = make_need(world.case, world.lead)
    mine = make_referral(world.case, world.lead, service_type="legal", external_provider="Legal aid partner")
    mine.needs.add(need)
    stray = make_referral(world.other_case, world.other_team_worker, external_provider="Stray partner")
    stray.needs.add(need)  # a bad link must still not carry another case's record onto this page
    make_referral(world.case, world.lead, external_provider="Unlinked partner")
    sign_in(client, world.lead)
    page = client.get(reverse("cases:need", args=[world.case.display_code, need.uid])).content.decode()
    assert "Legal aid partner" in page
    assert reverse("cases:referral", args=[world.case.display_code, mine.uid]) in page
    assert "Stray partner" not in page
    assert "Unlinked partner" not in page


def test_overdue_needs_stand_out_with_words_not_colour_alone(client, world, sign_in):
    overdue = make_need(world.case, world.lead, identified_on=timezone.localdate() - timedelta(days=20))
    overdue.due_on = timezone.localdate() - timedelta(days=3)
    overdue.save()
    make_need(world.case, world.lead, category="legal", due_on=timezone.localdate() + timedelta(days=3))
    sign_in(client, world.lead)
    case_page = client.get(reverse("cases:detail", args=[world.case.display_code])).content.decode()
    assert case_page.count('class="card overdue"') == 1
    assert case_page.count(">Overdue<") == 1
    need_page = client.get(reverse("cases:need", args=[world.case.display_code, overdue.uid])).content.decode()
    assert "overdue" in need_page
    assert "Overdue" in need_page


def test_the_board_groups_needs_by_status_with_owner_urgency_and_due_date(client, world, sign_in):
    make_need(
        world.case, world.lead, category="legal", owner=world.coworker, urgency="urgent", due_on=timezone.localdate()
    )
    make_need(world.case, world.lead, category="medical", status="in_progress")
    make_need(world.case, world.lead, category="documents", status="declined", closed_on=timezone.localdate())
    sign_in(client, world.lead)
    response = client.get(reverse("cases:detail", args=[world.case.display_code]))
    page = response.content.decode()
    columns = [[need.category for need in column["needs"]] for column in response.context["need_board"]]
    assert columns == [["legal"], ["medical"], ["documents"]]
    assert page.index("needs-identified") < page.index("needs-in_progress") < page.index("needs-resolved")
    assert "Owner: coworker" in page and "Urgency: Urgent" in page
    assert reverse("cases:need_new", args=[world.case.display_code]) in page
    sign_in(client, world.viewer)
    page = client.get(reverse("cases:detail", args=[world.case.display_code])).content.decode()
    assert reverse("cases:need_new", args=[world.case.display_code]) not in page


def test_two_people_editing_the_same_need_see_a_conflict_and_lose_nothing(world, sign_in):
    need = make_need(world.case, world.lead, owner=world.lead)
    url = reverse("cases:need_edit", args=[world.case.display_code, need.uid])
    first, second = Client(), Client()
    sign_in(first, world.lead)
    sign_in(second, world.coworker)
    assert first.get(url).status_code == second.get(url).status_code == 200
    assert first.post(url, need_data(world, version=1, urgency="urgent")).status_code == 302
    theirs = need_data(world, version=1, outcome_notes="Second editor's careful wording.")
    response = second.post(url, theirs)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Second editor&#x27;s careful wording." in page  # what she typed is still in the form
    assert "Urgent" in page  # and she sees what the other saved
    assert 'name="version" value="2"' in page
    saved = SupportNeed.objects.get(pk=need.pk)
    assert (saved.urgency, saved.outcome_notes, saved.version) == ("urgent", "", 2)
    assert second.post(url, {**theirs, "version": 2}).status_code == 302
    assert SupportNeed.objects.get(pk=need.pk).outcome_notes == "Second editor's careful wording."


def test_a_status_change_over_a_newer_version_is_a_conflict(world, sign_in):
    need = make_need(world.case, world.lead)
    url = reverse("cases:need_status", args=[world.case.display_code, need.uid])
    first, second = Client(), Client()
    sign_in(first, world.lead)
    sign_in(second, world.coworker)
    assert first.post(url, {"status": "in_progress", "version": 1}).status_code == 302
    response = second.post(url, {"status": "declined", "version": 1})
    assert response.status_code == 409
    assert "In progress" in response.content.decode()
    assert SupportNeed.objects.get(pk=need.pk).status == "in_progress"
