"""Attack: "an administrator never holds both halves of someone's sign-in".

The guard is the ``must_change_password`` flag: a second-factor reset is refused while the
administrator's temporary password is still hers. But "choosing her own password" accepts
the temporary one typed again (Django's PasswordChangeForm does not compare the new
password with the old), which clears the flag while the administrator still knows the
password. A fooled caseworker ("just type the same one again") is enough.
"""

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from casework.access.models import Membership
from tests.access.test_vouching import code_from
from tests.personas import signed_in_client as force_signed_in


def test_the_temporary_password_kept_as_her_own_lets_the_admin_hold_both_halves(world):
    force_signed_in(world.lead)  # she has her own authenticator
    admin = force_signed_in(world.admin)
    response = admin.post(reverse("access:user_password_reset", args=["lead"]), {"reason": "Forgot it"})
    temporary = response.context["password"]
    # She signs in with it and her own authenticator, and "chooses" the same password.
    lead = force_signed_in(User.objects.get(pk=world.lead.pk))
    data = {"old_password": temporary, "new_password1": temporary, "new_password2": temporary}
    changed = lead.post(reverse("accounts:password"), data)
    # Before the fix this cleared must_change_password; since, it is refused (and stays set).
    assert changed.status_code == 400 or not Membership.objects.get(user=world.lead).must_change_password
    # The administrator still knows her password; now she may take the second factor away too...
    reset = admin.post(reverse("access:user_second_factor_reset", args=["lead"]), {"reason": "Lost phone"})
    # ...and sign in as her with both halves of her own.
    puppet = Client()
    puppet.post(reverse("login"), {"username": "lead", "password": temporary})
    enrol = puppet.get(reverse("accounts:enrol"))
    took_over = enrol.status_code == 200 and "secret" in (enrol.context or {})
    if took_over:
        took_over = puppet.post(reverse("accounts:enrol"), {"code": code_from(enrol.context["secret"])}).status_code
        took_over = took_over == 200
    assert not took_over, (
        f"password change to the temporary one answered {changed.status_code}, second-factor reset "
        f"{reset.status_code}: the administrator holds both halves of the lead caseworker's sign-in"
    )
