"""One membership per request: loaded with the user, read by every door as request.membership."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.access import services as access
from casework.access.models import Membership, active_membership


def _queries_of(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries]


@pytest.mark.parametrize("persona", ["lead", "supervisor", "admin"])
def test_a_page_asks_for_the_membership_once_with_the_user(client, world, sign_in, persona):
    sign_in(client, getattr(world, persona))
    sql = _queries_of(client, reverse("providers:list"))
    with_the_user = [query for query in sql if 'FROM "auth_user"' in query and '"access_membership"' in query]
    on_its_own = [query for query in sql if query.lstrip().startswith('SELECT "access_membership"')]
    assert len(with_the_user) == 1
    assert on_its_own == []


def test_one_organisation_per_person_is_a_one_to_one(world):
    field = Membership._meta.get_field("user")
    assert field.one_to_one
    assert world.lead.membership.organisation == world.org


def test_active_means_the_membership_and_the_account(world):
    lead = world.lead
    assert active_membership(lead) == lead.membership
    access.membership_deactivate(by=world.admin, membership=lead.membership, reason="Left")
    # ``lead`` still holds the copy from before: a user that did not come from a request is
    # asked of the database, never trusted from memory.
    assert lead.membership.is_active and lead.is_active
    assert active_membership(lead) is None
    assert not Membership.objects.active().filter(user=lead).exists()


def test_a_deactivated_person_is_refused_on_her_next_request(client, world, sign_in):
    sign_in(client, world.lead)
    assert client.get(reverse("providers:list")).status_code == 200
    membership = Membership.objects.get(user=world.lead)
    membership.is_active = False  # the membership alone (the account still signs in)
    membership.save(update_fields=["is_active"])
    assert client.get(reverse("providers:list")).status_code == 404
    assert client.get(reverse("cases:list")).status_code == 404


def test_nobody_signed_in_has_no_membership():
    assert active_membership(AnonymousUser()) is None
    assert active_membership(None) is None
