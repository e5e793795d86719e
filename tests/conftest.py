"""Named personas around one case, as the access policy table talks about them."""

import contextlib
import copy
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission, User
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from casework.access import services as access
from casework.access.models import Role
from casework.cases.choices import AssignmentRole
from casework.keystore import services as keystore
from tests import signing
from tests.factories import (
    make_admin,
    make_case,
    make_caseworker,
    make_org,
    make_supervisor,
    make_team,
    make_user,
)

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DB_FIXTURES = {"db", "transactional_db", "live_server"}


def pytest_collection_modifyitems(items):
    """Every test that touches the database touches the key store too (casework.keystore:
    each case's key lives there): each such test gets both databases, rolled back alike."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        fixtures = set(getattr(item, "fixturenames", ()))
        if marker is None and not DB_FIXTURES & fixtures:
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if kwargs.get("databases") is None:
            kwargs["databases"] = "__all__"
            if {"transactional_db", "live_server"} & fixtures:
                kwargs.setdefault("transaction", True)
            item.add_marker(pytest.mark.django_db(*(marker.args if marker else ()), **kwargs), append=False)


@pytest.fixture(autouse=True)
def _keys_forgotten():
    """Keys opened by one test never serve the next (SQLite gives a rolled-back case's
    number to the next case)."""
    keystore.forget()
    yield
    keystore.forget()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    # Tests run without collectstatic: serve assets from the source folders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_USE_FINDERS = True
    yield
    # A request in Korean leaves Korean active in this thread (LocaleMiddleware does not put
    # it back): the next test, in the same process, would read its messages in Korean.
    translation.deactivate()


@pytest.fixture
def sign_in():
    """``sign_in(client, user)``: signs ``user`` in on ``client`` with both factors and returns
    the client; ``sign_in(client, user, second_factor=False)`` stops after the password step.
    (The function of tests/signing.py, for helper modules to import.)"""
    return signing.sign_in


@pytest.fixture(scope="module")
def _world_of_the_module(django_db_setup, django_db_blocker):
    """The world, built once per test module (not once per test) inside a transaction that
    is rolled back when the module is done: each test runs in a savepoint inside it, so it
    finds the world exactly as built, and its own changes go with it. (The idea of
    Django's setUpTestData; about 600 queries saved per test.)"""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), rolled_back():
        yield build_world()


@contextlib.contextmanager
def rolled_back():
    """One transaction on the main database and one on the key store, both rolled back at
    the end (for worlds built once per module)."""
    with transaction.atomic(), transaction.atomic(using="keystore"):
        yield
        transaction.set_rollback(True, using="keystore")
        transaction.set_rollback(True)


@pytest.fixture
def world(_world_of_the_module, db):
    """One organisation with two teams, a case in team A and every persona of the policy table.

    ``world.case`` is led by ``lead``, co-worked by ``coworker``; ``viewer``, ``editor``
    and ``revealer`` hold grants; ``other_case`` sits in team B. A fresh copy for each test:
    what a test does to these objects in memory never reaches the next one.
    """
    return copy.deepcopy(_world_of_the_module)


def build_world():
    org = make_org("org-a")
    team_a, team_b = make_team(org, "team-a"), make_team(org, "team-b")
    other_org = make_org("org-b")
    other_team = make_team(other_org, "team-x")
    w = SimpleNamespace(org=org, team_a=team_a, team_b=team_b, other_org=other_org, other_team=other_team)
    w.lead = make_caseworker(org, team_a, username="lead")
    w.coworker = make_caseworker(org, team_a, username="coworker")
    w.teammate = make_caseworker(org, team_a, username="teammate")
    w.other_team_worker = make_caseworker(org, team_b, username="other_team_worker")
    w.viewer = make_caseworker(org, team_b, username="viewer")
    w.editor = make_caseworker(org, team_b, username="editor")
    w.revealer = make_caseworker(org, team_b, username="revealer")
    w.supervisor = make_supervisor(org, team_a, username="supervisor")
    w.other_supervisor = make_supervisor(org, team_b, username="other_supervisor")
    w.head = make_user(org, "supervisor", supervises_all=True, username="head")
    w.admin = make_admin(org, username="admin")
    w.outsider = make_caseworker(other_org, other_team, username="outsider")
    w.deactivated = make_caseworker(org, team_a, username="deactivated")
    w.superuser = make_caseworker(org, team_b, username="superuser", is_superuser=True, is_staff=True)
    w.global_viewer = make_caseworker(org, team_b, username="global_viewer")
    w.global_viewer.user_permissions.add(*Permission.objects.filter(content_type__app_label="cases"))
    w.reporter = make_user(org, Role.REPORTING, username="reporter")  # aggregates only: never a case

    w.case = make_case(w.lead, summary="A short non-identifying summary.")
    w.other_case = make_case(w.other_team_worker)
    access.case_assign(by=w.supervisor, case=w.case, user=w.coworker, role=AssignmentRole.COWORKER)
    access.case_assign(by=w.supervisor, case=w.case, user=w.deactivated, role=AssignmentRole.COWORKER)
    access.grant_add(by=w.supervisor, case=w.case, user=w.viewer, level="view", reason="Covering a shift")
    access.grant_add(by=w.supervisor, case=w.case, user=w.editor, level="edit", reason="Covering a shift")
    access.grant_add(by=w.supervisor, case=w.case, user=w.revealer, level="reveal", reason="Family tracing")
    access.membership_deactivate(by=w.admin, membership=w.deactivated.membership)
    # Reload so that no persona carries a cached permission state into the tests.
    for name, value in list(vars(w).items()):
        if isinstance(value, User):
            setattr(w, name, User.objects.get(pk=value.pk))
    return w
