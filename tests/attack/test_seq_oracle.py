"""The trail's sequence numbers are a name oracle.

A hit of the free-text guard by someone who may not reveal is recorded as a quiet
``identity.in_text`` entry, hidden from her own review pages. But every entry takes the
next ``seq``, and the review pages hand the writer the ``seq`` of her own acts (the CSV
export has a ``seq`` column; the "Older" link carries ``before=<seq>``). The hidden entry
leaves a hole in the numbering just before her act: a right guess and a wrong one are
told apart by counting. Played here by an administrator (a grant reason on /access/) and
by a supervisor with an edit grant on another team's case.
"""

import csv
import io

import pytest
from django.urls import reverse

from casework.access import services as access
from tests.factories import make_caseworker, make_user
from tests.identity.conftest import identity, signed_in  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

RIGHT, WRONG = "for 김카나리", "for 박서연이"


def exported(client):
    """The rows of her trail export: {seq: event}."""
    response = client.get(reverse("audit:export"), {"list": "1"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header = rows[0]
    seq, event = header.index("seq"), header.index("event")
    return {int(row[seq]): row[event] for row in rows[1:] if row and row[0].isdigit()}


def offsets_of_next_act(client, act):
    """Export, act, export again: where her act's entries fall, counted from the newest
    entry she could see before it (the exports' own entries, seen or not, are the same
    every time)."""
    exported(client)
    after = exported(client)
    mark = max(after)
    act()
    later = exported(client)
    return [(seq - mark, event) for seq, event in sorted(later.items()) if seq > mark]


@pytest.mark.usefixtures("identity")
def test_an_administrator_counts_her_way_to_the_survivor_s_name(world):
    admin = signed_in(world.admin)
    url = reverse("access:case_grant", args=[world.case.display_code])
    grantees = [make_caseworker(world.org, world.team_a, username=f"grantee{n}") for n in range(2)]

    def grant(user, guess):
        def act():
            data = {"grant-user": user.username, "grant-level": "view", "grant-reason": guess, "grant-expires": ""}
            assert admin.post(url, data).status_code == 302

        return act

    wrong = offsets_of_next_act(admin, grant(grantees[0], WRONG))
    right = offsets_of_next_act(admin, grant(grantees[1], RIGHT))
    assert wrong == right, f"wrong guess: {wrong}\nright guess: {right}"


@pytest.mark.usefixtures("identity")
def test_a_supervisor_with_an_edit_grant_counts_too(world):
    from tests.identity.test_guard_oracle import case_form

    working = make_user(world.org, "supervisor", teams=[world.team_b], supervises=[world.team_b], username="working")
    access.grant_add(by=world.supervisor, case=world.case, user=working, level="edit", reason="Covering a shift")
    writer = signed_in(working)
    form = case_form(world)

    def write(text):
        def act():
            from casework.cases.models import Case

            form.record = Case.objects.get(pk=world.case.pk)
            assert writer.post(form.url, form.post_data(text, stale=False)).status_code == 302

        return act

    wrong = offsets_of_next_act(writer, write("Known as 박서연이"))
    right = offsets_of_next_act(writer, write("Known as 김카나리"))
    assert wrong == right, f"wrong guess: {wrong}\nright guess: {right}"


def test_a_supervisor_learns_another_team_s_client_from_the_numbering_of_her_identity_edit(world):
    """Duplicate detection: team A's supervisor types a phone into her own case's identity.
    When it is team B's client's, two quiet entries (identity.duplicate and the alert's
    creation) are written with her act and hidden from her: the numbering shows the hole.
    She brackets each try between two looks at her own case (case.view, which she sees)."""
    from casework.identity import services
    from tests.identity.test_duplicate_oracle import FRESH_PHONE, THEIR_PHONE, edit

    services.identity_save(by=world.other_team_worker, case=world.other_case, values={"phones": [THEIR_PHONE]})
    services.identity_save(by=world.lead, case=world.case, values={"legal_name": "정하늘"})
    writer = signed_in(world.supervisor)
    page = reverse("cases:detail", args=[world.case.display_code])

    def bracketed(phone):
        assert writer.get(page).status_code == 200
        assert edit(world.case, phones=phone)(writer).status_code == 302
        assert writer.get(page).status_code == 200
        views = [seq for seq, event in sorted(exported(writer).items()) if event == "case.view"][-2:]
        seen = [event for seq, event in sorted(exported(writer).items()) if views[0] < seq < views[1]]
        return views[1] - views[0] - 1 - len(seen)  # entries between the two looks she is not shown

    first_fresh = bracketed(FRESH_PHONE)
    second_fresh = bracketed("+86 137 1111 2222")
    known = bracketed(THEIR_PHONE)
    assert first_fresh == second_fresh  # the count is steady: only the guess changes it
    assert known == first_fresh, f"hidden entries: {first_fresh} for a phone nobody has, {known} for team B's client's"
