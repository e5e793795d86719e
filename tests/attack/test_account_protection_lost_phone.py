"""A lost phone reported while an administrator's temporary password is still hers.

An administrator who knows someone's password and can remove her authenticator can enrol
one of her own and become her; the administrators' own tools refuse the pair either way
round (tests/access/test_people.py). "Her phone is lost", reported by a supervisor, removes
the authenticator too, and must refuse in the same case, or the administrator who gave the
temporary password need only tell a supervisor that the phone was lost.
"""

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access.models import Membership
from tests.accounts.test_safety import person_safety, through_pages


def test_a_lost_phone_is_refused_while_an_administrators_temporary_password_is_hers(world):
    through_pages(world.lead)  # she has her own authenticator
    admin, _steps = through_pages(world.admin)
    reset = admin.post(reverse("access:user_password_reset", args=["lead"]), {"reason": "Forgot it"})
    assert reset.status_code == 200
    temporary = reset.context["password"]
    assert Membership.objects.get(user=world.lead).must_change_password
    supervisor, _steps = through_pages(world.supervisor)
    response = person_safety(supervisor, world.lead, "lost", confirm="on", reason="Lost on the bus")
    assert response.status_code == 400
    assert "temporary password" in response.content.decode()
    assert TOTPDevice.objects.filter(user=world.lead, confirmed=True).exists()
    # So the administrator, holding the temporary password, is asked for her code, never
    # offered an enrolment of her own.
    holder = Client()
    assert holder.post(reverse("login"), {"username": "lead", "password": temporary}).url == reverse("accounts:verify")
    assert holder.get(reverse("accounts:verify")).status_code == 200
