"""Separation of duties: an administrator manages access and never reaches a case."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from casework.access import services as access
from casework.access.models import Grant
from casework.audit.models import AuditEntry
from tests.accounts.test_csrf import every_route, fill, records  # noqa: F401  (records is a fixture)
from tests.factories import make_admin


def case_routes(records):  # noqa: F811
    return sorted({fill(route, records) for route in every_route() if route.startswith("cases/")})


def test_an_admin_gets_404_on_every_case_url_whatever_the_method(client, world, records, sign_in):  # noqa: F811
    sign_in(client, world.admin)
    urls = case_routes(records)
    assert reverse("cases:list") in urls and reverse("cases:detail", args=[world.case.display_code]) in urls
    answers = {url: (client.get(url).status_code, client.post(url, {"reason": "x"}).status_code) for url in urls}
    # A POST-only route answers a GET with 405 for any code at all, before looking at the case.
    assert {url: answer for url, answer in answers.items() if answer not in {(404, 404), (405, 404)}} == {}
    assert sum(answer == (404, 404) for answer in answers.values()) > 20


def test_the_same_urls_answer_a_supervisor_of_the_case(client, world, records, sign_in):  # noqa: F811
    # So that the 404s above are the separation of duties, not URLs that exist for nobody.
    sign_in(client, world.supervisor)
    ok = [url for url in case_routes(records) if client.get(url).status_code == 200]
    assert reverse("cases:list") in ok and reverse("cases:detail", args=[world.case.display_code]) in ok


def test_an_admin_is_not_offered_the_cases_and_is_offered_access_management(client, world, sign_in):
    sign_in(client, world.admin)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("cases:list")}"' not in page
    assert reverse("access:users") in page and reverse("access:cases") in page


def test_an_admin_cannot_grant_herself_a_case(world):
    with pytest.raises(PermissionDenied, match="yourself"):
        access.grant_add(by=world.admin, case=world.case, user=world.admin, level="view", reason="Curious")
    assert not Grant.objects.filter(user=world.admin).exists()


def test_a_second_admin_cannot_grant_an_admin_a_case_either(world):
    second = make_admin(world.org, username="second-admin")
    with pytest.raises(ValidationError, match="never work on cases"):
        access.grant_add(by=second, case=world.case, user=world.admin, level="view", reason="Cover")
    assert not Grant.objects.filter(user=world.admin).exists()


def test_nobody_grants_across_organisations(world):
    with pytest.raises(ValidationError, match="own organisation"):
        access.grant_add(by=world.admin, case=world.case, user=world.outsider, level="view", reason="Partner")
    foreign_admin = make_admin(world.other_org, username="foreign-admin")
    with pytest.raises(PermissionDenied, match="your own organisation"):
        access.grant_add(by=foreign_admin, case=world.case, user=world.lead, level="reveal", reason="Partner")
    assert not Grant.objects.filter(user__in=[world.outsider, world.lead]).exists()
    assert not AuditEntry.objects.filter(event="grant.add", actor__in=[world.admin, foreign_admin]).exists()


def test_a_supervisor_grants_and_an_admin_assigns_but_neither_for_herself(world):
    access.grant_add(by=world.supervisor, case=world.case, user=world.teammate, level="view", reason="Cover")
    access.case_assign(by=world.admin, case=world.case, user=world.teammate, reason="Long-term cover")
    with pytest.raises(PermissionDenied, match="yourself"):
        access.grant_add(
            by=world.other_supervisor, case=world.case, user=world.other_supervisor, level="view", reason="x"
        )


def test_the_django_admin_site_is_not_installed():
    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    assert not any(route.startswith("admin") for route in every_route())


def test_a_check_warns_of_an_active_superuser_when_debug_is_off(db, settings):
    settings.DEBUG = False
    User.objects.filter(is_superuser=True).update(is_active=False)  # a module's shared world has one
    assert not [m for m in run_checks() if m.id == "casework.W201"]
    root = User.objects.create_user("root-account", is_superuser=True)
    assert [m.id for m in run_checks() if m.id == "casework.W201"] == ["casework.W201"]
    settings.DEBUG = True
    assert not [m for m in run_checks() if m.id == "casework.W201"]
    settings.DEBUG = False
    root.is_active = False
    root.save(update_fields=["is_active"])
    assert not [m for m in run_checks() if m.id == "casework.W201"]
