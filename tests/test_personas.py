"""The persona lists of tests/personas.py stay true to the world and to the policy table."""

import pytest
from django.contrib.auth.models import User

from tests.access.test_policy_matrix import EXPECTED
from tests.personas import EVERYONE, REVEALERS, STRANGERS, everyone_except


def test_everyone_is_each_person_the_world_is_built_with(world):
    built = tuple(name for name, value in vars(world).items() if isinstance(value, User))
    assert built == EVERYONE


def test_the_roles_are_those_the_policy_table_gives():
    assert {name for name in EVERYONE if "reveal" in EXPECTED[name]["case"]} == REVEALERS
    assert [name for name in STRANGERS if EXPECTED[name]["case"]] == []


def test_everyone_except_keeps_the_order_and_refuses_a_name_that_is_not_a_persona():
    assert everyone_except("lead", "reporter") == EVERYONE[1:-1]
    with pytest.raises(AssertionError, match="nobody"):
        everyone_except("nobody")
