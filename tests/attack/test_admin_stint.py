"""Attack: an administrator's own account comes back to cases on an old vouch.

Vouching is kept on the membership through role changes. A caseworker once vouched for who
becomes an administrator keeps ``vouched_at``; when another administrator turns her back
into a caseworker (no confirmation: only "supervisor" waits) and assigns her, she reads and
reveals at once. Two administrators alone have then given case content to the account of
an administrator, whose sign-in was, by definition, an administrator's; no supervisor was
asked after she had spent time managing access (and creating, resetting, and enrolling
other people's accounts).
"""

from django.urls import reverse

from casework.access.models import Membership, Role
from casework.identity import services as identity_services
from tests.identity.conftest import VALUES, current_code
from tests.identity.conftest import signed_in as really_signed_in
from tests.personas import signed_in_client as force_signed_in

ASK = {"purpose": "contact", "reason": "Arranging a housing visit", "fields": ["legal_name"]}


def test_an_admin_turned_back_into_a_caseworker_reads_without_a_new_vouch(world):
    identity_services.identity_save(by=world.lead, case=world.case, values=VALUES)
    admin = force_signed_in(world.admin)
    # "teammate" (team A, no case) becomes an administrator, and manages access for a while.
    assert (
        admin.post(reverse("access:user_role", args=["teammate"]), {"role": Role.ADMIN, "reason": "x"}).status_code
        == 302
    )
    assert Membership.objects.get(user=world.teammate).role == Role.ADMIN
    assert force_signed_in(world.teammate).get(reverse("access:users")).status_code == 200
    # The other administrator makes her a caseworker of team A again, and a co-worker of a
    # case (naming a lead is for a supervisor of the case's team only).
    admin.post(reverse("access:user_role", args=["teammate"]), {"role": Role.CASEWORKER, "reason": "x"})
    admin.post(reverse("access:user_teams", args=["teammate"]), {"teams": [world.team_a.pk]})
    data = {"assign-user": "teammate", "assign-role": "coworker", "assign-reason": "Cover"}
    assert admin.post(reverse("access:case_assign", args=[world.case.display_code]), data).status_code == 302
    membership = Membership.objects.get(user=world.teammate)
    assert membership.role == Role.CASEWORKER
    client = really_signed_in(world.teammate)
    detail = client.get(reverse("cases:detail", args=[world.case.display_code]))
    assert detail.status_code == 404, "an account that was an administrator's reads a case again on its old vouch"
    body = client.post(
        reverse("cases:identity", args=[world.case.display_code]), {**ASK, "code": current_code(world.teammate)}
    ).content.decode()
    assert VALUES["legal_name"] not in body, (
        "an account that was an administrator's reads and reveals again on the vouch it had before, "
        "given back by administrators alone"
    )
