"""The people services: who may act, what changes, and the audit entry each one writes."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from casework.access import services as access
from casework.access.models import Grant, Membership, Role
from casework.accounts.models import LoginSession
from casework.accounts.services import second_factor_reset
from casework.audit.models import AuditEntry
from casework.audit.reasons import reason_of
from casework.cases.models import Case


def can(user, action, case):
    return Case.objects.restrict(User.objects.get(pk=user.pk), action).filter(pk=case.pk).exists()


def last_entry(event):
    return AuditEntry.objects.filter(event=event).order_by("-seq").first()


def membership(user):
    return Membership.objects.get(user=user)


def test_an_admin_creates_an_account_with_a_temporary_password_that_must_be_changed(world):
    user, password = access.user_create(
        by=world.admin, organisation=world.org, username="newcomer", role=Role.CASEWORKER, teams=[world.team_b]
    )
    assert user.check_password(password) and user.is_active
    placed = membership(user)
    assert (placed.role, placed.must_change_password, list(placed.teams.all())) == ("caseworker", True, [world.team_b])
    entry = last_entry("user.create")
    assert (entry.actor, entry.organisation_id) == (world.admin, world.org.pk)
    assert entry.additional_data == {"role": "caseworker", "teams": ["team-b"], "supervises": []}
    assert not AuditEntry.objects.filter(additional_data__icontains=password).exists()
    assert password not in str(list(AuditEntry.objects.values_list("reason", "additional_data", "changes")))


def test_temporary_passwords_differ_and_pass_the_validators():
    passwords = {access.temporary_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 19 for p in passwords)


@pytest.mark.parametrize("persona", ["supervisor", "lead", "outsider"])
def test_only_an_admin_of_the_organisation_creates_accounts(world, persona):
    with pytest.raises(PermissionDenied):
        access.user_create(by=getattr(world, persona), organisation=world.org, username="x", role=Role.CASEWORKER)
    assert not User.objects.filter(username="x").exists()


def test_a_taken_username_is_refused_whatever_its_case(world):
    with pytest.raises(ValidationError, match="taken"):
        access.user_create(by=world.admin, organisation=world.org, username="LEAD", role=Role.CASEWORKER)


def test_a_role_change_is_recorded_with_its_reason_and_lets_go_of_teams_that_no_longer_fit(world):
    access.membership_set_role(
        by=world.admin, membership=membership(world.supervisor), role=Role.CASEWORKER, reason="Asked to step back"
    )
    demoted = membership(world.supervisor)
    assert demoted.role == "caseworker" and not demoted.supervised_teams.exists()
    assert not can(world.supervisor, "view", world.case)
    entry = last_entry("membership.role")
    assert (entry.actor, reason_of(entry), entry.additional_data) == (
        world.admin,
        "Asked to step back",
        {"from": "supervisor", "to": "caseworker"},
    )


def test_someone_with_cases_or_grants_cannot_become_an_admin(world):
    for persona in ("lead", "viewer"):
        with pytest.raises(ValidationError):
            access.membership_set_role(by=world.admin, membership=membership(getattr(world, persona)), role=Role.ADMIN)
        assert membership(getattr(world, persona)).role == "caseworker"
    assert access.role_change_blockers(membership(world.teammate), Role.ADMIN) == []
    access.membership_set_role(by=world.admin, membership=membership(world.teammate), role=Role.ADMIN)
    assert membership(world.teammate).role == "admin" and not membership(world.teammate).teams.exists()


def test_nobody_changes_her_own_role_or_deactivates_herself(world):
    second = access.user_create(by=world.admin, organisation=world.org, username="admin2", role=Role.ADMIN)[0]
    with pytest.raises(PermissionDenied):
        access.membership_set_role(by=world.admin, membership=membership(world.admin), role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        access.membership_deactivate(by=world.admin, membership=membership(world.admin))
    with pytest.raises(PermissionDenied):
        access.person_offboard(by=world.admin, membership=membership(world.admin), reason="Leaving")
    access.membership_deactivate(by=second, membership=membership(world.admin), reason="Handover done")
    assert not User.objects.get(pk=world.admin.pk).is_active


def test_an_admin_of_another_organisation_changes_nothing_here(world):
    other_admin = access.user_create(by=None, organisation=world.other_org, username="other-admin", role=Role.ADMIN)[0]
    for call in (
        lambda: access.membership_deactivate(by=other_admin, membership=membership(world.lead)),
        lambda: access.membership_set_role(by=other_admin, membership=membership(world.lead), role=Role.SUPERVISOR),
        lambda: access.membership_set_teams(by=other_admin, membership=membership(world.lead), teams=[]),
        lambda: access.person_offboard(by=other_admin, membership=membership(world.lead), reason="x"),
        lambda: access.team_create(by=other_admin, organisation=world.org, name="Intruders"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert can(world.lead, "reveal", world.case)


def test_deactivation_keeps_grants_recorded_but_they_give_nothing_until_reactivation(world, client, sign_in):
    sign_in(client, world.viewer)
    assert LoginSession.objects.filter(user=world.viewer).exists()
    access.membership_deactivate(by=world.admin, membership=membership(world.viewer), reason="On leave")
    assert not LoginSession.objects.filter(user=world.viewer).exists()
    assert Grant.objects.current().filter(user=world.viewer).exists()
    assert not can(world.viewer, "view", world.case)
    restores = access.reactivation_restores(membership(world.viewer))
    assert [grant.case for grant in restores["grants"]] == [world.case]
    access.membership_reactivate(by=world.admin, membership=membership(world.viewer), reason="Back from leave")
    assert can(world.viewer, "view", world.case)
    assert reason_of(last_entry("membership.reactivate")) == "Back from leave"


def test_a_reactivated_supervisor_supervises_her_teams_again(world):
    access.membership_deactivate(by=world.admin, membership=membership(world.supervisor))
    assert not can(world.supervisor, "manage", world.case)
    access.membership_reactivate(by=world.admin, membership=membership(world.supervisor))
    assert can(world.supervisor, "manage", world.case)


def test_teams_of_a_deactivated_account_cannot_be_changed(world):
    with pytest.raises(ValidationError, match="deactivated"):
        access.membership_set_teams(by=world.admin, membership=membership(world.deactivated), teams=[world.team_b])


def test_offboarding_deactivates_ends_sessions_revokes_grants_and_lists_her_cases(world, client, sign_in):
    access.grant_add(by=world.admin, case=world.other_case, user=world.coworker, level="view", reason="Cover")
    sign_in(client, world.coworker)
    cases = access.person_offboard(by=world.admin, membership=membership(world.coworker), reason="She left")
    assert cases == [world.case]
    assert not User.objects.get(pk=world.coworker.pk).is_active
    assert not LoginSession.objects.filter(user=world.coworker).exists()
    assert not Grant.objects.current().filter(user=world.coworker).exists()
    assert Grant.objects.filter(user=world.coworker, revoked_by=world.admin).count() == 1
    assert not can(world.coworker, "view", world.other_case)
    entry = last_entry("membership.offboard")
    assert (reason_of(entry), entry.additional_data["grants_revoked"], entry.additional_data["cases"]) == (
        "She left",
        1,
        [world.case.code],
    )
    assert reason_of(last_entry("grant.remove")) == "She left"


def test_offboarding_needs_a_reason(world):
    with pytest.raises(ValidationError):
        access.person_offboard(by=world.admin, membership=membership(world.coworker), reason=" ")
    assert User.objects.get(pk=world.coworker.pk).is_active


def test_a_password_reset_gives_a_temporary_password_and_ends_her_sessions(world, client, sign_in):
    sign_in(client, world.teammate)  # and so she has an authenticator
    password = access.password_reset(by=world.admin, membership=membership(world.teammate), reason="Forgot it")
    teammate = User.objects.get(pk=world.teammate.pk)
    assert teammate.check_password(password) and not teammate.check_password("correct horse battery staple")
    assert membership(teammate).must_change_password
    assert not LoginSession.objects.filter(user=teammate).exists()
    assert reason_of(last_entry("password.reset")) == "Forgot it"
    with pytest.raises(PermissionDenied):
        access.password_reset(by=world.admin, membership=membership(world.admin))


def test_an_admin_can_never_hold_both_her_password_and_her_second_factor(world, client, sign_in):
    # A password reset and a second-factor reset together would let an administrator enrol
    # her own authenticator on someone else's account, and read that person's cases.
    sign_in(client, world.teammate)
    access.password_reset(by=world.admin, membership=membership(world.teammate))
    with pytest.raises(ValidationError, match="temporary password"):
        second_factor_reset(by=world.admin, user=world.teammate)
    sign_in(client, world.lead)
    second_factor_reset(by=world.admin, user=world.lead)
    with pytest.raises(ValidationError, match="no authenticator"):
        access.password_reset(by=world.admin, membership=membership(world.lead))
    assert not membership(world.lead).must_change_password
