"""The benchmark's generator writes data the application reads as its own.

PostgreSQL only: the generator writes with COPY. Tiny and seeded, so the same rows every
run; nothing here is timed.
"""

import pytest
from django.contrib.auth.models import User
from django.db import connection

from bench import generate
from bench.scale import Scale
from casework.access import services as access
from casework.access.models import Grant, Membership
from casework.audit.models import AuditEntry
from casework.cases.models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Contact,
    JourneyStep,
    Referral,
)
from casework.reports.queries import scope_of

SCALE = Scale(cases=60, users=40, audit_entries=200)


@pytest.fixture
def generated(db):
    if connection.vendor != "postgresql":
        pytest.skip("the bench generator writes with PostgreSQL's COPY")
    return generate.generate(SCALE, progress=lambda _message: None)


def _user_rows(case):
    return set(CaseUserObjectPermission.objects.filter(content_object=case).values_list("user_id", "permission_id"))


def test_a_generated_caseworker_sees_exactly_the_cases_she_works_on(generated):
    personas = generated
    for username in (personas.caseworker_few, personas.caseworker_many):
        user = User.objects.get(username=username)
        assigned = set(CaseAssignment.objects.filter(user=user).values_list("case_id", flat=True))
        granted = set(Grant.objects.current().filter(user=user).values_list("case_id", flat=True))
        assert assigned
        assert set(Case.objects.restrict(user, "view").values_list("pk", flat=True)) == assigned | granted


def test_the_generated_caseworkers_lead_few_and_many_cases(generated):
    personas = generated
    few, many = (
        CaseAssignment.objects.filter(user__username=name, role="lead").count()
        for name in (personas.caseworker_few, personas.caseworker_many)
    )
    assert 0 < few < many


def test_a_supervisor_of_every_team_sees_every_case_of_her_organisation(generated):
    personas = generated
    user = User.objects.get(username=personas.supervisor_every_team)
    organisation_id = Membership.objects.get(user=user).organisation_id
    expected = set(Case.objects.filter(organisation_id=organisation_id).values_list("pk", flat=True))
    assert expected
    assert set(Case.objects.restrict(user, "manage").values_list("pk", flat=True)) == expected


def test_the_generated_permission_rows_are_what_the_services_write(generated):
    case = Case.objects.filter(grants__isnull=False).first() or Case.objects.order_by("pk").first()
    written = _user_rows(case)
    people = {*case.assignments.values_list("user", flat=True), *case.grants.values_list("user", flat=True)}
    for user in User.objects.filter(pk__in=people):
        access.sync_case_user(case=case, user=user)
    assert written
    assert _user_rows(case) == written
    permissions = access.case_permissions()
    group_rows = set(
        CaseGroupObjectPermission.objects.filter(content_object=case).values_list("group_id", "permission_id")
    )
    assert group_rows == {
        (case.team.supervisor_group_id, permissions[codename].pk) for codename in access.SUPERVISOR_PERMISSIONS
    }


def test_the_generated_trail_continues_the_chain_under_the_bench_key(generated):
    generated_entries = AuditEntry.objects.filter(chain_key=generate.BENCH_CHAIN_KEY).order_by("seq")
    assert generated_entries.count() == SCALE.audit_entries
    first, last = generated_entries.first(), generated_entries.last()
    before = AuditEntry.objects.get(seq=first.seq - 1)
    assert before.chain_key != generate.BENCH_CHAIN_KEY  # written by the services, a real link
    assert first.prev_hash == before.entry_hash
    assert last.seq == first.seq + SCALE.audit_entries - 1
    assert set(generated_entries.values_list("case_code", flat=True)) <= set(
        Case.objects.values_list("code", flat=True)
    )


def test_the_scale_is_recorded_for_the_next_run(generated):
    scale, recorded_personas, _seconds = generate.recorded()
    assert (scale, recorded_personas) == (SCALE, generated)


def test_the_generated_free_text_opens_with_each_cases_own_key(generated):
    cases = list(Case.objects.order_by("pk")[:20])
    assert {case.summary for case in cases} == {"Generated for the benchmark."}
    assert {contact.notes for contact in Contact.objects.filter(case__in=cases)} == {"Generated contact note."}
    assert {referral.external_provider for referral in Referral.objects.filter(provider__isnull=True)[:20]} == {
        "Partner shelter"
    }


def test_the_generated_reporting_person_reads_reports_over_journeys_and_sees_no_case(generated):
    user = User.objects.get(username=generated.reporting)
    assert JourneyStep.objects.filter(case__organisation=user.membership.organisation).exists()
    assert scope_of(Membership.objects.get(user=user)).whole
    assert not Case.objects.restrict(user, "view").exists()
