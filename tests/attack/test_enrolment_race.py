"""Attack: first enrolment is checked at the start of the request, not where it is saved.

The enrolment page lets a password-only session enrol only while the account has no
authenticator (``replacing`` is computed when the request starts). ``enrol_confirm`` then
deletes *every* device of the account and saves this session's, without looking again.
An administrator who kept the temporary password of a new account (she was shown it) and
has an enrolment under way in a half-signed-in session confirms it while the real person
is confirming hers: if the person's commit lands between the administrator's check and her
save, the person's authenticator is deleted and the administrator's takes its place; the
administrator's session is fully signed in as her. Played here by committing the owner's
enrolment at that point of the administrator's request.
"""

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access.models import Role
from casework.accounts import services
from casework.accounts.services import AUTHENTICATOR
from tests.access.test_vouching import admin_creates, code_from
from tests.personas import signed_in_client as force_signed_in


def test_a_half_signed_in_enrolment_replaces_one_confirmed_meanwhile(world, monkeypatch):
    password = admin_creates(force_signed_in(world.admin), "newcomer", Role.CASEWORKER, teams=[world.team_a.pk])
    attacker = Client()
    attacker.post(reverse("login"), {"username": "newcomer", "password": password})
    secret = attacker.get(reverse("accounts:enrol")).context["secret"]

    real = services.enrolment
    owner_device = {}

    def owner_confirms_meanwhile(request):
        device = real(request)
        if device is not None and not owner_device:
            # The owner's own enrolment (another session) commits now.
            owner_device["pk"] = TOTPDevice.objects.create(user=request.user, name=AUTHENTICATOR, confirmed=True).pk
        return device

    monkeypatch.setattr(services, "enrolment", owner_confirms_meanwhile)
    response = attacker.post(reverse("accounts:enrol"), {"code": code_from(secret)})
    monkeypatch.undo()
    assert TOTPDevice.objects.filter(pk=owner_device["pk"]).exists(), (
        f"a password-only session (answered {response.status_code}) deleted the authenticator the owner had "
        "just confirmed and put its own in its place"
    )
