import pytest
from django.urls import reverse

from tests.factories import make_case

URL = reverse("cases:list")


def codes_on(response):
    return [case.code for case in response.context["page"]]


FIND = reverse("cases:find")


@pytest.mark.parametrize(
    "typed",
    [
        lambda shown: shown,
        lambda shown: shown.lower(),
        lambda shown: shown.replace("-", " "),
        lambda shown: shown.replace("-", ""),
        lambda shown: shown.replace("1", "l").replace("0", "O"),
    ],
    ids=["as-shown", "lower-case", "spaces", "no-dashes", "confused-characters"],
)
def test_a_code_is_found_however_it_is_typed(client, world, typed, sign_in):
    sign_in(client, world.head)
    response = client.post(FIND, {"code": typed(world.case.display_code)})
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[world.case.display_code])


def test_finding_a_case_the_user_may_not_see_ends_in_the_same_404(client, world, sign_in):
    sign_in(client, world.other_team_worker)
    response = client.post(FIND, {"code": world.case.display_code}, follow=True)
    assert response.status_code == 404


def test_what_cannot_be_a_code_gets_a_clear_message_and_stays_out_of_the_url(client, world, sign_in):
    sign_in(client, world.lead)
    response = client.post(FIND, {"code": "KIM YOUNG HEE"})
    assert response.status_code == 400
    assert "That is not a case code" in response.content.decode()
    assert "KIM" not in response.request["PATH_INFO"] + response.request.get("QUERY_STRING", "")


def test_finding_is_a_post(client, world, sign_in):
    sign_in(client, world.lead)
    assert client.get(FIND, {"code": world.case.display_code}).status_code == 405


def test_filters_narrow_by_status_team_and_risk(client, world, sign_in):
    high = make_case(world.teammate, risk_level="high")
    sign_in(client, world.head)
    assert codes_on(client.get(URL, {"risk": "high"})) == [high.code]
    assert set(codes_on(client.get(URL, {"team": world.team_b.pk}))) == {world.other_case.code}
    assert codes_on(client.get(URL, {"status": "closed"})) == []


def test_a_team_of_another_organisation_is_not_a_choice(client, world, sign_in):
    sign_in(client, world.head)
    response = client.get(URL, {"team": world.other_team.pk})
    assert codes_on(response) == []
    assert world.other_team.name not in response.content.decode()


def test_it_sorts_by_risk_with_the_highest_first(client, world, sign_in):
    low = make_case(world.teammate, risk_level="low")
    critical = make_case(world.teammate, risk_level="critical")
    sign_in(client, world.supervisor)
    ordered = codes_on(client.get(URL, {"sort": "risk"}))
    assert ordered.index(critical.code) < ordered.index(world.case.code) < ordered.index(low.code)


def test_page_links_keep_the_filters(client, world, monkeypatch, sign_in):
    monkeypatch.setattr("casework.cases.views.cases.CASES_PER_PAGE", 1)
    make_case(world.teammate, risk_level="medium")
    sign_in(client, world.supervisor)
    page = client.get(URL, {"risk": "medium"}).content.decode()
    assert "?risk=medium&amp;page=2" in page
