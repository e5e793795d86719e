"""The decorator every case URL goes through: 404 if invisible, 403 if visible but not allowed."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from casework.audit.models import AuditEntry
from casework.web.doors import case_page


@case_page("change")
def edit_something(request, case):
    return HttpResponse(f"editing {case.code}")


def call(user, case):
    request = RequestFactory().get("/cases/x/edit/")
    request.user = user
    return edit_something(request, case.display_code)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("lead", 200),
        ("coworker", 200),
        ("editor", 200),
        ("supervisor", 200),
        ("viewer", 403),
        ("revealer", 403),
        ("teammate", 404),
        ("outsider", 404),
        ("admin", 404),
        ("superuser", 404),
    ],
)
def test_it_answers_by_the_policy(world, persona, status):
    assert call(getattr(world, persona), world.case).status_code == status


def test_a_403_is_audited_as_a_denial_of_the_attempted_event(world):
    call(world.viewer, world.case)
    entry = AuditEntry.objects.latest("pk")
    assert (entry.event, entry.outcome, entry.actor, entry.case_code) == (
        "case.change",
        "denied",
        world.viewer,
        world.case.code,
    )


def test_a_page_shown_is_audited_as_a_view_of_the_case(world):
    assert call(world.lead, world.case).status_code == 200
    entry = AuditEntry.objects.latest("pk")
    assert (entry.event, entry.outcome, entry.case_code) == ("case.view", "ok", world.case.code)
    assert entry.additional_data == {"page": "edit_something"}
