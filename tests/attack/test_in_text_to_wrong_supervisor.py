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
def test_the_writer_s_own_supervisor_cannot_tell_a_right_guess(world, right):
    form = case_form(world)
    writer = signed_in(world.editor)  # team B, an edit grant on team A's case
    text = "Known as 김카나리" if right else "Known as 박서연이"
    assert writer.post(form.url, form.post_data(text, stale=False)).status_code == 302
    reviewer = Client()
    reviewer.force_login(world.other_supervisor)  # supervises team B only
    pages = [reverse("audit:flags"), reverse("audit:trail"), reverse("audit:user", args=["editor"])]
    seen = {url: reviewer.get(url).content.decode() for url in pages}
    for url, page in seen.items():
        assert "Identity details typed by someone" not in page and "Wrote identity details" not in page, url
