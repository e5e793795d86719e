"""Attack: what gives a supervisor's reach back is not in any supervisor's trail.

Reactivating a supervisor restores her supervision (every case of her teams, reveal
included) at once, with no confirmation. ``membership.reactivate`` is reviewed by
supervisors only "about members" of their teams, i.e. people who *work* in a team they
supervise; a supervisor works in none. So no supervisor, not even the head supervisor of
every team, sees that an administrator switched a supervisor back on (nor that she
switched her off); deactivation and reactivation are not in SUPERVISOR_ORGANISATION_EVENTS.
"""

from casework.access import services as access
from casework.access.models import Membership
from casework.audit.review import entries_for
from casework.cases.models import Case


def test_reactivating_a_supervisor_shows_in_no_supervisors_trail(world):
    membership = Membership.objects.get(user=world.other_supervisor)
    access.membership_deactivate(by=world.admin, membership=membership, reason="Away")
    access.membership_reactivate(by=world.admin, membership=Membership.objects.get(pk=membership.pk), reason="Back")
    # Her reach is back, at once.
    assert Case.objects.restrict(world.other_supervisor, "reveal").filter(pk=world.other_case.pk).exists()
    # At the least the head supervisor, who supervises team B too, must be told.
    seen = entries_for(world.head).filter(event__in=["membership.deactivate", "membership.reactivate"])
    assert set(seen.values_list("event", flat=True)) == {"membership.deactivate", "membership.reactivate"}, (
        "an administrator switched a supervisor off and on again (her reach came back at once) "
        "and no supervisor's trail shows it"
    )
