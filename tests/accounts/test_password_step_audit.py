"""A right password is evidence on its own: the first step of signing in is in the trail, so
a leaked password shows to her supervisors and administrators even if no code ever follows."""

from django.test import Client
from django.urls import reverse

from casework.audit.models import AuditEntry
from tests.factories import PASSWORD
from tests.signing import sign_in


def password_step(user, password):
    return Client().post(reverse("login"), {"username": user.username, "password": password})


def trail_events(client, viewer, username):
    sign_in(client, viewer)
    response = client.get(reverse("audit:trail"), {"user": username})
    assert response.status_code == 200
    return [entry.event for entry in response.context["entries"]]


def test_a_right_password_without_a_code_is_recorded_and_a_wrong_one_is_not_that(world):
    assert password_step(world.lead, "not her password").status_code == 200
    assert not AuditEntry.objects.filter(event="login.password").exists()
    assert password_step(world.lead, PASSWORD).url == reverse("accounts:verify")  # and stops there
    entry = AuditEntry.objects.get(event="login.password")
    assert (entry.actor, entry.outcome, entry.organisation_id) == (world.lead, "ok", world.org.pk)
    assert PASSWORD not in str(AuditEntry.objects.filter(pk=entry.pk).values().get())


def test_her_supervisor_and_the_administrators_see_it_others_do_not(client, world):
    password_step(world.lead, PASSWORD)
    assert "login.password" in trail_events(client, world.supervisor, "lead")
    assert "login.password" in trail_events(client, world.admin, "lead")
    assert "login.password" not in trail_events(client, world.other_supervisor, "lead")
