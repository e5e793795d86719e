"""Attack: someone who worked cases becomes a reporting-role member, with her rows intact.

An administrator changes a case's lead (assigned to it) and a holder of an edit grant to
the reporting role: her assignment and her grant are still there. The reporting role is
promised no case at all, whatever her rows say. And the change itself: a caseworker who saw
her own cases now reads the whole organisation's counts, on an administrator's word alone,
where becoming a supervisor (her teams' counts) waits for a supervisor to confirm.
"""

import pytest
from django.urls import reverse

from casework.access import services as access
from casework.access.models import Grant, Membership, Role
from casework.cases.models import CaseAssignment


def _make_reporting(world, user):
    membership = Membership.objects.get(user=user)
    access.membership_set_role(by=world.admin, membership=membership, role=Role.REPORTING, reason="Reports now")
    assert Membership.objects.get(user=user).role == Role.REPORTING


@pytest.mark.parametrize("who", ["lead", "editor"])
def test_her_assignment_or_grant_opens_no_case_once_she_reports(client, world, sign_in, who):
    user = getattr(world, who)
    detail = reverse("cases:detail", args=[world.case.display_code])
    sign_in(client, user)
    assert client.get(detail).status_code == 200  # before: her case (the comparison can fail)
    _make_reporting(world, user)
    assert CaseAssignment.objects.filter(user=user).exists() or Grant.objects.current().filter(user=user).exists()
    sign_in(client, user)
    assert client.get(detail).status_code == 404
    assert client.get(reverse("cases:list")).status_code == 404
    assert world.case.display_code not in client.get(reverse("home")).content.decode()


def test_an_administrator_alone_does_not_open_the_whole_organisation_to_a_caseworker(client, world, sign_in):
    sign_in(client, world.teammate)
    assert client.get(reverse("reports:report")).status_code == 404  # before: no reports
    _make_reporting(world, world.teammate)
    sign_in(client, world.teammate)
    assert client.get(reverse("reports:report")).status_code == 404, "she reads every team's counts at once"
