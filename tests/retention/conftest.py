"""A case full of canaries, and the ways of erasing it through the pages."""

import datetime
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from casework.cases.choices import NeedStatus
from casework.identity import services as identity_services
from casework.retention.models import ErasureRequest
from tests.factories import make_case, make_contact, make_journey_step, make_need, make_referral
from tests.identity.conftest import current_code

CANARY = "CANARY-ERASE-4417"
CANARY_IDENTITY = {
    "legal_name": "소거카나리",
    "phones": ["+82 10-4417-0099"],
    "notes": f"{CANARY} identity note",
}
CANARIES = [CANARY, CANARY_IDENTITY["legal_name"], "4417-0099"]


@pytest.fixture
def canaried(world):
    """A case of team A with a canary in its summary, identity, contact notes and place, a met
    need's outcome notes and a referral's texts, and a journey step; its records kept for the URL walk."""
    case = make_case(world.lead, summary=f"Summary {CANARY}")
    identity_services.identity_save(by=world.lead, case=case, values=CANARY_IDENTITY)
    contact = make_contact(case, world.lead, notes=f"Contact {CANARY}", place=f"Place {CANARY}")
    need = make_need(case, world.lead, category="medical", status=NeedStatus.MET, outcome_notes=f"Need {CANARY}")
    make_need(case, world.lead, category="shelter", status=NeedStatus.IN_PROGRESS)
    referral = make_referral(
        case,
        world.lead,
        external_provider=f"Clinic {CANARY}",
        next_step=f"Next {CANARY}",
        consent_given_by="survivor",
        consent_given_on=timezone.localdate() - datetime.timedelta(days=1),
        consent_method="written",
        consent_scope=["age_band"],
        consent_recipient=f"Recipient {CANARY}",
        consent_recorded_by=world.lead,
    )
    journey_step = make_journey_step(case, world.lead, stage="transit", region="LA")
    return SimpleNamespace(
        case=case, contact=contact, need=need, referral=referral, journey_step=journey_step, code=case.code
    )


def erase_url(case):
    return reverse("retention:erase", args=[case.display_code])


def erase(client, user, case, reason="forget_me"):
    """Post the erasure form with a code from her authenticator."""
    return client.post(erase_url(case), {"reason": reason, "understood": "on", "code": current_code(user)})


def confirm(client, user, case):
    """Post the confirmation of the erasure waiting on ``case``, as the page showing it sends it."""
    waiting = ErasureRequest.objects.filter(case=case).first()
    seen = str(waiting.uid) if waiting is not None else ""
    return client.post(erase_url(case), {"understood": "on", "code": current_code(user), "waiting": seen})


def case_routes():
    """Every URL pattern that names a case by its code, as a route with <...> parameters."""

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    return sorted({route for route in walk(get_resolver(), "") if "<str:code>" in route})
