from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from casework.access import services as access
from casework.cases.models import Case


def can(user, action, case):
    return Case.objects.restrict(user, action).filter(pk=case.pk).exists()


def test_a_grant_gives_its_level_on_the_next_query(world):
    access.grant_add(by=world.supervisor, case=world.case, user=world.teammate, level="edit", reason="Cover")
    assert can(world.teammate, "change", world.case)
    assert not can(world.teammate, "reveal", world.case)


def test_a_grant_needs_a_reason(world):
    with pytest.raises(ValidationError, match="reason"):
        access.grant_add(by=world.supervisor, case=world.case, user=world.teammate, level="view", reason="  ")
    assert not can(world.teammate, "view", world.case)


def test_an_expiry_must_be_in_the_future(world):
    with pytest.raises(ValidationError, match="future"):
        access.grant_add(
            by=world.supervisor,
            case=world.case,
            user=world.teammate,
            level="view",
            reason="Cover",
            expires=timezone.now() - timedelta(minutes=1),
        )


def test_a_grant_stops_giving_access_the_moment_it_expires(world, monkeypatch):
    expires = timezone.now() + timedelta(hours=2)
    access.grant_add(
        by=world.supervisor, case=world.case, user=world.teammate, level="view", reason="Cover", expires=expires
    )
    assert can(world.teammate, "view", world.case)
    monkeypatch.setattr(timezone, "now", lambda: expires + timedelta(seconds=1))
    assert not can(world.teammate, "view", world.case)


def test_an_assignment_outlives_an_expiring_grant_on_the_same_case(world, monkeypatch):
    expires = timezone.now() + timedelta(hours=2)
    access.grant_add(by=world.supervisor, case=world.case, user=world.coworker, level="reveal", reason="Trace")
    access.grant_add(
        by=world.supervisor, case=world.case, user=world.lead, level="view", reason="Redundant", expires=expires
    )
    monkeypatch.setattr(timezone, "now", lambda: expires + timedelta(days=1))
    assert can(world.lead, "view", world.case)
    assert can(world.coworker, "reveal", world.case)


def test_revoking_takes_effect_at_once_and_keeps_the_history(world):
    grant = world.case.grants.get(user=world.viewer)
    access.grant_remove(by=world.supervisor, grant=grant, reason="Shift over")
    assert not can(world.viewer, "view", world.case)
    grant.refresh_from_db()
    assert grant.revoked_by == world.supervisor
    with pytest.raises(ValidationError, match="already revoked"):
        access.grant_remove(by=world.supervisor, grant=grant)


def test_nobody_grants_to_herself(world):
    with pytest.raises(PermissionDenied, match="yourself"):
        access.grant_add(by=world.admin, case=world.case, user=world.admin, level="view", reason="Curious")


def test_an_admin_may_grant_but_reads_nothing_herself(world):
    access.grant_add(by=world.admin, case=world.case, user=world.teammate, level="view", reason="Cover")
    assert can(world.teammate, "view", world.case)
    assert not can(world.admin, "view", world.case)


def test_a_caseworker_cannot_grant(world):
    with pytest.raises(PermissionDenied):
        access.grant_add(by=world.lead, case=world.case, user=world.teammate, level="view", reason="Help")


def test_nobody_grants_across_organisations(world):
    with pytest.raises(ValidationError, match="organisation"):
        access.grant_add(by=world.supervisor, case=world.case, user=world.outsider, level="view", reason="Help")
    assert not can(world.outsider, "view", world.case)


def test_a_supervisor_of_another_team_cannot_grant(world):
    with pytest.raises(PermissionDenied):
        access.grant_add(by=world.other_supervisor, case=world.case, user=world.teammate, level="view", reason="x")
