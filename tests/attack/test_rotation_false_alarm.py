"""Rotating the chain key as README describes raises a tamper alarm on every supervisor's and
administrator's home page.

ChainVerification rows are sealed with the *current* chain key only (chain.mac); after a
rotation (new CASEWORK_AUDIT_CHAIN_KEY, the old one in CASEWORK_AUDIT_CHAIN_RETIRED_KEYS)
the latest genuine run no longer verifies, so verification.latest() reports "the
verification record itself was altered" and failed() puts it on every home page, until the
next scheduled run. A false alarm from routine maintenance teaches people to ignore the
real one; and the next --incremental run silently falls back to a full walk.
"""

import pytest

from casework.audit import verification
from casework.audit.services import record
from tests.factories import make_caseworker, make_org, make_team

NEW_KEY = "test-only-rotated-chain-key-9c41e7a2b5d8f3"

pytestmark = pytest.mark.django_db


def test_a_key_rotation_is_not_reported_as_a_tampered_verification(settings):
    org = make_org("rot-org")
    person = make_caseworker(org, make_team(org, "rot-team"), username="rot")
    record(event="case.list", actor=person)
    assert verification.verify_chain().ok and verification.failed() is None
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_RETIRED_KEYS = NEW_KEY, [settings.AUDIT_CHAIN_KEY]
    shown = verification.failed()
    assert shown is None, f"home pages now say: {shown.problem!r}"
