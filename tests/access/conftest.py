import pytest

from tests.factories import make_case


@pytest.fixture
def foreign_case(world):
    """A case of the other organisation, led by its own caseworker (``world.outsider``)."""
    return make_case(world.outsider)


@pytest.fixture
def admin_client(client, sign_in, world):
    """The test's ``client``, signed in as the organisation's administrator (``world.admin``).
    (It stands in for pytest-django's fixture of the same name, which makes a superuser.)"""
    return sign_in(client, world.admin)
