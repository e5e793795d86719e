import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from tests.factories import make_contact, make_need, make_referral

MAKERS = {"contact": make_contact, "need": make_need, "referral": make_referral}


@pytest.fixture(params=sorted(MAKERS))
def kind(request):
    return request.param


def child_url(case, kind, record_uid):
    return reverse(f"cases:{kind}", args=[case.display_code, record_uid])


def test_a_record_is_reached_through_its_own_case(client, world, kind, sign_in):
    record = MAKERS[kind](world.case, world.lead)
    sign_in(client, world.lead)
    assert client.get(child_url(world.case, kind, record.uid)).status_code == 200


def test_a_record_of_another_case_is_404_even_under_a_case_you_may_see(client, world, kind, sign_in):
    foreign = MAKERS[kind](world.other_case, world.other_team_worker)
    sign_in(client, world.head)  # she may see both cases, but not this mix of them
    assert client.get(child_url(world.case, kind, foreign.uid)).status_code == 404
    assert client.get(child_url(world.other_case, kind, foreign.uid)).status_code == 200


def test_a_record_of_a_case_you_may_not_see_is_404(client, world, kind, sign_in):
    record = MAKERS[kind](world.case, world.lead)
    sign_in(client, world.other_team_worker)
    assert client.get(child_url(world.case, kind, record.uid)).status_code == 404
    denied = AuditEntry.objects.filter(outcome="denied").latest("pk")
    assert (denied.actor, denied.case_code) == (world.other_team_worker, world.case.code)


@pytest.mark.parametrize("uid", ["1", "not-a-uuid", "6f1c2a9e-3b7d-4e25-9a41-0c8d5e7f2b13"])
def test_a_malformed_or_unknown_record_id_is_404_and_audited(client, world, uid, sign_in):
    sign_in(client, world.lead)
    assert client.get(child_url(world.case, "contact", uid)).status_code == 404
    assert AuditEntry.objects.filter(outcome="denied", case_code=world.case.code).exists()


def test_record_ids_in_urls_are_opaque(world):
    first, second = make_contact(world.case, world.lead), make_contact(world.case, world.lead)
    segments = child_url(world.case, "contact", first.uid).strip("/").split("/")
    assert str(first.pk) not in segments
    assert segments[-1] == str(first.uid)
    assert first.uid.version == 4 and first.uid != second.uid


def test_anonymous_is_sent_to_login(client, world, kind):
    record = MAKERS[kind](world.case, world.lead)
    response = client.get(child_url(world.case, kind, record.uid))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_its_query_count_does_not_grow_with_the_records(client, world, kind, django_assert_max_num_queries, sign_in):
    record = MAKERS[kind](world.case, world.lead)
    sign_in(client, world.lead)
    with django_assert_max_num_queries(13) as small:  # may she edit it: loaded with the case
        client.get(child_url(world.case, kind, record.uid))
    for _ in range(20):
        MAKERS[kind](world.case, world.lead)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(child_url(world.case, kind, record.uid)).status_code == 200
