"""Erasing a case whose referral has a packet on its way to a partner: the packet is
withdrawn first (its content wiped, the partner's inbox no longer holds it), as when consent
is withdrawn; the partner's trail says a packet was withdrawn, and nothing more."""

import pytest
from django.test import Client

from casework.audit.models import AuditEntry
from casework.partners import services as partners
from casework.partners.models import Packet
from tests.partners.conftest import _partners_of_the_module, pw  # noqa: F401  (the partners' world)
from tests.retention.conftest import erase

pytestmark = pytest.mark.django_db


def built(pw, send=False):  # noqa: F811
    packet = partners.packet_build(
        by=pw.haven_lead, referral=pw.referral, categories=["needs", "legal_name"], needs=[pw.shelter]
    )
    if send:
        packet = partners.packet_approve(by=pw.haven_supervisor, packet=packet)
    return packet


@pytest.mark.parametrize("send", [False, True])
def test_an_open_packet_is_withdrawn_and_wiped_before_the_case_is_erased(pw, sign_in, send):  # noqa: F811
    packet = built(pw, send=send)
    assert packet.status == ("sent" if send else "approval")
    client = sign_in(Client(), pw.haven_supervisor)
    assert erase(client, pw.haven_supervisor, pw.case).status_code == 302
    packet = Packet.objects.get(pk=packet.pk)
    assert packet.status == "withdrawn" and packet.referral_id is None
    assert packet.identity == {} and packet.needs == []
    assert not partners.inbox(pw.bridge_intake).filter(pk=packet.pk).exists()
    withdrawn = AuditEntry.objects.filter(event="packet.withdraw")
    assert withdrawn.filter(case_code=pw.case.code, additional_data__cause="erased").exists()
    assert withdrawn.filter(organisation=pw.bridge).exists() == send  # told only if it had reached her
    text = str(list(AuditEntry.objects.values_list("additional_data", "changes", "object_repr")))
    assert "CANARY-LEGAL" not in text
