import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "Cases"), ("ko", "사례"), ("zh-hans", "个案")],
)
def test_the_case_list_speaks_the_browsers_language(client, world, language, heading):
    client.force_login(world.lead)
    response = client.get(reverse("cases:list"), headers={"accept-language": language})
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_the_login_page_is_translated(client, db):
    page = client.get(reverse("login"), headers={"accept-language": "ko"}).content.decode()
    assert 'lang="ko"' in page
    assert "Sign in" not in page
