"""CSRF is enforced on every route of the project. The routes come from the URL resolver, so a
route added tomorrow is tested tomorrow; a route whose parameters this file cannot fill fails."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from casework.access import services as access
from tests.factories import make_contact, make_journey_step, make_need, make_provider, make_referral

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
# Which record a <uid> stands for, by the path segment just before it.
UID_OWNERS = {
    "contacts": "contact",
    "needs": "need",
    "journey": "journey_step",
    "referrals": "referral",
    "providers": "provider",
    "requests": "access_request",
    "inbox": "packet",
    "partners": "partnership",
    "remote": "partnership",
    "packets": "packet",
    "answers": "answer",
}
# For a record the test's world does not hold (partnerships, packets: tests/partners has its own).
NO_RECORD_UID = "00000000-0000-4000-8000-000000000000"


def every_route(resolver=None, prefix=""):
    """Every route of the project as its full pattern text, e.g. ``cases/<str:code>/needs/<str:uid>/``."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if not isinstance(entry.pattern, RoutePattern):
            pytest.fail(f"{prefix}{entry.pattern} is not a path(): teach this test to build its URL")
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from every_route(entry, route)
        else:
            assert isinstance(entry, URLPattern)
            yield route


def fill(route, records):
    def value(match):
        name = match["name"]
        if name == "code":
            return records["case"].display_code
        if name == "uid":
            owner = UID_OWNERS.get(route[: match.start()].rstrip("/").rsplit("/", 1)[-1])
            if owner is None:
                pytest.fail(f"/{route}: cannot tell what <uid> stands for; add it to UID_OWNERS")
            return str(records[owner].uid) if owner in records else NO_RECORD_UID
        if name == "username":
            return records["case"].created_by.username
        if name == "slug":
            return records["case"].team.slug
        if name == "grant_uid":
            return str(records["case"].grants.order_by("pk").first().uid)
        if name == "section":
            return "regions"  # a table of the reports
        pytest.fail(f"/{route}: no value for <{name}>; teach this test to fill it")

    return "/" + PARAMETER.sub(value, route)


@pytest.fixture
def records(world):
    provider = make_provider(world.org)
    return {
        "case": world.case,
        "contact": make_contact(world.case, world.lead),
        "need": make_need(world.case, world.lead),
        "journey_step": make_journey_step(world.case, world.lead),
        "referral": make_referral(world.case, world.lead, provider=provider),
        "provider": provider,
        "access_request": access.request_supervision(
            by=world.admin, membership=world.teammate.membership, teams=[world.team_a]
        ),
    }


def test_the_walk_finds_the_routes_that_change_things(records):
    urls = {fill(route, records) for route in every_route()}
    code = records["case"].display_code
    for expected in [
        reverse("login"),
        reverse("logout"),
        reverse("accounts:exit"),
        reverse("set_language"),
        reverse("cases:new"),
        reverse("cases:close", args=[code]),
        reverse("cases:need_status", args=[code, records["need"].uid]),
        reverse("providers:set_active", args=[records["provider"].uid]),
    ]:
        assert expected in urls
    assert len(urls) > 30


@pytest.mark.parametrize("who", ["supervisor", "anonymous"])
def test_every_route_refuses_a_post_without_a_token(world, records, who, sign_in):
    client = Client(enforce_csrf_checks=True)
    if who != "anonymous":
        sign_in(client, getattr(world, who))  # the supervisor may do everything on the case
    refused = {}
    for route in every_route():
        url = fill(route, records)
        response = client.post(url, {"reason": "CSRF test"})
        refused[url] = response.status_code
        if response.status_code == 403:
            assert {t.name for t in response.templates} & {"403_csrf.html", "accounts/weather.html"}, url
    assert {url: status for url, status in refused.items() if status != 403} == {}


def test_the_same_post_with_the_token_gets_through(world, sign_in):
    client = Client(enforce_csrf_checks=True)
    sign_in(client, world.lead)
    token = client.get("/").context["csrf_token"]
    response = client.post(reverse("accounts:exit"), {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302  # so the 403s above are the CSRF check, not something else
