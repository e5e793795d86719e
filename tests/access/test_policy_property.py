"""Any sequence of access changes leaves ``restrict()`` agreeing with the access policy.

Hypothesis drives the real services (assign, grant, revoke, move a case, move a person,
change supervision, deactivate) and the clock over a small fixed universe, while a plain
Python model of DESIGN.md's access policy follows the same sequence. The model is written
from the policy table, not from the services: it keeps facts (who is assigned, which grants
exist and until when, which team each case is in, who supervises what, who is active) and
answers "may this person do this to that case" from them. After each sequence every
(person, case, action) is compared, and every refusal of a service must be a refusal of
the policy too.
"""

import os
from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from casework.access import services as access
from casework.access.models import AccessRequest, Grant, Membership
from casework.accounts.services import second_factor_reset
from casework.cases.choices import AssignmentRole
from casework.cases.models import Case, CaseAssignment
from tests.factories import make_org, make_team, make_user

ACTIONS = ("view", "change", "reveal", "manage")

# The universe: organisation "p" with three teams and organisation "q" with one.
ORG_OF_TEAM = {"t0": "p", "t1": "p", "t2": "p", "x": "q"}
TEAMS = tuple(ORG_OF_TEAM)
# ana and bo are caseworkers; sup0 supervises t0 and sup1 every team of "p" (so that she can
# move cases between teams that others supervise); adm the administrator (and a Django
# superuser, which must change nothing); bo also holds every global case permission (which
# must change nothing either); out works in the other organisation.
ORG_OF_USER = {"ana": "p", "bo": "p", "sup0": "p", "sup1": "p", "adm": "p", "out": "q"}
ROLE = {"ana": "caseworker", "bo": "caseworker", "sup0": "supervisor", "sup1": "supervisor"}
ROLE |= {"adm": "admin", "out": "caseworker"}
USERS = tuple(ORG_OF_USER)
ORG_OF_CASE = {"c0": "p", "c1": "p", "c2": "p", "c3": "q"}
CASES = tuple(ORG_OF_CASE)

# What each kind of access gives, as the policy states it.
ASSIGNMENT_GIVES = {"lead": {"view", "change", "reveal"}, "coworker": {"view", "change"}}
GRANT_GIVES = {"view": {"view"}, "edit": {"view", "change"}, "reveal": {"view", "reveal"}}
SUPERVISION_GIVES = {"view", "change", "reveal", "manage"}


@dataclass
class ModelGrant:
    case: str
    user: str
    level: str
    expires: int | None  # hours on the model's clock
    revoked: bool = False


@dataclass
class Policy:
    """The access policy over plain facts; the starting facts are the universe built below."""

    clock: int = 0  # hours since the example started
    team_of: dict = field(default_factory=lambda: {"c0": "t0", "c1": "t1", "c2": "t2", "c3": "x"})
    assigned: dict = field(default_factory=lambda: {("c0", "ana"): "lead", ("c1", "bo"): "lead", ("c3", "out"): "lead"})
    works_in: dict = field(default_factory=lambda: {"ana": {"t0"}, "bo": {"t1"}, "out": {"x"}})
    supervised: dict = field(default_factory=lambda: {"sup0": {"t0"}})
    supervises_all: set = field(default_factory=lambda: {"sup1"})
    account_active: set = field(default_factory=lambda: set(USERS))
    member_active: set = field(default_factory=lambda: set(USERS))
    grants: list = field(default_factory=list)

    def is_member(self, user, org):
        return user in self.account_active and user in self.member_active and ORG_OF_USER[user] == org

    def works_on(self, user, case):
        """Who may be assigned or granted: an active caseworker or supervisor of the case's organisation."""
        return self.is_member(user, ORG_OF_CASE[case]) and ROLE[user] != "admin"

    def supervises(self, user, team):
        if ROLE[user] != "supervisor" or ORG_OF_TEAM[team] != ORG_OF_USER[user]:
            return False
        return user in self.supervises_all or team in self.supervised.get(user, set())

    def may(self, user, case, action):
        if not self.is_member(user, ORG_OF_CASE[case]):
            return False
        given_by = set()
        if (case, user) in self.assigned:
            given_by |= ASSIGNMENT_GIVES[self.assigned[case, user]]
        for grant in self.grants:
            current = not grant.revoked and (grant.expires is None or grant.expires > self.clock)
            if grant.case == case and grant.user == user and current:
                given_by |= GRANT_GIVES[grant.level]
        if self.supervises(user, self.team_of[case]):
            given_by |= SUPERVISION_GIVES
        return action in given_by

    def may_manage_access(self, by, case):
        # Administrators manage assignments and grants (never content); supervisors those of
        # the cases they manage.
        is_admin = self.is_member(by, ORG_OF_CASE[case]) and ROLE[by] == "admin"
        return is_admin or self.may(by, case, "manage")

    def may_grant(self, by, case, user):
        return by != user and self.may_manage_access(by, case)


