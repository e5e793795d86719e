"""The people of the test world by name and by role, and the few helpers tests share to act as one.

The world itself is ``build_world`` in tests/conftest.py: ``world.<name>`` is the user of each
name below. ``world.case`` is in team A, led by ``lead`` with ``coworker``; ``viewer``, ``editor``
and ``revealer`` hold grants on it; ``other_case`` is in team B; ``outsider`` works for another
organisation; ``reporter`` has the reporting role (the organisation's reports, no case). What
each of them may do is the policy table in tests/access/test_policy_matrix.py.
"""

from django.contrib.auth.models import AnonymousUser, User
from django.test import Client
from django.urls import reverse

from casework.access.models import Membership
from tests.signing import sign_in

# Everyone build_world makes, in the order it makes them (tests/test_personas.py holds the two together).
EVERYONE = (
    "lead",
    "coworker",
    "teammate",
    "other_team_worker",
    "viewer",
    "editor",
    "revealer",
    "supervisor",
    "other_supervisor",
    "head",
    "admin",
    "outsider",
    "deactivated",
    "superuser",
    "global_viewer",
    "reporter",
)
# Someone signed out: not a user of the world, but a persona of the policy table.
ANONYMOUS = "anonymous"
# Who may reveal the identity on world.case: its lead, the holder of a reveal grant on it, and
# the supervisors of team A.
REVEALERS = frozenset({"lead", "revealer", "supervisor", "head"})
# Caseworkers of world.case whose accounts are protected (casework.accounts.protection): frozen,
# in travel mode, signed in with the duress password. The policy matrix makes them
# (tests/access/test_policy_matrix.py, ``matrix_world``): each reaches nothing, like an empty account.
PROTECTED = ("frozen", "travelling", "duress")
# Who may not even see world.case, each for another reason: another organisation, another team,
# the administrator (who manages access but never reads a case).
STRANGERS = ("outsider", "other_team_worker", "admin")


def everyone_except(*names):
    """``EVERYONE`` but ``names``, in the same order (a name that is not a persona is a mistake)."""
    unknown = set(names) - set(EVERYONE)
    assert not unknown, f"not personas of the world: {sorted(unknown)}"
    return tuple(name for name in EVERYONE if name not in names)


def person(world, name):
    """The user called ``name`` in ``world``; for ``ANONYMOUS``, Django's anonymous user."""
    return AnonymousUser() if name == ANONYMOUS else getattr(world, name)


def fresh(user):
    """The user as her next request would load her: permission changes act on the next request."""
    return User.objects.get(pk=user.pk)


def membership(user):
    """Her membership, as it is stored now."""
    return Membership.objects.select_related("user").get(user=user)


def signed_in_client(user):
    """A client of her own, signed in with both factors (beside the test's ``client``)."""
    return sign_in(Client(), user)


def case_page(case):
    """The address of the case's page: the one a persona is let into, or answered 404."""
    return reverse("cases:detail", args=[case.display_code])
