"""Attack: what an administrator asked for outlives the person leaving.

"This person left" deactivates her, ends her sessions and revokes every grant, but leaves
her pending requests (a reveal grant, becoming a supervisor of every team) waiting at
/access/confirmations/. Reactivated (by an administrator alone, any time later), she is
back in every supervisor's list with a months-old request that no longer describes anyone's
wish, and one click gives her a reveal grant the off-boarding was meant to end.
"""

from casework.access import services as access
from casework.access.models import AccessRequest, Membership
from casework.cases.models import Case


def test_offboarding_leaves_her_requests_waiting(world):
    membership = Membership.objects.get(user=world.teammate)
    access.grant_add(by=world.admin, case=world.other_case, user=world.teammate, level="reveal", reason="Tracing")
    access.membership_set_role(by=world.admin, membership=membership, role="supervisor", reason="Promotion")
    assert AccessRequest.objects.pending().filter(membership=membership).count() == 2
    access.person_offboard(by=world.admin, membership=membership, reason="She left")
    access.membership_reactivate(by=world.admin, membership=Membership.objects.get(pk=membership.pk), reason="Oops")
    waiting = AccessRequest.objects.pending().filter(membership=membership)
    for request in list(waiting):
        if access.may_confirm(world.other_supervisor, request) and request.kind == "reveal":
            access.request_confirm(by=world.other_supervisor, request=request, reason="Looks routine")
    assert not Case.objects.restrict(world.teammate, "reveal").filter(pk=world.other_case.pk).exists(), (
        f"{waiting.count()} request(s) from before she left still waited; the reveal one was confirmed after it"
    )
