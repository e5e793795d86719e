"""Retention rules: set by the organisation's supervisors on /retention/; apply_retention,
with the clock moved forward, warns first, erases exactly the cases past their rule and not
held once the warning period is over, and finds nothing to do on a second run."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.audit.models import AuditEntry
from casework.cases.models import Case
from casework.cases.services import cases as case_services
from casework.retention import services as retention
from casework.retention.models import ErasedCase, RetentionNotice, RetentionRule
from casework.retention.services import add_months
from tests.factories import make_case, make_contact
from tests.identity.conftest import current_code

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
RULES = {"months_after_closure": "6", "months_without_contact": "", "warning_days": "30", "version": "1"}
SAVED_RULES = {"months_after_closure": 6, "months_without_contact": None, "warning_days": 30}


def clock(monkeypatch, day):
    """Move the application's calendar to ``day`` (dates asked of a stored moment stay true)."""
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, tz=None: real(value, tz) if value else day)


def apply(monkeypatch, day):
    clock(monkeypatch, day)
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    return out.getvalue()


def set_rules(world, **rules):
    values = {"months_after_closure": None, "months_without_contact": None, "warning_days": 30, **rules}
    version = retention.rules_of(world.org).version
    retention.rules_save(by=world.head, organisation=world.org, version=version, second_supervisor=False, **values)


def closed_case(world):
    case = make_case(world.lead)
    return case_services.case_close(by=world.supervisor, case=case, reason="Resettled", version=case.version)


def exists(case):
    return Case.objects.filter(pk=case.pk).exists()


# The page ---------------------------------------------------------------------------------------


def test_a_supervisor_sets_the_rules_and_it_is_audited(client, world, sign_in):
    sign_in(client, world.supervisor)
    assert client.get(reverse("retention:rules")).status_code == 200
    code = current_code(world.supervisor)
    response = client.post(reverse("retention:rules"), {**RULES, "second_supervisor": "on", "code": code})
    assert response.status_code == 302
    rules = RetentionRule.objects.get(organisation=world.org)
    assert (rules.months_after_closure, rules.months_without_contact, rules.warning_days) == (6, None, 30)
    world.org.refresh_from_db()
    assert world.org.erasure_needs_second_supervisor
    entry = AuditEntry.objects.get(event="retention.rules")
    assert entry.actor == world.supervisor and entry.additional_data["months_after_closure"] == 6


@pytest.mark.parametrize(
    "bad",
    [
        {"months_after_closure": "0"},
        {"warning_days": "-1"},
        {"warning_days": "13"},  # shorter than the shortest warning period
        {"warning_days": ""},
        {"months_without_contact": "soon"},
    ],
)
def test_bad_rules_are_a_400_and_change_nothing(client, world, sign_in, bad):
    sign_in(client, world.supervisor)
    assert client.post(reverse("retention:rules"), {**RULES, **bad}).status_code == 400
    assert not RetentionRule.objects.exists()
    assert not AuditEntry.objects.filter(event="retention.rules").exists()


def test_racing_edits_of_the_rules_are_detected(client, world, sign_in):
    set_rules(world, months_after_closure=12)  # someone saved version 1 meanwhile
    sign_in(client, world.supervisor)
    response = client.post(reverse("retention:rules"), {**RULES, "code": current_code(world.supervisor)})
    assert response.status_code == 400
    assert "changed this while you were looking" in response.content.decode()
    assert RetentionRule.objects.get(organisation=world.org).months_after_closure == 12


@pytest.mark.parametrize("persona", ["lead", "admin", "outsider"])
def test_only_supervisors_reach_the_rules(world, sign_in, persona):
    client = sign_in(Client(), getattr(world, persona))
    assert client.get(reverse("retention:rules")).status_code == 404
    assert client.post(reverse("retention:rules"), RULES).status_code == 404
    assert not RetentionRule.objects.exists()


# The rules applied ------------------------------------------------------------------------------


def test_it_erases_exactly_the_cases_past_their_rule_not_held_after_the_warning(monkeypatch, world):
    set_rules(world, months_after_closure=6, warning_days=30)
    due, held, recent = closed_case(world), closed_case(world), make_case(world.lead)
    retention.hold_place(by=world.supervisor, case=held, reason="proceedings")
    rule_date = add_months(TODAY, 6)

    assert "0 case(s) erased, 0 newly due" in apply(monkeypatch, rule_date - datetime.timedelta(days=40))
    output = apply(monkeypatch, rule_date - datetime.timedelta(days=10))
    assert "0 case(s) erased, 2 newly due" in output
    assert RetentionNotice.objects.get(case=due).due_on == rule_date + datetime.timedelta(days=20)
    # Past the rule, but warned only 11 days ago: not yet.
    assert "0 case(s) erased" in apply(monkeypatch, rule_date + datetime.timedelta(days=1))
    assert exists(due)
    output = apply(monkeypatch, rule_date + datetime.timedelta(days=20))
    assert output.startswith("1 case(s) erased, 0 newly due, 1 held")
    assert not exists(due) and exists(held) and exists(recent) and exists(world.case)
    for code in (due.code, held.code, due.display_code):
        assert code not in output  # counts only
    tombstone = AuditEntry.objects.get(event="case.erased", case_code=due.code)
    assert tombstone.actor is None and tombstone.additional_data == {"because": "retention", "rule": "after_closure"}
    assert ErasedCase.objects.get(code=due.code).closed_month == TODAY.replace(day=1)
    # A second run finds nothing to do.
    assert apply(monkeypatch, rule_date + datetime.timedelta(days=20)).startswith("0 case(s) erased, 0 newly due")
    call_command("audit_verify", stdout=io.StringIO())


