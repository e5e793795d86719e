"""Looking at the audit is audited: except through the week-review form's error page.

POST /audit/weeks/review/ with an empty note answers 400 with the whole review page of
the week named in the form (sensitive entries with their reasons and purposes, the
folded routine, the per-person counts), and records nothing: ``_week_review_page`` only
records an ``audit.view`` when the status is 200. A supervisor can read any week of her
teams' trail, reveal reasons included, leaving no trace of having looked.
"""

import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.audit.services import record

pytestmark = pytest.mark.django_db


def test_reading_a_week_through_a_refused_mark_is_recorded_as_a_look(client, world, sign_in):
    record(
        event="identity.reveal",
        actor=world.lead,
        case=world.case,
        reason="Safety plan for the visit",
        details={"fields": ["legal_name"], "purpose": "safety"},
    )
    sign_in(client, world.supervisor)
    before = AuditEntry.objects.filter(actor=world.supervisor, event__startswith="audit.").count()
    from django.utils import timezone

    from casework.audit.review import week_start

    response = client.post(
        reverse("audit:week_review"), {"week": week_start(timezone.localdate()).isoformat(), "note": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Safety plan for the visit" in page and "Revealed identity details" in page  # the week, reasons and all
    after = AuditEntry.objects.filter(actor=world.supervisor, event__startswith="audit.").count()
    assert after > before, "she read the week's reveals and their reasons, and the trail does not say so"