class DB:
    """Loads the universe's rows afresh for every call, as the next request would."""

    def __init__(self, pks):
        self.pks = pks
        self.grant_pks = []

    def user(self, name):
        return User.objects.get(pk=self.pks["users"][name])

    def case(self, name):
        return Case.objects.get(pk=self.pks["cases"][name])

    def team(self, name):
        return self.pks["teams"][name]

    def membership(self, name):
        return Membership.objects.select_related("user").get(user_id=self.pks["users"][name])

    def grant(self, index):
        return Grant.objects.get(pk=self.grant_pks[index])


@pytest.fixture
def universe(db):
    """Built once per test through the services; every example runs in a savepoint on top of it."""
    p, q = make_org("p"), make_org("q")
    teams = {"t0": make_team(p, "t0"), "t1": make_team(p, "t1"), "t2": make_team(p, "t2"), "x": make_team(q, "x")}
    users = {
        "ana": make_user(p, "caseworker", teams=[teams["t0"]], username="ana"),
        "bo": make_user(p, "caseworker", teams=[teams["t1"]], username="bo"),
        "sup0": make_user(p, "supervisor", supervises=[teams["t0"]], username="sup0"),
        "sup1": make_user(p, "supervisor", supervises_all=True, username="sup1"),
        "adm": make_user(p, "admin", username="adm", is_superuser=True, is_staff=True),
        "out": make_user(q, "caseworker", teams=[teams["x"]], username="out"),
    }
    users["bo"].user_permissions.add(*Permission.objects.filter(content_type__app_label="cases"))
    cases = {
        "c0": access.case_open(by=users["ana"], team=teams["t0"]),
        "c1": access.case_open(by=users["bo"], team=teams["t1"]),
        "c2": access.case_open(by=users["sup1"], team=teams["t2"]),  # no lead yet
        "c3": access.case_open(by=users["out"], team=teams["x"]),
    }
    return {
        "users": {name: user.pk for name, user in users.items()},
        "teams": teams,
        "cases": {name: case.pk for name, case in cases.items()},
    }


# Operations ---------------------------------------------------------------------------

# An operation names the people it involves by a "pick", resolved when it runs: usually one
# of those the policy makes likely (a manager of the case, someone who works on it), now and
# then anyone at all. Picking everyone at random would make nearly every operation a refusal;
# the policy only steers what is tried, the services and restrict() still decide.
picks = st.integers(0, 23)


def choose(pick, likely, everyone=USERS):
    likely = sorted(likely)
    if likely and pick < 18:
        return likely[pick % len(likely)]
    return everyone[pick % len(everyone)]


# The other organisation's case mostly shows that nothing crosses over; it needs fewer turns.
cases = st.sampled_from(("c0", "c1", "c2", "c3", "c0", "c1", "c2"))
hours = st.sampled_from((1, 2, 24))
expiries = st.sampled_from((1, 2, 24, None))  # None: until revoked
team_sets = st.lists(st.sampled_from(TEAMS), max_size=2, unique=True)
levels = st.sampled_from(("view", "edit", "reveal"))

