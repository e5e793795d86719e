"""An account created by an administrator: temporary password, authenticator, own password."""

from django.test import Client
from django.urls import reverse

from casework.access import services as access
from casework.access.models import Membership
from casework.audit.models import AuditEntry


def test_nothing_opens_until_the_temporary_password_is_replaced(world, sign_in):
    user, temporary = access.user_create(
        by=world.admin, organisation=world.org, username="newcomer", role="caseworker", teams=[world.team_a]
    )
    client = Client()
    response = client.post(reverse("login"), {"username": "newcomer", "password": temporary})
    assert response.status_code == 302
    assert client.get(reverse("home")).url == reverse("accounts:enrol")  # the authenticator first
    sign_in(client, user)  # as after enrolment: both factors, and a fresh sign-in
    for url in (reverse("home"), reverse("cases:list"), reverse("accounts:security")):
        response = client.get(url)
        assert (response.status_code, response.url) == (302, reverse("accounts:password")), url
    page = client.get(reverse("accounts:password"))
    assert page.status_code == 200 and "temporary password" in page.content.decode()
    new = "a long walk by the quiet river"
    response = client.post(
        reverse("accounts:password"), {"old_password": temporary, "new_password1": new, "new_password2": new}
    )
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert not Membership.objects.get(user=user).must_change_password
    entry = AuditEntry.objects.filter(event="password.change", actor=user).get()
    assert entry.additional_data["replaced_temporary"] is True


def test_people_who_chose_their_own_password_are_not_sent_there(client, world, sign_in):
    sign_in(client, world.lead)
    assert client.get(reverse("home")).status_code == 200
