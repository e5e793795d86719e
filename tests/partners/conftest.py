"""Two organisations in partnership: haven sends, bridge receives.

haven: team "haven-a" with its lead caseworker, a co-worker, its supervisor and an
administrator; a case led by ``haven_lead`` with an identity, two needs and a draft
referral to bridge whose consent covers "needs; legal name". bridge: team "bridge-a" with
a caseworker named to the partner intake, another who is not, a supervisor and an
administrator. ``stranger``: an organisation that is no one's partner.
"""

import copy
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django.utils import timezone

from casework.access import services as access
from casework.cases.choices import AssignmentRole, ConsentGiver, ConsentMethod, ShareCategory
from casework.identity.services import identity_save
from casework.partners import services as partners
from tests.conftest import FAST_HASHERS, rolled_back
from tests.factories import (
    make_admin,
    make_case,
    make_caseworker,
    make_need,
    make_org,
    make_partnership,
    make_referral,
    make_supervisor,
    make_team,
)

LEGAL_NAME = "CANARY-LEGAL-박하늘"
PHONE = "+86 139 0000 4242"
CONSENT = {
    "consent_given_by": ConsentGiver.SURVIVOR,
    "consent_given_on": timezone.localdate() - timedelta(days=1),
    "consent_method": ConsentMethod.WRITTEN,
    "consent_scope": [ShareCategory.NEEDS, ShareCategory.LEGAL_NAME],
    "consent_recipient": "Bridge",
}


def build_partners():
    w = SimpleNamespace()
    w.haven, w.bridge, w.stranger = make_org("haven"), make_org("bridge"), make_org("stranger")
    w.haven_team, w.bridge_team = make_team(w.haven, "haven-a"), make_team(w.bridge, "bridge-a")
    w.stranger_team = make_team(w.stranger, "stranger-a")
    w.haven_lead = make_caseworker(w.haven, w.haven_team, username="haven_lead")
    w.haven_coworker = make_caseworker(w.haven, w.haven_team, username="haven_coworker")
    w.haven_supervisor = make_supervisor(w.haven, w.haven_team, username="haven_supervisor")
    w.haven_admin = make_admin(w.haven, username="haven_admin")
    w.bridge_intake = make_caseworker(w.bridge, w.bridge_team, username="bridge_intake")
    w.bridge_worker = make_caseworker(w.bridge, w.bridge_team, username="bridge_worker")
    w.bridge_supervisor = make_supervisor(w.bridge, w.bridge_team, username="bridge_supervisor")
    w.bridge_admin = make_admin(w.bridge, username="bridge_admin")
    w.stranger_supervisor = make_supervisor(w.stranger, w.stranger_team, username="stranger_supervisor")
    w.stranger_admin = make_admin(w.stranger, username="stranger_admin")
    w.partnership = make_partnership(w.haven_admin, w.haven_supervisor, w.bridge_admin, w.bridge_supervisor)
    partners.intake_name(by=w.bridge_supervisor, member=w.bridge_intake.membership, receives=True)
    w.case = make_case(w.haven_lead, risk_level="high", age_band="18-24", region="CN-JL", languages=["ko"])
    access.case_assign(by=w.haven_supervisor, case=w.case, user=w.haven_coworker, role=AssignmentRole.COWORKER)
    identity_save(by=w.haven_lead, case=w.case, values={"legal_name": LEGAL_NAME, "phones": [PHONE]})
    w.shelter = make_need(w.case, w.haven_lead, category="shelter", urgency="urgent")
    w.medical = make_need(w.case, w.haven_lead, category="medical", urgency="normal")
    w.referral = make_referral(w.case, w.haven_lead, partner=w.bridge, service_type="shelter", **CONSENT)
    w.referral.needs.set([w.shelter, w.medical])
    return w


@pytest.fixture(scope="module")
def _partners_of_the_module(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), rolled_back():
        yield build_partners()


@pytest.fixture
def pw(_partners_of_the_module, db):
    """The partners' world (see the module docstring), a fresh copy for each test."""
    return copy.deepcopy(_partners_of_the_module)