# How often each kind comes up: deactivation ends a person's part in the story, so it is
# rarer; grants, assignments and the clock are what most sequences are about.
WEIGHTED = (
    (4, st.tuples(st.just("grant_add"), picks, cases, picks, levels, expiries)),
    (3, st.tuples(st.just("assign"), picks, cases, picks, st.sampled_from(("lead", "coworker")))),
    (4, st.tuples(st.just("advance_clock"), hours)),
    (3, st.tuples(st.just("grant_remove"), picks, picks)),
    (2, st.tuples(st.just("unassign"), picks, cases, picks)),
    (3, st.tuples(st.just("move_case"), picks, cases, picks)),
    (2, st.tuples(st.just("set_supervision"), st.sampled_from(USERS), team_sets, st.booleans())),
    (1, st.tuples(st.just("move_worker"), st.sampled_from(USERS), team_sets)),
    (2, st.tuples(st.just("deactivate"), picks)),
    # Django admin's "active" box, switched without touching the membership.
    (2, st.tuples(st.just("enable_login"), picks)),
    (1, st.tuples(st.just("disable_login"), picks)),
)
# Repeating a strategy in sampled_from weighs it (repeating it in one_of did not, in practice).
operations = st.sampled_from([strategy for weight, strategy in WEIGHTED for _ in range(weight)]).flatmap(lambda s: s)


def resolve(op, policy):
    """The operation with its picks turned into people, grants and teams."""
    kind = op[0]
    if kind in ("grant_add", "assign", "unassign", "move_case"):
        by, case = op[1], op[2]
        managers = {user for user in USERS if policy.may(user, case, "manage")}
        workers = {user for user in USERS if policy.works_on(user, case)}
        if kind == "grant_add":
            # A grant shows most when it is the grantee's only way in.
            outside = {user for user in workers if not policy.may(user, case, "view")}
            return (kind, choose(by, managers | {"adm"}), case, choose(op[3], outside or workers), *op[4:])
        if kind == "assign":
            return (kind, choose(by, managers), case, choose(op[3], workers), op[4])
        if kind == "unassign":
            return (kind, choose(by, managers), case, choose(op[3], {u for c, u in policy.assigned if c == case}))
        by = choose(by, managers)
        elsewhere = {team for team in TEAMS if policy.supervises(by, team) and team != policy.team_of[case]}
        return (kind, by, case, choose(op[3], elsewhere, TEAMS))
    if kind == "grant_remove":
        if not policy.grants:
            return None
        index = choose(
            op[2], {i for i, grant in enumerate(policy.grants) if not grant.revoked}, range(len(policy.grants))
        )
        case = policy.grants[index].case
        return (kind, choose(op[1], {"adm"} | {u for u in USERS if policy.may(u, case, "manage")}), index)
    if kind == "deactivate":
        # Deactivating someone assigned or granted shows whether all of it goes (and stays
        # gone when her login is switched back on: those rows are not deleted).
        holders = {user for _case, user in policy.assigned} | {grant.user for grant in policy.grants}
        return (kind, choose(op[1], holders & policy.member_active))
    if kind == "enable_login":
        return (kind, choose(op[1], set(USERS) - policy.account_active))
    if kind == "disable_login":
        holders = {user for _case, user in policy.assigned} | {grant.user for grant in policy.grants}
        return (kind, choose(op[1], holders & policy.account_active))
    return op


def not_adms_to_act(policy, user):
    """adm acts only while she is active herself, and on people of her own organisation."""
    return not policy.is_member("adm", ORG_OF_USER["adm"]) or ORG_OF_USER[user] != ORG_OF_USER["adm"]


