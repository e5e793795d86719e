"""seed_demo and demo_logins: the demo data contract of DESIGN.md, held against the real app."""

import base64
import datetime
import json
import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access.models import Grant, Organisation
from casework.audit.models import AuditEntry
from casework.cases import codes
from casework.cases.choices import JourneyStage
from casework.cases.models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Contact,
    JourneyStep,
    Referral,
    ReferralStep,
    SupportNeed,
)
from casework.demo import plan as planning
from casework.demo import seeding as demo
from casework.identity import blind
from casework.identity.models import FIELD_NAMES, FIELDS, DuplicateAlert, Identity, IdentityIndex
from casework.partners import services as partners
from casework.partners.models import Partnership

USER_KEYS = {"username", "password", "totp_secret", "role", "organisation", "teams", "supervises"}
CASE_KEYS = {"code", "organisation", "team", "caseworkers", "grants", "identity"}
IDENTITY_KEYS = {"legal_name", "other_names", "phone", "date_of_birth"}
OPTIONAL_IDENTITY_KEYS = {"messengers", "last_location"}


@pytest.fixture
def seed_demo(db, tmp_path, settings):
    """Run ``seed_demo`` with a manifest (in development mode); return the manifest and the output."""
    settings.DEBUG = True
    runs = iter(range(1, 100))

    def run(*options, cases=12, seed=3):
        path = tmp_path / f"manifest-{next(runs)}.json"
        out = StringIO()
        arguments = ["--cases", str(cases), "--seed", str(seed), "--manifest", str(path), *options]
        call_command("seed_demo", *arguments, stdout=out)
        manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
        return manifest, out.getvalue(), path

    return run


@pytest.fixture
def manifest(seed_demo):
    return seed_demo()[0]


def may(user, case, action):
    """The access policy table of DESIGN.md, applied to the manifest's facts."""
    if user["organisation"] != case["organisation"] or user["role"] in ("admin", "reporting"):
        return False
    if user["role"] == "supervisor" and case["team"] in user["supervises"]:
        return True
    levels = {grant["level"] for grant in case["grants"] if grant["username"] == user["username"]}
    if action == "view":
        return user["username"] in case["caseworkers"] or bool(levels)
    if action == "change":
        return user["username"] in case["caseworkers"] or "edit" in levels
    return user["username"] == case["caseworkers"][0] or "reveal" in levels


def assert_permissions_follow_the_policy(manifest):
    for entry in manifest["users"]:
        user = User.objects.get(username=entry["username"])
        for action in ("view", "change", "reveal"):
            allowed = set(Case.objects.restrict(user, action).values_list("code", flat=True))
            expected = {case["code"] for case in manifest["cases"] if may(entry, case, action)}
            assert allowed == expected, (entry["username"], action)


def test_the_manifest_has_the_shape_of_the_contract(manifest):
    assert set(manifest) == {"users", "cases"}
    assert all(set(user) == USER_KEYS for user in manifest["users"])
    assert {(u["organisation"], u["role"]) for u in manifest["users"]} == {
        (org, role) for org in ("haven", "bridge") for role in ("admin", "supervisor", "caseworker", "reporting")
    }
    assert len(manifest["cases"]) == 12
    for case in manifest["cases"]:
        assert set(case) == CASE_KEYS
        assert codes.is_valid(case["code"])
        assert IDENTITY_KEYS <= set(case["identity"]) <= IDENTITY_KEYS | OPTIONAL_IDENTITY_KEYS
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", case["identity"]["date_of_birth"])
        assert all(set(grant) == {"username", "level"} for grant in case["grants"])
    stored = Case.objects.in_bulk([case["code"] for case in manifest["cases"]], field_name="code")
    assert len(stored) == 12


def test_the_manifest_lists_leads_first_and_every_team_for_an_all_teams_supervisor(manifest):
    for case in manifest["cases"]:
        lead = CaseAssignment.objects.get(case__code=case["code"], role="lead")
        assert case["caseworkers"][0] == lead.user.username
        assert len(set(case["caseworkers"])) == len(case["caseworkers"])
    head = next(user for user in manifest["users"] if user["username"] == "haven-sup-all")
    assert head["supervises"] == ["north", "south", "transit"]
    assert head["teams"] == []


