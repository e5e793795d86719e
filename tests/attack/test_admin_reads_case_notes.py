"""An administrator reads supervisors' notes about a case's reveals on /audit/.

``audit.flag_review`` is reviewed by both roles, and its entry keeps the supervisor's note
as ``reason`` with the case's code. A note on a night-time reveal or a guard hit is about
case content ("she revealed the phone to arrange tonight's crossing at Tumen"), and nothing
guards it. Administrators manage access without case content and never see reveals or their
purposes, yet the note on the reveal, tied to its case code, is on their trail page and in
their CSV export.
"""

import pytest
from django.urls import reverse

from casework.audit import flags
from tests.audit.test_flags import entry_at, local

pytestmark = pytest.mark.django_db

NOTE = "Revealed the phone to arrange tonight's crossing at Tumen."


def test_an_administrator_does_not_read_a_supervisor_s_note_on_a_reveal(client, world, settings, sign_in):
    settings.WORKING_HOURS = (7, 20)
    entry_at(local(1, 23), event="identity.reveal", actor=world.lead, case_code=world.case.code)
    [flag] = [flag for flag in flags.flags_for(world.supervisor) if flag.kind == "reveal_out_of_hours"]
    sign_in(client, world.supervisor)
    assert client.post(reverse("audit:flag_review"), {"key": flag.key, "note": NOTE}).status_code == 302
    sign_in(client, world.admin)
    trail = client.get(reverse("audit:trail"), {"list": "1"}).content.decode()
    export = client.get(reverse("audit:export"), {"list": "1"}).content.decode()
    assert "Tumen" not in trail and "Tumen" not in export, "the admin reads the note on the case's reveal"