def not_adms_to_change(policy, user):
    """adm changes the teams of active people of her own organisation only."""
    active = user in policy.member_active and user in policy.account_active
    return not_adms_to_act(policy, user) or not active


def stop_supervising(policy, user):
    policy.supervised[user] = set()
    policy.supervises_all.discard(user)


def plan(op, policy, db):
    """(does the policy refuse it, the service call, what it changes in the policy's facts)."""
    kind = op[0]
    if kind == "assign":
        _, by, case, user, role = op

        def change():
            if role == "lead":
                for key, held in list(policy.assigned.items()):
                    if key[0] == case and held == "lead" and key[1] != user:
                        policy.assigned[key] = "coworker"
            policy.assigned[case, user] = role

        refused = not (policy.may_manage_access(by, case) and policy.works_on(user, case))
        if role == "lead":
            # The lead may reveal: named by a supervisor of the case's team, from that team.
            in_team = policy.team_of[case] in policy.works_in.get(user, set())
            refused = refused or not (policy.may(by, case, "manage") and in_team)
        return (
            refused,
            lambda: access.case_assign(by=db.user(by), case=db.case(case), user=db.user(user), role=role),
            change,
        )
    if kind == "unassign":
        _, by, case, user = op
        refused = not (policy.may_manage_access(by, case) and (case, user) in policy.assigned)
        return (
            refused,
            lambda: access.case_unassign(by=db.user(by), case=db.case(case), user=db.user(user)),
            lambda: policy.assigned.pop((case, user)),
        )
    if kind == "grant_add":
        _, by, case, user, level, ahead = op
        expires = None if ahead is None else policy.clock + ahead

        def call():
            made = access.grant_add(
                by=db.user(by),
                case=db.case(case),
                user=db.user(user),
                level=level,
                reason="Covering a shift",
                expires=None if ahead is None else timezone.now() + timedelta(hours=ahead),
            )
            if isinstance(made, Grant):  # an administrator's reveal grant is a request: no grant yet
                db.grant_pks.append(made.pk)

        refused = not (policy.may_grant(by, case, user) and policy.works_on(user, case))
        if level == "reveal" and not policy.may(by, case, "manage"):
            # An administrator's reveal grant waits for a supervisor: it gives nothing yet.
            return refused, call, lambda: None
        return refused, call, lambda: policy.grants.append(ModelGrant(case, user, level, expires))
    if kind == "grant_remove":
        _, by, index = op
        grant = policy.grants[index]
        refused = grant.revoked or not policy.may_manage_access(by, grant.case)
        return (
            refused,
            lambda: access.grant_remove(by=db.user(by), grant=db.grant(index)),
            lambda: setattr(grant, "revoked", True),
        )
    if kind == "advance_clock":
        _, ahead = op
        return False, lambda: None, lambda: setattr(policy, "clock", policy.clock + ahead)
    if kind == "move_case":
        _, by, case, team = op
        refused = not (
            policy.may(by, case, "manage") and ORG_OF_TEAM[team] == ORG_OF_CASE[case] and policy.supervises(by, team)
        )
        return (
            refused,
            lambda: access.case_move_team(by=db.user(by), case=db.case(case), team=db.team(team)),
            lambda: policy.team_of.__setitem__(case, team),
        )
    if kind == "move_worker":
        _, user, teams = op
        other_org = any(ORG_OF_TEAM[team] != ORG_OF_USER[user] for team in teams)
        refused = not_adms_to_change(policy, user) or other_org or (teams and ROLE[user] == "admin")
        return (
            refused,
            lambda: access.membership_set_teams(
                by=db.user("adm"), membership=db.membership(user), teams=[db.team(team) for team in teams]
            ),
            # membership_set_teams sets both lists: whoever is given only teams to work in
            # supervises nothing afterwards. The teams one works in give no access by themselves.
            lambda: (stop_supervising(policy, user), policy.works_in.__setitem__(user, set(teams))),
        )
    if kind == "set_supervision":
        _, user, teams, every_team = op
        other_org = any(ORG_OF_TEAM[team] != ORG_OF_USER[user] for team in teams)
        refused = (
            not_adms_to_change(policy, user) or other_org or ((teams or every_team) and ROLE[user] != "supervisor")
        )

        def change():
            # An administrator takes supervision away at once; more of it waits for a supervisor.
            had_all, had = user in policy.supervises_all, policy.supervised.get(user, set())
            stop_supervising(policy, user)
            policy.works_in[user] = set()  # no teams given: she works in none afterwards
            if every_team and had_all:
                policy.supervises_all.add(user)
            elif every_team:
                policy.supervised[user] = set(had)
            else:
                policy.supervised[user] = set(teams) if had_all else set(teams) & had

        return (
            refused,
            lambda: access.membership_set_teams(
                by=db.user("adm"),
                membership=db.membership(user),
                supervised_teams=[db.team(team) for team in teams],
                supervises_all_teams=every_team,
            ),
            change,
        )
    if kind == "deactivate":
        _, user = op

        def change():
            policy.member_active.discard(user)
            policy.account_active.discard(user)

        # An admin acts in her own organisation only, and never on herself.
        # Deactivating an account that is already off (membership and login) is refused too.
        already_off = user not in policy.member_active and user not in policy.account_active
        refused = not_adms_to_act(policy, user) or user == "adm" or already_off
        return refused, lambda: access.membership_deactivate(by=db.user("adm"), membership=db.membership(user)), change
    if kind in ("enable_login", "disable_login"):
        _, user = op
        on = kind == "enable_login"
        return (
            False,
            lambda: User.objects.filter(pk=db.pks["users"][user]).update(is_active=on),
            lambda: (policy.account_active.add if on else policy.account_active.discard)(user),
        )
    raise AssertionError(f"unknown operation {kind}")