def test_every_demo_password_is_long_uncommon_and_accepted_by_the_validators(manifest):
    for entry in manifest["users"]:
        assert len(entry["password"]) >= 12
        validate_password(entry["password"], User.objects.get(username=entry["username"]))


def test_the_same_seed_gives_the_same_manifest(seed_demo, settings):
    first, _out, _path = seed_demo()
    settings.DEBUG = True
    second, _out, _path = seed_demo("--reset")
    assert second == first
    assert [case["identity"] for case in second["cases"]] == [case["identity"] for case in first["cases"]]
    assert Case.objects.count() == 12
    assert Identity.objects.count() == 12


def test_a_different_seed_gives_different_codes_and_passwords(seed_demo, settings):
    first, _out, _path = seed_demo(seed=3)
    settings.DEBUG = True
    other, _out, _path = seed_demo("--reset", seed=4)
    assert {c["code"] for c in first["cases"]}.isdisjoint(c["code"] for c in other["cases"])
    assert {u["password"] for u in first["users"]}.isdisjoint(u["password"] for u in other["users"])


def current_code(totp_secret):
    key = base64.b32decode(totp_secret + "=" * (-len(totp_secret) % 8))
    return f"{TOTP(key).token():06d}"


def test_every_demo_user_can_sign_in_through_the_login_pages(manifest):
    for entry in manifest["users"]:
        client = Client()
        response = client.post(reverse("login"), {"username": entry["username"], "password": entry["password"]})
        assert response.url == reverse("accounts:verify"), entry["username"]
        response = client.post(reverse("accounts:verify"), {"code": current_code(entry["totp_secret"])})
        assert response.status_code == 302, entry["username"]
        assert response.url == reverse("home")
        assert client.get(reverse("home")).status_code == 200
        assert client.session["_auth_user_id"] == str(User.objects.get(username=entry["username"]).pk)


def test_each_users_totp_device_accepts_the_codes_of_the_manifest_secret(manifest):
    for entry in manifest["users"]:
        device = TOTPDevice.objects.get(user__username=entry["username"], name="demo")
        key = base64.b32decode(entry["totp_secret"] + "=" * (-len(entry["totp_secret"]) % 8))
        assert device.confirmed
        assert device.bin_key == key
        assert device.verify_token(totp(key, step=device.step, digits=device.digits))


def test_the_manifest_access_facts_agree_with_the_permission_layer(manifest):
    assert any(case["grants"] for case in manifest["cases"]), "the sample should hold a grant"
    assert any(len(case["caseworkers"]) > 1 for case in manifest["cases"]), "and a co-worker"
    assert_permissions_follow_the_policy(manifest)


def test_identity_values_never_reach_the_database_in_clear(manifest):
    values = set()
    for case in manifest["cases"]:
        identity = case["identity"]
        values |= {identity["legal_name"], identity["phone"], identity["date_of_birth"], *identity["other_names"]}
        values |= {*identity.get("messengers", []), identity.get("last_location", identity["legal_name"])}
    texts = [*Case.objects.values_list("summary", flat=True), *Contact.objects.values_list("notes", "place")]
    texts += Identity.objects.values_list(*FIELD_NAMES)
    texts += IdentityIndex.objects.values_list("digest", flat=True)
    texts += SupportNeed.objects.values_list("outcome_notes", flat=True)
    texts += Referral.objects.values_list("external_provider", "consent_scope", "consent_recipient", "outcome")
    texts += AuditEntry.objects.values_list(
        "object_repr", "changes_text", "changes", "additional_data", "reason", "serialized_data"
    )
    assert AuditEntry.objects.filter(event="grant.add").exists(), "the audit trail should not be empty"
    haystack = json.dumps([str(stored(text)) for text in texts], ensure_ascii=False)
    assert [value for value in values if value in haystack] == []


