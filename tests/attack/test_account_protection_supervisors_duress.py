"""A supervisor signs in under duress: whoever supervises her teams must hear of it.

The duress flag is "a flag that only her supervisors see", and every protection act is for
the supervisors' trail. A supervisor is no member of the team she supervises, so the trail's
"her teams' people" left her out: the head of the organisation, the one person who may
unfreeze her, found nothing in her trail nor among her flags.
"""

from django.core.management import call_command
from django.urls import reverse

from casework.accounts import protection
from tests.accounts.test_safety import DURESS_PASSWORD, through_pages


def test_a_supervisors_duress_sign_in_is_in_the_trail_and_flags_of_whoever_supervises_her_teams(world):
    protection.duress_password_set(user=world.other_supervisor, password=DURESS_PASSWORD)
    through_pages(world.other_supervisor, password=DURESS_PASSWORD)
    head, _steps = through_pages(world.head)
    trail = head.get(reverse("audit:trail"), {"event": "account.duress"})
    assert trail.status_code == 200
    assert "other_supervisor" in trail.content.decode()
    flags = head.get(reverse("audit:flags")).content.decode()
    assert "Duress sign-in" in flags and "other_supervisor" in flags
    # A supervisor of another team hears nothing.
    supervisor, _steps = through_pages(world.supervisor)
    assert "other_supervisor" not in supervisor.get(reverse("audit:flags")).content.decode()
    elsewhere = supervisor.get(reverse("audit:trail"), {"event": "account.duress"})
    assert "other_supervisor" not in elsewhere.content.decode()
    call_command("audit_verify")