def run(op, policy, db):
    op = resolve(op, policy)
    if op is None:
        return
    note(f"{op}")
    refused, call, change = plan(op, policy, db)
    try:
        call()
    except (PermissionDenied, ValidationError):
        service_refused = True
    else:
        service_refused = False
    assert service_refused == bool(refused), f"{op}: the service {'refused' if service_refused else 'allowed'} it"
    event(f"{op[0]} {'refused' if refused else 'done'}")  # see --hypothesis-show-statistics
    if not refused:
        change()


def disagreements(policy, db):
    names = {pk: name for name, pk in db.pks["cases"].items()}
    found = []
    for user_name in USERS:
        user = db.user(user_name)
        for action in ACTIONS:
            actual = {names[pk] for pk in Case.objects.restrict(user, action).values_list("pk", flat=True)}
            expected = {case for case in CASES if policy.may(user_name, case, action)}
            found += [f"{user_name} may {action} {case}: restrict says yes" for case in sorted(actual - expected)]
            found += [f"{user_name} may {action} {case}: restrict says no" for case in sorted(expected - actual)]
    return found


def lead_flags_out_of_step():
    """Cases whose ``has_lead`` (kept by the access services, read by the supervisors' home
    page) disagrees with their assignments."""
    leads = CaseAssignment.objects.filter(case=OuterRef("pk"), role=AssignmentRole.LEAD)
    wrong = Case.objects.annotate(led=Exists(leads)).exclude(has_lead=F("led"))
    return list(wrong.values_list("code", "has_lead"))


class _Rollback(Exception):
    """Raised at the end of every example so that its changes never reach the next one."""