def test_a_rule_set_late_still_warns_for_the_whole_period(monkeypatch, world):
    without_contact = make_case(world.lead, opened_on=TODAY - datetime.timedelta(days=400))
    in_touch = make_case(world.lead, opened_on=TODAY - datetime.timedelta(days=400))
    make_contact(in_touch, world.lead, occurred_at=timezone.now() - datetime.timedelta(days=10))
    set_rules(world, months_without_contact=12, warning_days=14)
    assert "0 case(s) erased, 1 newly due" in apply(monkeypatch, TODAY)
    assert "0 case(s) erased" in apply(monkeypatch, TODAY + datetime.timedelta(days=13))
    assert apply(monkeypatch, TODAY + datetime.timedelta(days=14)).startswith("1 case(s) erased")
    assert not exists(without_contact) and exists(in_touch)


def test_a_new_contact_takes_a_case_off_the_list(monkeypatch, world):
    quiet = make_case(world.lead, opened_on=TODAY - datetime.timedelta(days=400))
    set_rules(world, months_without_contact=12, warning_days=14)
    apply(monkeypatch, TODAY)
    assert RetentionNotice.objects.filter(case=quiet).exists()
    make_contact(quiet, world.lead)
    assert "0 case(s) erased" in apply(monkeypatch, TODAY + datetime.timedelta(days=8))
    assert exists(quiet) and not RetentionNotice.objects.filter(case=quiet).exists()


def test_due_cases_show_on_the_supervisors_home_page_and_can_be_postponed(monkeypatch, world, sign_in):
    set_rules(world, months_after_closure=6, warning_days=30)
    case = closed_case(world)
    rule_date = add_months(TODAY, 6)
    apply(monkeypatch, rule_date - datetime.timedelta(days=10))
    client = sign_in(Client(), world.supervisor)
    page = client.get(reverse("home")).content.decode()
    assert case.display_code in page and "due for erasure on" in page
    assert case.display_code not in sign_in(Client(), world.other_supervisor).get(reverse("home")).content.decode()
    notice = RetentionNotice.objects.get(case=case)
    response = client.post(reverse("retention:extend", args=[case.display_code]), {"version": notice.version})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.due_on == add_months(rule_date + datetime.timedelta(days=20), 6)
    assert AuditEntry.objects.filter(event="retention.extend", actor=world.supervisor, case_code=case.code).exists()
    # A second click from the same old page is a conflict, not a second postponement.
    client.post(reverse("retention:extend", args=[case.display_code]), {"version": 1})
    assert RetentionNotice.objects.get(case=case).due_on == notice.due_on
    assert "0 case(s) erased" in apply(monkeypatch, rule_date + datetime.timedelta(days=20))
    assert exists(case)
    assert apply(monkeypatch, notice.due_on).startswith("1 case(s) erased")


def test_a_caseworker_cannot_postpone(monkeypatch, world, sign_in):
    set_rules(world, months_after_closure=6, warning_days=30)
    case = closed_case(world)
    apply(monkeypatch, add_months(TODAY, 6))
    notice = RetentionNotice.objects.get(case=case)
    client = sign_in(Client(), world.lead)
    assert (
        client.post(reverse("retention:extend", args=[case.display_code]), {"version": notice.version}).status_code
        == 403
    )
    assert RetentionNotice.objects.get(case=case).due_on == notice.due_on


def test_taking_the_rules_away_takes_every_case_off_the_list(monkeypatch, world):
    set_rules(world, months_after_closure=6, warning_days=30)
    case = closed_case(world)
    apply(monkeypatch, add_months(TODAY, 6))
    assert RetentionNotice.objects.filter(case=case).exists()
    set_rules(world, months_after_closure=None)
    assert "0 case(s) erased" in apply(monkeypatch, add_months(TODAY, 24))
    assert exists(case) and not RetentionNotice.objects.exists()


def test_one_supervisor_cannot_switch_off_the_second_supervisor_alone(client, world, sign_in):
    set_rules(world, months_after_closure=6)
    retention.rules_save(by=world.head, organisation=world.org, version=2, second_supervisor=True, **SAVED_RULES)
    sign_in(client, world.supervisor)
    off = {**RULES, "version": "3", "code": current_code(world.supervisor)}  # the box left unticked
    assert client.post(reverse("retention:rules"), off).status_code == 302
    world.org.refresh_from_db()
    assert world.org.erasure_needs_second_supervisor  # still needed: it waits for another supervisor
    assert AuditEntry.objects.filter(event="retention.rules").latest("seq").additional_data["second_supervisor"] == (
        "waiting"
    )
    assert client.post(reverse("retention:rules"), {**off, "version": "4"}).status_code == 302  # asking twice
    world.org.refresh_from_db()
    assert world.org.erasure_needs_second_supervisor
    retention.rules_save(by=world.head, organisation=world.org, version=5, second_supervisor=False, **SAVED_RULES)
    world.org.refresh_from_db()
    assert not world.org.erasure_needs_second_supervisor  # a different supervisor asked the same


def test_the_rules_need_a_fresh_code(client, world, sign_in, monkeypatch):
    sign_in(client, world.supervisor)
    monkeypatch.setattr("casework.retention.views.second_factor_is_fresh", lambda request: False)
    response = client.post(reverse("retention:rules"), RULES)
    assert response.status_code == 400
    assert not RetentionRule.objects.exists()
    assert AuditEntry.objects.filter(event="retention.rules", outcome="denied").exists()
