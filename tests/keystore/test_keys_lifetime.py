"""When keys are made and destroyed: a case's with the case, never again; a packet's with
the packet, gone when it closes; what the nightly sweep takes and what it leaves."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from casework.cases.models import Case, ReferralStep
from casework.cases.services.referrals import referral_transition
from casework.identity import crypto
from casework.identity.services import identity_save
from casework.keystore import services as keystore
from casework.keystore.models import CaseKey
from casework.retention import services as retention
from tests.cases.test_referrals import consented
from tests.factories import make_case, make_contact


def test_every_case_has_its_key_from_the_moment_it_is_opened(world):
    case = make_case(world.lead)  # no summary, no identity: still a key
    assert CaseKey.objects.filter(ref=case.key_ref).exists()


def test_no_key_is_made_again_for_a_case_whose_key_was_destroyed(world):
    case = make_case(world.lead, summary="First.")
    keystore.destroy_case_key(case)
    keystore.forget()
    with pytest.raises(keystore.KeyErased), transaction.atomic():
        make_contact(Case.objects.get(pk=case.pk), world.lead, notes="Written while it was erased.")
    with pytest.raises(keystore.KeyErased), transaction.atomic():
        identity_save(by=world.lead, case=Case.objects.get(pk=case.pk), values={"legal_name": "박이름"})
    assert not CaseKey.objects.filter(ref=case.key_ref).exists()


def test_a_step_note_moved_to_another_step_of_the_same_referral_does_not_open(world):
    referral = consented(world)
    for status, note in (("sent", "sent by phone"), ("declined", "no place")):
        referral_transition(
            by=world.lead, referral=referral, to=status, on=timezone.localdate(), note=note, version=referral.version
        )
        referral.refresh_from_db()
    first, second = ReferralStep.objects.filter(referral=referral).order_by("at")
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM cases_referralstep WHERE id = %s", [first.pk])
        token = cursor.fetchone()[0]
        cursor.execute("UPDATE cases_referralstep SET note = %s WHERE id = %s", [token, second.pk])
    keystore.forget()
    with pytest.raises(crypto.DecryptionError):
        ReferralStep.objects.get(pk=second.pk).note  # noqa: B018
    assert ReferralStep.objects.get(pk=first.pk).note == "sent by phone"


def test_the_sweep_takes_erased_and_stale_orphan_keys_and_leaves_the_rest(world):
    erased = make_case(world.lead, summary="To be erased.")
    ref = erased.key_ref
    retention.erase(Case.objects.get(pk=erased.pk), by=world.supervisor, reason="forget_me")  # its key outlives it
    young_orphan, old_orphan = uuid.uuid4(), uuid.uuid4()  # keys of cases whose opening failed
    keystore.create_case_keys([(young_orphan, world.org.pk), (old_orphan, world.org.pk)])
    CaseKey.objects.filter(ref=old_orphan).update(created_at=timezone.now() - keystore.ORPHAN_AGE - timedelta(hours=1))
    assert keystore.sweep() == 2
    left = set(CaseKey.objects.values_list("ref", flat=True))
    assert ref not in left and old_orphan not in left
    assert young_orphan in left and world.case.key_ref in left
    assert keystore.sweep() == 0