@pytest.mark.slow
@settings(
    # 150 keeps the suite's time in budget now that every access change is chained into the
    # audit trail; CASEWORK_PROPERTY_EXAMPLES=1000 for a deeper run.
    max_examples=int(os.environ.get("CASEWORK_PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# An explicit length: left to itself st.lists keeps most sequences short.
@given(ops=st.integers(1, 15).flatmap(lambda n: st.lists(operations, min_size=n, max_size=n)))
def test_restrict_follows_the_policy_after_any_sequence_of_access_changes(universe, ops):
    policy = Policy()
    db = DB(universe)
    start = timezone.now()
    # restrict() and the services read django.utils.timezone.now() at call time.
    clock = mock.patch("django.utils.timezone.now", side_effect=lambda: start + timedelta(hours=policy.clock))
    try:
        with clock, transaction.atomic():
            for op in ops:
                run(op, policy, db)
            note(f"policy facts: {policy}")
            assert disagreements(policy, db) == []
            assert lead_flags_out_of_step() == []
            raise _Rollback
    except _Rollback:
        pass


# Separation of duties -----------------------------------------------------------------
#
# Issue 14: no sequence of actions by administrators alone gives case access to an account
# whose sign-in an administrator could have controlled. Administrators (adm, and any
# administrator one of them creates) create accounts of every role, set roles, supervision
# and teams, assign, grant, reset passwords and second factors; the accounts' holders enrol
# and choose passwords; now and then sup1 (a vouched supervisor of every team) vouches for
# someone or confirms a pending request. An account is "controlled" once an administrator
# created it or reset its password or second factor, until a supervisor vouches for it;
# after every sequence no controlled account reaches any case through restrict().

ROLES = st.sampled_from(("caseworker", "supervisor", "admin"))
P_TEAMS = st.lists(st.sampled_from(("t0", "t1", "t2")), max_size=2, unique=True)
P_CASES = st.sampled_from(("c0", "c1", "c2"))
ADMIN_MOVES = (
    (3, st.tuples(st.just("create"), picks, ROLES, P_TEAMS, st.booleans())),
    (2, st.tuples(st.just("set_role"), picks, picks, ROLES)),
    (2, st.tuples(st.just("supervision"), picks, picks, P_TEAMS, st.booleans())),
    (1, st.tuples(st.just("teams"), picks, picks, P_TEAMS)),
    (3, st.tuples(st.just("assign"), picks, P_CASES, picks, st.sampled_from(("lead", "coworker")))),
    (3, st.tuples(st.just("grant"), picks, P_CASES, picks, levels)),
    (3, st.tuples(st.just("enrol"), picks)),
    (2, st.tuples(st.just("reset_password"), picks, picks)),
    (2, st.tuples(st.just("reset_second_factor"), picks, picks)),
    (1, st.tuples(st.just("vouch"), picks)),
    (2, st.tuples(st.just("confirm"), picks)),
)
admin_moves = st.sampled_from([s for weight, s in ADMIN_MOVES for _ in range(weight)]).flatmap(lambda s: s)


@dataclass
class Separation:
    """Who may be an administrator's puppet, by the account's history alone."""

    accounts: dict  # name → user pk, organisation "p" only
    admins: list = field(default_factory=lambda: ["adm"])
    controlled: set = field(default_factory=set)

    def pick(self, pick, names=None):
        """Mostly one of the accounts administrators made (the puppets-to-be), now and then anyone."""
        if names is None:
            made = [name for name in self.accounts if name.startswith("n")]
            names = made if made and pick < 16 else self.accounts
        names = sorted(names)
        return names[pick % len(names)]

    def user(self, name):
        return User.objects.get(pk=self.accounts[name])

    def membership(self, name):
        return Membership.objects.select_related("user").get(user_id=self.accounts[name])


def admin_move(op, world, teams, cases):
    """Play one move; return the accounts it puts under an administrator's control (or frees)."""
    kind, *args = op
    teams_of = lambda slugs: [teams[slug] for slug in slugs]  # noqa: E731
    if kind == "create":
        by, role, chosen, every = world.pick(args[0], world.admins), args[1], args[2], args[3]
        name = f"n{len(world.accounts)}"
        supervisor = role == "supervisor"
        user, _password = access.user_create(
            by=world.user(by),
            organisation=world.membership(by).organisation,
            username=name,
            role=role,
            teams=[] if role == "admin" else teams_of(chosen[:1]),
            supervised_teams=teams_of(chosen) if supervisor else [],
            supervises_all_teams=every and supervisor,
        )
        world.accounts[name] = user.pk
        if role == "admin":
            world.admins.append(name)
        return {name}, set()
    if kind in ("set_role", "supervision", "teams", "reset_password", "reset_second_factor"):
        by, target = world.user(world.pick(args[0], world.admins)), world.pick(args[1])
        membership = world.membership(target)
        if kind == "set_role":
            access.membership_set_role(by=by, membership=membership, role=args[2])
        elif kind == "supervision":
            placement = {"teams": list(membership.teams.all()), "supervised_teams": teams_of(args[2])}
            access.membership_set_teams(by=by, membership=membership, **placement, supervises_all_teams=args[3])
        elif kind == "teams":
            placement = {"supervised_teams": list(membership.supervised_teams.all())}
            access.membership_set_teams(
                by=by,
                membership=membership,
                teams=teams_of(args[2]),
                supervises_all_teams=membership.supervises_all_teams,
                **placement,
            )
        elif kind == "reset_password":
            access.password_reset(by=by, membership=membership)
            return {target}, set()
        else:
            second_factor_reset(by=by, user=membership.user)
            return {target}, set()
        return set(), set()
    if kind in ("assign", "grant"):
        by, case, target = world.user(world.pick(args[0], world.admins)), cases[args[1]], world.pick(args[2])
        if kind == "assign":
            access.case_assign(by=by, case=case, user=world.user(target), role=args[3])
        else:
            access.grant_add(by=by, case=case, user=world.user(target), level=args[3], reason="Cover")
        return set(), set()
    if kind == "enrol":
        # Whoever holds the account (its owner or its controller) enrols and chooses a password.
        target = world.pick(args[0])
        membership = world.membership(target)
        if not TOTPDevice.objects.filter(user=membership.user, confirmed=True).exists():
            TOTPDevice.objects.create(user=membership.user, name="authenticator", confirmed=True)
        membership.must_change_password = False
        membership.save(update_fields=["must_change_password"])
        return set(), set()
    if kind == "vouch":
        target = world.pick(args[0])
        access.membership_vouch(by=world.user("sup1"), membership=world.membership(target))
        return set(), {target}
    if kind == "confirm":
        pending = list(AccessRequest.objects.pending().order_by("pk"))
        if pending:
            access.request_confirm(by=world.user("sup1"), request=pending[args[0] % len(pending)])
        return set(), set()
    raise AssertionError(f"unknown move {kind}")


def puppets_reaching_cases(world):
    found = []
    for name in sorted(world.controlled):
        user = world.user(name)
        found += [f"{name} may {action} a case" for action in ACTIONS if Case.objects.restrict(user, action).exists()]
    return found


@pytest.mark.slow
@settings(
    max_examples=int(os.environ.get("CASEWORK_PROPERTY_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.integers(1, 15).flatmap(lambda n: st.lists(admin_moves, min_size=n, max_size=n)))
def test_no_sequence_of_administrator_moves_gives_a_controlled_account_a_case(universe, ops):
    names = ("ana", "bo", "sup0", "sup1", "adm")
    world = Separation(accounts={name: universe["users"][name] for name in names})
    cases = {name: Case.objects.get(pk=pk) for name, pk in universe["cases"].items()}
    try:
        with transaction.atomic():
            for op in ops:
                note(f"{op}")
                try:
                    with transaction.atomic():
                        gained, freed = admin_move(op, world, universe["teams"], cases)
                except (PermissionDenied, ValidationError):
                    event(f"{op[0]} refused")
                    continue
                event(f"{op[0]} done")
                world.controlled = (world.controlled | gained) - freed
            note(f"controlled: {sorted(world.controlled)}")
            assert puppets_reaching_cases(world) == []
            raise _Rollback
    except _Rollback:
        pass
