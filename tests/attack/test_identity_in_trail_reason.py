"""A reason that quotes the survivor's identity is kept in the audit trail in plain text.

Reasons go into the trail (``identity_forbidden``). Whoever may reveal is stopped; whoever
may not (an administrator on /access/, a supervisor granting on another team's case) is
answered as if nothing matched, and her reason is stored verbatim in ``AuditEntry.reason``
and in the grant row: readable by every administrator of the organisation on /audit/ and in
its CSV export, and in an append-only table that erasing the case (destroying its key)
never reaches. The quiet flag tells the supervisors, who cannot remove it either.
"""

import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from tests.identity.conftest import identity, signed_in  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("identity")]


def test_a_name_accepted_quietly_in_a_reason_is_not_kept_in_the_trail(world, client):
    admin = signed_in(world.admin)
    url = reverse("access:case_grant", args=[world.case.display_code])
    data = {"grant-user": world.teammate.username, "grant-level": "view", "grant-reason": "for 김카나리"}
    assert admin.post(url, {**data, "grant-expires": ""}).status_code == 302
    kept = list(AuditEntry.objects.filter(reason__contains="김카나리").values_list("event", flat=True))
    assert not kept, f"the survivor's name, in plain text, in the trail: {kept}"
    client.force_login(world.admin)
    other_admin_view = client.get(reverse("audit:trail"), {"list": "1"}).content.decode()
    assert "김카나리" not in other_admin_view
