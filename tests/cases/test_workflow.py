"""A caseworker's and a supervisor's week, through the pages only: intake to closure."""

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.audit.models import AuditEntry
from casework.audit.reasons import reason_of
from casework.cases.models import Case, Referral, SupportNeed
from tests.factories import make_provider

TODAY = timezone.localdate()


def post(client, url, data, expect=302):
    response = client.post(url, data)
    assert response.status_code == expect, response.content.decode()[:3000]
    return response


def test_a_case_from_intake_to_closure(world, sign_in):
    provider = make_provider(world.org, "Riverside Clinic")
    worker, supervisor = Client(), Client()
    sign_in(worker, world.lead)
    sign_in(supervisor, world.supervisor)

    # Intake: a profile without a single identifying detail, and a code to write down.
    response = post(
        worker,
        reverse("cases:new"),
        {
            "team": world.team_a.pk,
            "status": "open",
            "risk_level": "high",
            "age_band": "18-24",
            "gender": "female",
            "nationality": "KP",
            "stage": "hiding",
            "region": "CN-JL",
            "started_on": TODAY.isoformat(),
            "exploitation_types": ["forced_marriage"],
            "intake_source": "partner",
            "summary": "Left the household after two years; needs medical care first.",
        },
    )
    case = Case.objects.latest("created_at")
    code = case.display_code
    assert response["Location"] == reverse("cases:opened", args=[code])

    # A support need, and a referral that answers it.
    post(
        worker,
        reverse("cases:need_new", args=[code]),
        {"category": "medical", "urgency": "urgent", "identified_on": TODAY},
    )
    need = SupportNeed.objects.get(case=case)
    post(
        worker,
        reverse("cases:referral_new", args=[code]),
        {"provider": provider.pk, "service_type": "medical", "needs": [need.pk], "urgency": "urgent"},
    )
    referral = Referral.objects.get(case=case)
    status_url = reverse("cases:referral_status", args=[code, referral.uid])

    # Not sent without consent: the page says so and nothing moves.
    refused = post(worker, status_url, {"version": referral.version, "status": "sent", "on": TODAY}, expect=400)
    assert "consent" in refused.content.decode().lower()
    referral.refresh_from_db()
    assert referral.status == "draft"

    post(
        worker,
        reverse("cases:referral_consent", args=[code, referral.uid]),
        {
            "version": referral.version,
            "consent_given_by": "survivor",
            "consent_given_on": TODAY,
            "consent_method": "verbal_witnessed",
            "consent_witness": "Interpreter",
            "consent_scope": ["needs"],
            "consent_recipient": "Riverside Clinic",
            "consent_expires_on": TODAY + timedelta(days=90),
        },
    )
    referral.refresh_from_db()
    post(worker, status_url, {"version": referral.version, "status": "sent", "on": TODAY})

    # A phone contact from the case page, with a follow-up.
    post(
        worker,
        reverse("cases:contact_new", args=[code]),
        {
            "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "channel": "phone",
            "purpose": "check_in",
            "notes": "Told her the clinic has the referral.",
            "follow_up_on": TODAY + timedelta(days=2),
        },
    )
    case.refresh_from_db()
    assert case.follow_up_on == TODAY + timedelta(days=2)
    home = worker.get(reverse("home")).content.decode()
    assert code in home
    assert reverse("cases:referral", args=[code, referral.uid]) in home  # awaiting an answer

    # The clinic accepts, then the care is given: the need is met with the referral.
    for status in ("accepted", "completed"):
        referral.refresh_from_db()
        data = {"version": referral.version, "status": status, "on": TODAY}
        if status == "completed":
            data["mark_needs_met"] = "on"
        post(worker, status_url, data)
    need.refresh_from_db()
    referral.refresh_from_db()
    assert (referral.status, need.status, need.closed_on) == ("completed", "met", TODAY)
    assert [step.status for step in referral.steps.all()] == ["sent", "accepted", "completed"]
    assert {step.by for step in referral.steps.all()} == {world.lead}

    # The supervisor hands the case to a teammate, then closes it with a reason.
    post(
        supervisor,
        reverse("cases:assign", args=[code]),
        {"user": world.teammate.username, "role": "lead", "reason": "Lead on leave"},
    )
    assert case.assignments.get(role="lead").user == world.teammate
    case.refresh_from_db()
    post(supervisor, reverse("cases:close", args=[code]), {"version": case.version, "reason": "Care completed."})
    case.refresh_from_db()
    assert (case.status, case.follow_up_on) == ("closed", None)

    # Every step left its trace, in order, with who did it.
    events = list(AuditEntry.objects.filter(case_code=case.code).values_list("event", flat=True))
    for expected in ("case.open", "supportneed.create", "referral.create", "referralstep.create", "contact.create"):
        assert expected in events
    closing = AuditEntry.objects.get(case_code=case.code, event="case.close")
    assert (closing.actor, reason_of(closing)) == (world.supervisor, "Care completed.")
