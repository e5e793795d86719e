"""The provider directory: everyone in the organisation reads it, supervisors and admins keep it."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from casework.access.models import Membership
from casework.audit.models import AuditEntry
from casework.cases.models import ServiceProvider
from tests.factories import make_provider, make_referral, make_user

KEEPERS = ["supervisor", "head", "admin"]
VALID = {"name": "Seoul legal aid", "services": ["legal", "documents"], "region": "KR", "secure_channel": "Signal"}


def rows():
    return list(ServiceProvider.objects.order_by("pk").values())


def urls(provider):
    """Every directory URL, with the method that uses it and data that would change something."""
    return [
        ("get", reverse("providers:list"), {}),
        ("get", reverse("providers:detail", args=[provider.uid]), {}),
        ("post", reverse("providers:new"), VALID),
        ("post", reverse("providers:edit", args=[provider.uid]), {**VALID, "version": provider.version}),
        ("post", reverse("providers:set_active", args=[provider.uid]), {"version": provider.version, "active": "0"}),
    ]


@pytest.fixture
def provider(world):
    return make_provider(world.org, name="Yanbian shelter")


def test_anonymous_is_sent_to_login(client, provider):
    before = rows()
    for method, url, data in urls(provider):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login")), url
    assert rows() == before


@pytest.mark.parametrize("persona", ["membership_inactive", "nobody"])
def test_without_an_active_membership_everything_is_404(client, world, provider, persona, sign_in):
    user = make_user(world.org if persona == "membership_inactive" else None, "supervisor", username=persona)
    for membership in Membership.objects.filter(user=user):  # the account still signs in; the membership is gone
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    sign_in(client, user)
    before = rows()
    for method, url, data in urls(provider):
        assert getattr(client, method)(url, data).status_code == 404, url
    assert rows() == before


@pytest.mark.parametrize("persona", ["outsider", "supervisor", "lead"])
def test_a_provider_of_another_organisation_is_404(client, world, persona, sign_in):
    theirs = make_provider(world.other_org if persona != "outsider" else world.org, name="Not yours")
    sign_in(client, getattr(world, persona))
    before = rows()
    for method, url, data in urls(theirs)[1:2]:
        assert getattr(client, method)(url, data).status_code == 404, url
    if persona == "supervisor":  # she keeps her own directory, not theirs
        for method, url, data in urls(theirs)[3:]:
            assert getattr(client, method)(url, data).status_code == 404, url
    assert rows() == before


def test_the_list_shows_only_the_organisations_own_providers(client, world, provider, sign_in):
    make_provider(world.other_org, name="Across the border")
    sign_in(client, world.lead)
    page = client.get(reverse("providers:list")).content.decode()
    assert "Yanbian shelter" in page and "Across the border" not in page
    assert "<title>Service providers · casework</title>" in page
    assert "Add a provider" not in page


def test_a_caseworker_reads_the_directory_but_cannot_change_it(client, world, provider, sign_in):
    sign_in(client, world.lead)
    assert client.get(reverse("providers:detail", args=[provider.uid])).status_code == 200
    before = rows()
    for method, url, data in urls(provider)[2:]:
        assert client.get(url).status_code in (403, 405), url
        assert getattr(client, method)(url, data).status_code == 403, url
    assert rows() == before


@pytest.mark.parametrize("persona", KEEPERS)
def test_supervisors_and_admins_add_a_provider(client, world, persona, sign_in):
    sign_in(client, getattr(world, persona))
    response = client.post(reverse("providers:new"), VALID)
    provider = ServiceProvider.objects.get(name="Seoul legal aid")
    assert response["Location"] == reverse("providers:detail", args=[provider.uid])
    assert (provider.organisation, provider.services, provider.region) == (world.org, ["legal", "documents"], "KR")


@pytest.mark.parametrize("persona", KEEPERS)
def test_supervisors_and_admins_edit_a_provider(client, world, provider, persona, sign_in):
    sign_in(client, getattr(world, persona))
    response = client.post(reverse("providers:edit", args=[provider.uid]), {**VALID, "version": provider.version})
    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.name, provider.secure_channel, provider.version) == ("Seoul legal aid", "Signal", 2)
    entry = AuditEntry.objects.filter(event="serviceprovider.update").latest("pk")
    assert (entry.actor, entry.object_pk) == (getattr(world, persona), str(provider.pk))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": " "}, "This field is required"),
        ({"name": "another ONE"}, "already in the directory"),
        ({"services": ["teleportation"]}, "Select a valid choice"),
        ({"region": "Pyongyang"}, "Select a valid choice"),
        ({"secure_channel": "x" * 201}, "at most 200 characters"),
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(client, world, provider, change, message, sign_in):
    make_provider(world.org, name="Another one")
    sign_in(client, world.supervisor)
    before = rows()
    for url, data in [
        (reverse("providers:new"), {**VALID, **change}),
        (reverse("providers:edit", args=[provider.uid]), {**VALID, "version": provider.version, **change}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400, url
        assert message in response.content.decode()
    assert rows() == before


def test_a_deactivated_provider_leaves_new_referrals_but_keeps_old_ones(client, world, provider, sign_in):
    referral = make_referral(world.case, world.lead, provider=provider)
    sign_in(client, world.supervisor)
    url = reverse("providers:set_active", args=[provider.uid])
    assert client.post(url, {"version": provider.version, "active": "0"}).status_code == 302
    provider.refresh_from_db()
    assert not provider.is_active
    referral.refresh_from_db()
    assert referral.provider == provider
    sign_in(client, world.lead)
    form = client.get(reverse("cases:referral_new", args=[world.case.display_code])).content.decode()
    assert "Yanbian shelter" not in form
    assert "Inactive" in client.get(reverse("providers:list")).content.decode()
    sign_in(client, world.admin)
    assert client.post(url, {"version": provider.version, "active": "1"}).status_code == 302
    provider.refresh_from_db()
    assert provider.is_active and provider.version == 3


def test_a_stale_deactivation_changes_nothing(client, world, provider, sign_in):
    sign_in(client, world.supervisor)
    url = reverse("providers:set_active", args=[provider.uid])
    assert client.post(url, {"version": provider.version + 1, "active": "0"}).status_code == 302
    assert client.post(url, {"version": provider.version, "active": "maybe"}).status_code == 400
    provider.refresh_from_db()
    assert provider.is_active and provider.version == 1


def test_providers_are_never_deleted(provider):
    with pytest.raises(NoReverseMatch):
        reverse("providers:delete", args=[provider.uid])


def test_two_people_editing_the_same_provider_see_a_conflict(world, provider, sign_in):
    url = reverse("providers:edit", args=[provider.uid])
    first, second = Client(), Client()
    sign_in(first, world.supervisor)
    sign_in(second, world.admin)
    assert first.post(url, {**VALID, "version": 1, "region": "CN-JL"}).status_code == 302
    response = second.post(url, {**VALID, "version": 1, "secure_channel": "Her careful channel note"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Her careful channel note" in page and "Jilin" in page
    provider.refresh_from_db()
    assert (provider.region, provider.version) == ("CN-JL", 2)


def test_the_list_query_count_stays_flat(client, world, sign_in):
    sign_in(client, world.lead)
    counts = []
    for size in (3, 27):
        for _ in range(size):
            make_provider(world.org)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("providers:list")).status_code == 200
        counts.append(len(queries))
    assert counts[1] <= counts[0] <= 10, counts


def test_the_services_check_the_role_again(world, provider):
    from django.core.exceptions import PermissionDenied

    from casework.cases.services.providers import provider_add, provider_set_active, provider_update

    with pytest.raises(PermissionDenied):
        provider_add(by=world.lead, organisation=world.org, name="Sneaky")
    with pytest.raises(PermissionDenied):
        provider_update(by=world.lead, provider=provider, version=1, name="Renamed")
    with pytest.raises(PermissionDenied):
        provider_set_active(by=world.outsider, provider=provider, active=False, version=1)
    assert rows() == [{**rows()[0], "name": "Yanbian shelter", "is_active": True, "version": 1}]
