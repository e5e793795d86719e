"""Possible duplicates through the blind index, and no "does this person exist" oracle."""

import datetime
import hashlib

import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.identity import blind, services
from casework.identity.models import DuplicateAlert, IdentityIndex
from casework.identity.normalise import name_keys, phone_key
from tests.factories import make_case
from tests.identity.conftest import mark_fresh

BORN = datetime.date(1995, 6, 1)


def same(a, b, born_a=BORN, born_b=BORN):
    return bool(
        blind.digests({"legal_name": a, "date_of_birth": born_a})
        & blind.digests({"legal_name": b, "date_of_birth": born_b})
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("김미나", "김 미나"),  # Korean, spacing
        ("김미나", "김　미나"),  # ideographic space
        ("李春花", "李 春花"),  # Chinese, spacing
        ("李春花", "李春花 "),
        ("Kim Mi-na", "KIM MINA"),  # Latin, case and hyphen
        ("Kim Mi-na", "Mina Kim"),  # Latin, order
        ("Kim Mina", "Ｋｉｍ　Ｍｉｎａ"),  # full-width
        ("Li Chunhua", "lǐ chūnhuā"),  # tone marks
    ],
)
def test_spacing_case_width_and_order_variants_match(db, a, b):
    assert same(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("김미나", "김민아"), ("李春花", "李春华"), ("Kim Mina", "Kim Minah"), ("Kim Mina", "Park Mina")],
)
def test_different_names_do_not_match(db, a, b):
    assert not same(a, b)


def test_the_same_name_with_another_birth_date_does_not_match(db):
    assert not same("김미나", "김미나", born_b=datetime.date(1996, 6, 1))


def test_phone_numbers_match_across_prefixes_and_spacing():
    assert phone_key("+82 10-1234-5678") == phone_key("010 1234 5678") == phone_key("01012345678")
    assert phone_key("+82 10-1234-5678") != phone_key("+82 10-1234-5679")
    assert phone_key("12-34") == ""  # too short to mean anything


def test_name_keys_fold_scripts_without_mixing_them():
    assert name_keys("김 미나") == {"김미나"}
    assert name_keys("Kim Mi-na") == {"kimmina", "kim mina"}


def test_digests_are_keyed_not_plain_hashes(db, settings):
    digest = blind.digest("name", "김미나\x00")
    assert digest != hashlib.sha256("김미나".encode()).hexdigest()
    settings.INDEX_KEY = "another-index-key-of-enough-length-1234"
    assert blind.digest("name", "김미나\x00") != digest


def test_the_index_holds_digests_only(world):
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": "김미나", "date_of_birth": BORN})
    digests = set(IdentityIndex.objects.values_list("digest", flat=True))
    assert digests and all(len(d) == 64 and "김" not in d for d in digests)


def intake(client, team, name):
    data = {
        "team": team.pk,
        "status": "open",
        "risk_level": "medium",
        "age_band": "unknown",
        "gender": "female",
        "nationality": "KP",
        "region": "unknown",
        "intake_source": "other",
        "identity-legal_name": name,
        "identity-date_of_birth": BORN.isoformat(),
    }
    return client.post(reverse("cases:new"), data, follow=True)


def test_a_match_she_may_not_see_tells_her_nothing_and_alerts_quietly(client, world, sign_in):
    services.identity_save(
        by=world.other_team_worker, case=world.other_case, values={"legal_name": "김미나", "date_of_birth": BORN}
    )
    sign_in(client, world.lead)
    mark_fresh(client)
    response = intake(client, world.team_a, "김 미나")
    body = response.content.decode()
    assert "duplicate" not in body.lower() and "supervisor has been notified" not in body
    assert world.other_case.display_code not in body and world.other_case.code not in body
    alert = DuplicateAlert.objects.get()
    assert alert.other_case == world.other_case
    entry = AuditEntry.objects.get(event="identity.duplicate")
    assert entry.additional_data == {"other_case": world.other_case.code, "matched_on": ["name"]}


def test_a_match_she_may_see_is_named(client, world, sign_in):
    mine = make_case(world.lead)
    services.identity_save(by=world.lead, case=mine, values={"legal_name": "Kim Mina", "date_of_birth": BORN})
    sign_in(client, world.lead)
    mark_fresh(client)
    body = intake(client, world.team_a, "MINA KIM").content.decode()
    assert mine.display_code in body


def test_no_match_says_nothing(client, world, sign_in):
    sign_in(client, world.lead)
    mark_fresh(client)
    body = intake(client, world.team_a, "전혀다른이름").content.decode()
    assert "duplicate" not in body.lower()
    assert not DuplicateAlert.objects.exists()


def test_matches_never_cross_organisations(world):
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": "김미나", "date_of_birth": BORN})
    theirs = make_case(world.outsider)
    found = services.identity_save(
        by=world.outsider, case=theirs, values={"legal_name": "김미나", "date_of_birth": BORN}
    )
    assert found == []
    assert not DuplicateAlert.objects.exists()


def test_supervisors_of_either_case_get_the_alert_with_links_to_what_they_may_see(client, world, sign_in):
    services.identity_save(by=world.other_team_worker, case=world.other_case, values={"phones": ["+86 138 0013 8000"]})
    services.identity_save(by=world.lead, case=world.case, values={"phones": ["138-0013-8000"]})
    sign_in(client, world.supervisor)  # supervises team A: sees world.case, not other_case
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("cases:detail", args=[world.case.display_code])}"' in body
    assert world.other_case.display_code in body
    assert f'href="{reverse("cases:detail", args=[world.other_case.display_code])}"' not in body
    sign_in(client, world.lead)  # a caseworker's home has no duplicates panel
    assert world.other_case.display_code not in client.get(reverse("home")).content.decode()
