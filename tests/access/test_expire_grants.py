"""expire_grants: tidies guardian's table after expiry; access itself ended at the expiry."""

from datetime import timedelta
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.utils import timezone

from casework.access import services as access
from casework.audit.models import AuditEntry
from casework.cases.models import Case, CaseUserObjectPermission


def sweep():
    out = StringIO()
    call_command("expire_grants", stdout=out)
    return out.getvalue()


def test_it_sweeps_expired_rows_once_and_records_each(world):
    now = timezone.now()
    access.grant_add(
        by=world.supervisor,
        case=world.case,
        user=world.teammate,
        level="reveal",
        reason="Night",
        expires=now + timedelta(hours=1),
    )
    access.grant_add(
        by=world.admin, case=world.case, user=world.lead, level="view", reason="Spare", expires=now + timedelta(hours=1)
    )
    assert sweep() == "No expired grants to sweep.\n"
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=2)):
        assert not Case.objects.restrict(world.teammate, "view").exists()  # before any sweep
        assert sweep() == "1 expired grant(s) swept.\n"
        assert sweep() == "No expired grants to sweep.\n"
    assert not CaseUserObjectPermission.objects.filter(user=world.teammate).exists()
    # The lead's assignment outlives her spare grant: her rows were never given an expiry.
    assert Case.objects.restrict(world.lead, "reveal").filter(pk=world.case.pk).exists()
    entry = AuditEntry.objects.get(event="grant.expire")
    assert (entry.case_code, entry.actor, entry.additional_data) == (
        world.case.code,
        None,
        {"user": "teammate", "levels": ["reveal"]},
    )


def test_a_later_grant_keeps_the_rows_alive(world):
    now = timezone.now()
    for hours in (1, 5):
        access.grant_add(
            by=world.admin,
            case=world.case,
            user=world.teammate,
            level="view",
            reason="Cover",
            expires=now + timedelta(hours=hours),
        )
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=2)):
        sweep()
        assert Case.objects.restrict(world.teammate, "view").filter(pk=world.case.pk).exists()