def stored(value):
    """What the database holds: an encrypted field's token as it is, not opened."""
    if isinstance(value, tuple):
        return tuple(stored(part) for part in value)
    return getattr(value, "token", value)


def test_it_refuses_to_seed_a_database_that_holds_cases(seed_demo):
    seed_demo()
    with pytest.raises(CommandError, match="already holds"):
        seed_demo(seed=5)
    assert Case.objects.count() == 12


def test_reset_is_refused_when_debug_is_off(seed_demo, settings):
    first, _out, _path = seed_demo()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="CASEWORK_DEBUG=1"):
        seed_demo("--reset", seed=5)
    assert set(Case.objects.values_list("code", flat=True)) == {case["code"] for case in first["cases"]}


def test_it_never_seeds_a_production_database(seed_demo, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published passwords"):
        seed_demo()
    assert not Organisation.objects.exists()
    assert not User.objects.exists()


def test_if_empty_seeds_once_and_then_changes_nothing(seed_demo):
    first, _out, _path = seed_demo("--if-empty")
    counts = (Organisation.objects.count(), User.objects.count(), Case.objects.count(), AuditEntry.objects.count())
    second, out, path = seed_demo("--if-empty", seed=5)
    assert first is not None
    assert "already there" in out
    assert second is None and not path.exists()
    assert (Organisation.objects.count(), User.objects.count(), Case.objects.count(), AuditEntry.objects.count()) == (
        counts
    )


def _rows():
    """Everything the services write for cases, by natural keys, so two runs can be compared."""
    user_permissions = CaseUserObjectPermission.objects.values_list(
        "content_object__code", "user__username", "permission__codename", "expires_at"
    )
    group_permissions = CaseGroupObjectPermission.objects.values_list(
        "content_object__code", "group__name", "permission__codename"
    )
    assignments = CaseAssignment.objects.values_list("case__code", "user__username", "role", "assigned_by__username")
    grants = Grant.objects.values_list(
        "case__code", "user__username", "level", "reason", "expires_at", "granted_by__username", "revoked_at"
    )
    # Encrypted text is compared as read (each path seals it with its own nonces).
    cases = [
        (
            case.code,
            case.team.slug,
            case.status,
            case.opened_on,
            case.closed_on,
            case.summary,
            case.version,
            case.follow_up_on,
            case.stage,
            case.region,
        )
        for case in Case.objects.select_related("team")
    ]
    needs = SupportNeed.objects.values_list("uid", "case__code", "category", "status", "owner__username", "due_on")
    # Of the planned referrals: the partners' demo packet is written through the services on
    # both paths, with a referral of its own (a random uid).
    planned = Referral.objects.filter(partner__isnull=True)
    referrals = planned.values_list("uid", "case__code", "provider__name", "status", "needs__uid", "sent_on")
    contacts = [
        (contact.uid, contact.case.code, contact.occurred_at, contact.notes, contact.created_by.username)
        for contact in Contact.objects.select_related("case", "created_by")
    ]
    steps = ReferralStep.objects.filter(referral__in=planned).values_list(
        "referral__uid", "status", "on", "by__username"
    )
    journeys = JourneyStep.objects.values_list(
        "uid", "case__code", "stage", "region", "started_on", "created_by__username", "created_at"
    )
    identities = Identity.objects.values_list("case__code", "updated_by__username", "version")
    index = IdentityIndex.objects.values_list("identity__case__code", "organisation__slug", "kind", "digest")
    tables = (user_permissions, group_permissions, assignments, grants, cases, needs, referrals, contacts, steps)
    tables += (journeys, identities, index)
    return [sorted(table, key=str) for table in tables]


def test_the_bulk_path_writes_the_rows_the_services_write(seed_demo, settings, monkeypatch):
    manifest, _out, _path = seed_demo(cases=25, seed=8)
    through_services = _rows()
    assert any(expires_at for *_fields, expires_at in through_services[0]), "the sample should hold an expiring grant"
    assert any(len(case["caseworkers"]) > 1 for case in manifest["cases"]), "and a co-worker"
    settings.DEBUG = True
    monkeypatch.setattr(demo, "SERVICES_LIMIT", 10)
    seed_demo("--reset", cases=25, seed=8)
    assert not AuditEntry.objects.filter(event="case.open").exists(), "the second run should take the bulk path"
    assert _rows() == through_services


def test_seeded_referrals_and_follow_ups_agree_with_the_workflow(seed_demo):
    seed_demo(cases=40, seed=3)
    for referral in Referral.objects.exclude(status="draft").prefetch_related("steps"):
        steps = [step.status for step in referral.steps.all()]
        assert steps[-1] == referral.status, (referral.status, steps)
        assert steps[0] in ("sent", "withdrawn")
    for case in Case.objects.prefetch_related("contacts"):
        latest = max(case.contacts.all(), key=lambda contact: contact.occurred_at, default=None)
        expected = None if case.status == "closed" or latest is None else latest.follow_up_on
        assert case.follow_up_on == expected


THIRD_COUNTRIES = {"MN", "RU", "VN", "LA", "KH", "TH", "MM", "transit"}
PLAUSIBLE_REGIONS = {
    "exploitation": lambda region: region.startswith("CN-"),
    "hiding": lambda region: region.startswith("CN-"),
    "transit": THIRD_COUNTRIES.__contains__,
    "embassy": (THIRD_COUNTRIES - {"transit"}).__contains__,
    "resettled": "KR".__eq__,
    "integrating": "KR".__eq__,
}


def test_each_seeded_case_has_a_journey_in_order_and_the_case_stands_at_its_latest(seed_demo):
    seed_demo(cases=40, seed=3)
    order = list(JourneyStage.values)
    lengths, reached = [], set()
    for case in Case.objects.prefetch_related("journey"):
        steps = sorted(case.journey.all(), key=lambda step: step.started_on)
        lengths.append(len(steps))
        assert 1 <= len(steps) <= 5, case.code
        days = [step.started_on for step in steps]
        assert days == sorted(set(days)) and days[0] <= case.opened_on
        assert all(step.started_on <= case.closed_on for step in steps if case.closed_on)
        ranks = [order.index(step.stage) for step in steps]
        assert ranks == list(range(ranks[0], ranks[0] + len(ranks))), ranks  # one stage after another
        assert all(PLAUSIBLE_REGIONS[step.stage](step.region) for step in steps), [(s.stage, s.region) for s in steps]
        assert (case.stage, case.region) == (steps[-1].stage, steps[-1].region)
        reached |= {step.stage for step in steps}
    # Something for the reports: every stage reached somewhere, and journeys of several steps.
    assert reached == set(order)
    assert sum(length >= 3 for length in lengths) >= 5


def test_a_bulk_seeded_data_set_follows_the_access_policy(seed_demo, monkeypatch):
    monkeypatch.setattr(demo, "SERVICES_LIMIT", 10)
    monkeypatch.setattr(demo, "BATCH_SIZE", 25)
    manifest, out, _path = seed_demo(cases=60, seed=11)
    assert "50 of 60 cases written" in out
    assert Case.objects.count() == 60
    assert any(case["grants"] for case in manifest["cases"])
    assert_permissions_follow_the_policy(manifest)


def expected_identity(case):
    """What the identity of a manifest case must decrypt to, every field of the record."""
    identity = case["identity"]
    expected = {field.name: field.empty() for field in FIELDS}
    expected.update(
        legal_name=identity["legal_name"],
        other_names=identity["other_names"],
        phones=[identity["phone"]],
        date_of_birth=datetime.date.fromisoformat(identity["date_of_birth"]),
        messengers=identity.get("messengers", []),
        last_location=identity.get("last_location", ""),
    )
    return expected


def assert_identities_follow_the_manifest(manifest):
    stored = {identity.case.code: identity for identity in Identity.objects.select_related("case")}
    assert set(stored) == {case["code"] for case in manifest["cases"]}
    for case in manifest["cases"]:
        identity, expected = stored[case["code"]], expected_identity(case)
        assert identity.read() == expected, case["code"]
        columns = [getattr(identity, name) for name in identity.filled()]
        assert all(column.startswith("cw3:") for column in columns)
        assert not [column for column in columns if case["identity"]["legal_name"] in column]
        digests = [digest for _kind, digest in blind.digests(expected)]
        found = IdentityIndex.objects.filter(organisation__slug=case["organisation"], digest__in=digests)
        assert case["code"] in set(found.values_list("identity__case__code", flat=True))


@pytest.mark.parametrize("path", ["services", "bulk"])
def test_every_case_has_its_manifest_identity_encrypted_and_indexed(seed_demo, monkeypatch, path):
    if path == "bulk":
        monkeypatch.setattr(demo, "SERVICES_LIMIT", 10)
        monkeypatch.setattr(demo, "BATCH_SIZE", 10)
    manifest, _out, _path = seed_demo(cases=25, seed=8)
    assert AuditEntry.objects.filter(event="case.open").exists() == (path == "services")
    assert any("messengers" in case["identity"] for case in manifest["cases"]), "the sample should hold a messenger"
    assert any("last_location" in case["identity"] for case in manifest["cases"]), "and a last location"
    assert_identities_follow_the_manifest(manifest)


def test_drawing_more_for_identities_never_changes_the_cases(monkeypatch):
    today, organisations = datetime.date(2025, 3, 1), planning.plan_people(3)
    cases = [plan.fields for plan in planning.plan_cases(3, 8, organisations, today)]

    def greedy(rng, **profile):
        return {"draws": [rng.random() for _ in range(5)]}

    monkeypatch.setattr(planning, "synthetic_identity", greedy)
    assert [plan.fields for plan in planning.plan_cases(3, 8, organisations, today)] == cases


def test_colliding_identities_are_flagged_and_reset_deletes_them_all(seed_demo, settings, monkeypatch):
    twin = {"legal_name": "김영희", "other_names": ["Kim Young-hee"], "phone": "+86 138 1234 5678"}
    twin["date_of_birth"] = "1990-05-01"
    monkeypatch.setattr(planning, "synthetic_identity", lambda rng, **profile: dict(twin))
    seed_demo(cases=6)
    assert Identity.objects.count() == 6
    assert DuplicateAlert.objects.exists()
    monkeypatch.undo()
    settings.DEBUG = True
    manifest, _out, _path = seed_demo("--reset")
    assert not DuplicateAlert.objects.exists()
    assert IdentityIndex.objects.count() == sum(len(blind.digests(expected_identity(c))) for c in manifest["cases"])
    assert_identities_follow_the_manifest(manifest)


def test_demo_logins_prints_every_login_and_says_they_are_demo_only(seed_demo):
    manifest, _out, path = seed_demo()
    out = StringIO()
    call_command("demo_logins", "--manifest", str(path), stdout=out)
    assert "demo-only" in out.getvalue()
    assert "manage.py demo_code USERNAME" in out.getvalue()
    for user in manifest["users"]:
        line = next(line for line in out.getvalue().splitlines() if line.startswith(user["username"] + " "))
        assert line.split() == [user["username"], user["role"], user["organisation"], user["password"]]


def test_demo_logins_explains_a_missing_manifest(tmp_path):
    with pytest.raises(CommandError, match="no demo manifest"):
        call_command("demo_logins", "--manifest", str(tmp_path / "missing.json"), stdout=StringIO())


def test_haven_and_bridge_are_partners_with_a_packet_waiting_for_bridges_intake(manifest):
    haven, bridge = Organisation.objects.get(slug="haven"), Organisation.objects.get(slug="bridge")
    assert Partnership.objects.active().between(haven, bridge).exists()
    intake = User.objects.get(membership__organisation=bridge, membership__receives_packets=True)
    waiting = list(partners.inbox(intake))
    assert len(waiting) == 1 and waiting[0].sender == haven
    assert "legal_name" in waiting[0].identity  # sealed for bridge's vault, never in clear
