"""One catalogue of events: every name the code writes is in it, with words and a reviewer,
and nothing outside it can land in the trail."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.utils import translation
from django.utils.functional import Promise

from casework.audit import events
from casework.audit.models import AuditEntry, Outcome
from casework.audit.registry import AUDITED_MODELS
from casework.audit.services import record

SOURCE = Path(__file__).resolve().parents[2] / "casework"


def _event_arguments():
    """Every ``event=...`` argument and ``events.NAME`` reference in casework/, as (where, node)."""
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(SOURCE.parent)}:{getattr(node, 'lineno', '?')}"
            if _names_an_event(node):
                yield where, node


def _names_an_event(node):
    if isinstance(node, ast.keyword):
        return bool(node.arg) and node.arg.startswith("event")
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "events"


def test_every_event_the_code_names_is_in_the_catalogue():
    problems = []
    for where, node in _event_arguments():
        if isinstance(node, ast.Attribute):
            if not hasattr(events, node.attr):
                problems.append(f"{where}: events.{node.attr} does not exist")
            continue
        if node.arg != "event":  # event__startswith, event__in with a literal ...: matching by prefix is gone
            if isinstance(node.value, ast.Constant | ast.JoinedStr | ast.List | ast.Tuple):
                problems.append(f"{where}: {node.arg}= with a loose string; ask the catalogue")
            continue
        value = node.value
        if isinstance(value, ast.JoinedStr):
            problems.append(f"{where}: an event name built with an f-string; use the catalogue")
        elif isinstance(value, ast.Constant) and value.value is not None:
            problems.append(f"{where}: loose event name {value.value!r}; use a catalogue constant")
    assert problems == []


def test_the_walk_sees_the_calls_it_checks():
    # A walk that finds nothing would pass vacuously: it must find the case door and the reveal.
    found = {where.split(":")[0] for where, _node in _event_arguments()}
    assert {"casework/web/doors.py", "casework/identity/services.py", "casework/accounts/lockout.py"} <= found


def test_every_model_change_auditlog_can_write_is_in_the_catalogue():
    for label in AUDITED_MODELS:
        model = apps.get_model(label)._meta.model_name
        for verb in events.MODEL_VERBS:
            assert f"{model}.{verb}" in events.CATALOGUE, f"{model}.{verb}"


def test_every_event_of_the_case_door_is_in_the_catalogue():
    from casework.cases.models import ACTIONS

    for action in ACTIONS:
        assert events.for_case_action(action).name == f"case.{action}"
    with pytest.raises(ValueError):
        events.for_case_action("delete")


def test_each_event_has_a_translatable_label_a_reviewer_and_a_kind():
    for event in events.CATALOGUE.values():
        assert isinstance(event.label, Promise), event.name  # gettext_lazy: translated when shown
        assert str(event.label) and str(event.label) != event.name
        assert event.reviewer in (events.SUPERVISOR, events.ADMIN, events.BOTH)
        assert event.kind in (
            events.VIEW,
            events.REVEAL,
            events.EXPORT,
            events.SIGN_IN,
            events.ACCESS,
            events.CHANGE,
            events.AUDIT,
            events.OTHER,
        )


def test_sensitive_and_routine_are_as_the_policy_says():
    for name in ("identity.reveal", "export.csv", "grant.add", "membership.role", "login.failed", "case.assign"):
        assert events.get(name).sensitive, name
    assert not events.CASE_VIEW.sensitive and not events.CASE_LIST.sensitive
    assert not events.AUDIT_VERIFY.sensitive  # only its failure is, through the outcome
    assert events.AUDIT_VERIFY.reviewer == events.BOTH
    assert str(events.AUDIT_VERIFY.label) == "Verified the audit trail"


def test_administrators_never_review_case_reads_or_reveals():
    admin = set(events.names(reviewer=events.ADMIN))
    assert not {"case.view", "case.list", "identity.reveal", "case.open", "contact.create"} & admin
    assert {"login.failed", "grant.add", "export.csv", "caseassignment.create", "audit.verify"} <= admin


def test_record_refuses_an_unknown_event_and_writes_nothing(world):
    before = AuditEntry.objects.count()
    for name in ("case.veiw", "identity.", "", None, "case.{action}"):
        with pytest.raises(ValueError):
            record(event=name, actor=world.lead, case=world.case)
    assert AuditEntry.objects.count() == before
    assert record(event="case.view", actor=world.lead, case=world.case).event == "case.view"
    assert record(event=events.IDENTITY_REVEAL, actor=world.lead, case=world.case).event == "identity.reveal"


@pytest.mark.django_db
def test_an_entry_for_someone_not_signed_in_names_no_actor_and_no_subject():
    entry = record(event=events.LOGIN_FAILED, actor=AnonymousUser(), outcome=Outcome.DENIED)
    entry.refresh_from_db()
    assert (entry.actor, entry.object_pk, entry.organisation_id) == (None, "", None)


@pytest.mark.parametrize("language", ["en", "ko", "zh-hans"])
def test_labels_are_translated_when_shown(language):
    # "Data exported" exists in every catalogue; the events' own labels get their
    # translations at the end, and go through the same gettext when shown.
    from casework.audit.models import FlagKind

    with translation.override(language):
        exported = str(FlagKind.EXPORT.label)
        label = str(events.IDENTITY_REVEAL.label)
    assert (exported == "Data exported") is (language == "en")
    assert label  # never the raw key, in any language
    assert label != "identity.reveal"


def _detail_keys():
    """The keys of every ``details={...}`` / ``details = {...}`` literal in casework/."""
    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            value = _details_value(node)
            for found in ast.walk(value) if value is not None else ():
                if isinstance(found, ast.Dict):
                    yield from (key.value for key in found.keys if isinstance(key, ast.Constant))


def _details_value(node):
    if isinstance(node, ast.keyword):
        return node.value if node.arg == "details" else None
    if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "details" for target in node.targets):
        return node.value
    return None


def test_every_detail_the_code_writes_has_a_word_or_is_hidden():
    from casework.audit.describe import DETAIL_LABELS, HIDDEN_DETAILS

    keys = set(_detail_keys())
    assert {"purpose", "fields", "sessions_ended"} <= keys  # the walk finds them
    assert keys - set(DETAIL_LABELS) - HIDDEN_DETAILS == set()
