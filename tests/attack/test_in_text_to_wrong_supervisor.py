"""A guard hit on team A's case is shown to the supervisor of the writer's team B.

``identity.in_text`` says that a text matched the identity of the case it was written on:
the answer to a guess. It is meant for the case's supervisors. But a team B supervisor
reviews every act of her members, and for acts on other teams' cases only the reason and
details are withheld, not the entry: her trail, her flags ("Identity details typed by
someone who may not see them", with team A's case code) and the week's per-person count
("revealed") tell her that her member's text named team A's client. She may not reveal
that case; with her member, the pair have a name oracle that needs no access to /audit/
for the one who guesses.
"""

import pytest
from django.test import Client
from django.urls import reverse

from tests.identity.conftest import identity, signed_in  # noqa: F401 (a fixture)
from tests.identity.test_guard_oracle import case_form

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("identity")]


@pytest.mark.parametrize("right", [True, False], ids=["right guess", "wrong guess"])
def test_the_writer_s_own_supervisor_cannot_tell_a_right_guess(world, right, sign_in):
    form = case_form(world)
    writer = signed_in(world.editor)  # team B, an edit grant on team A's case
    text = "Known as 김카나리" if right else "Known as 박서연이"
    assert writer.post(form.url, form.post_data(text, stale=False)).status_code == 302
    reviewer = Client()
    sign_in(reviewer, world.other_supervisor)  # supervises team B only
    flags = reviewer.get(reverse("audit:flags")).context["flags"]
    week = reviewer.get(reverse("audit:trail")).context
    listed = reviewer.get(reverse("audit:trail"), {"list": "1"}).context["entries"]
    person = reviewer.get(reverse("audit:user", args=["editor"])).context
    shown = {
        "flags": [flag.kind for flag in flags if flag.case_code == world.case.code],
        "week": [entry.event for entry in week["sensitive"] if entry.case_code == world.case.code],
        "list": [entry.event for entry in listed if entry.case_code == world.case.code],
        "person": [entry.event for entry in person["entries"] if entry.case_code == world.case.code],
        "revealed": [row["revealed"] for row in week["people"] if row["actor__username"] == "editor"],
        "counts": person["counts"],
    }
    assert shown == EXPECTED, f"{'right' if right else 'wrong'} guess: {shown}"


# What she sees after a wrong guess: her member changed a case of another team.
EXPECTED = {
    "flags": [],
    "week": [],
    "list": ["case.update"],
    "person": ["case.update"],
    "revealed": [0],
    "counts": {"opened": 0, "revealed": 0, "exported": 0, "changed": 1, "other": 2, "refused": 0},
}
