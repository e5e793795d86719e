"""A supervisor signs in under duress: every other supervisor of her organisation must hear of it.

The duress flag is "a flag that only her supervisors see", and every protection act is for
the supervisors' trail. A supervisor is no member of the team she supervises, so the trail's
"her teams' people" left her out: the head of the organisation, the one person who may
unfreeze her, found nothing in her trail nor among her flags.
"""

from django.core.management import call_command
from django.urls import reverse

from casework.accounts import protection
from tests.accounts.test_safety import DURESS_PASSWORD, through_pages


def test_a_supervisors_duress_sign_in_is_in_the_trail_and_flags_of_every_other_supervisor(world):
    protection.duress_password_set(user=world.other_supervisor, password=DURESS_PASSWORD)
    through_pages(world.other_supervisor, password=DURESS_PASSWORD)
    head, _steps = through_pages(world.head)
    trail = head.get(reverse("audit:trail"), {"event": "account.duress"})
    assert trail.status_code == 200
    assert "other_supervisor" in trail.content.decode()
    flags = head.get(reverse("audit:flags")).content.decode()
    assert "Duress sign-in" in flags and "other_supervisor" in flags
    # A supervisor of another team hears of it too: a supervisor's alarm is for every other
    # supervisor (in an organisation with one supervisor per team, nobody else would hear).
    supervisor, _steps = through_pages(world.supervisor)
    assert "other_supervisor" in supervisor.get(reverse("audit:flags")).content.decode()
    # A caseworker's is for her own team's supervisors alone.
    protection.duress_password_set(user=world.other_team_worker, password=DURESS_PASSWORD)
    through_pages(world.other_team_worker, password=DURESS_PASSWORD)
    assert "other_team_worker" not in supervisor.get(reverse("audit:flags")).content.decode()
    assert "other_team_worker" in head.get(reverse("audit:flags")).content.decode()
    call_command("audit_verify")
