"""Attack: a reporting-role member walks every URL the site knows (not only the case ones).

She is promised aggregates only: no case, no record of one, and no page naming one. The
walk fills every route with the world's records (a case of team A, its contact, need,
journey step, referral, provider, an access request) and asks each as GET; every page that
answers her must hold no case's code and no record's id.
"""

from tests.accounts.test_csrf import every_route, fill, records  # noqa: F401  (records is a fixture)

SKIP = ("accounts/logout", "logout", "i18n/", "accounts/exit")


def test_no_page_she_reaches_names_a_case_or_a_record(client, world, records, sign_in):  # noqa: F811
    sign_in(client, world.reporter)
    urls = sorted({fill(route, records) for route in every_route()})
    assert len(urls) > 30
    markers = {
        world.case.display_code,
        world.other_case.display_code,
        str(records["contact"].uid),
        str(records["need"].uid),
        str(records["journey_step"].uid),
        str(records["referral"].uid),
    }
    reached, leaks = [], {}
    for url in urls:
        if any(part in url for part in SKIP):
            continue
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        reached.append(url)
        body = response.content.decode()
        found = sorted(marker for marker in markers if marker in body)
        if found:
            leaks[url] = found
    assert "/reports/" in reached
    assert leaks == {}, f"reached {reached}"
