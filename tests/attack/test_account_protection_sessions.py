"""A session opened while her workspace was empty, kept by whoever made her open it.

A duress sign-in ends her other sessions and keeps the one in front of the captor; a frozen
or travelling account still signs in, to an empty workspace. That session is in the wrong
hands by construction: when the protection is lifted (a supervisor unfreezes her, ends her
travel mode early, or its last day passes) it must not wake up with her cases in it.
"""

import datetime

from django.urls import reverse
from django.utils import timezone

from casework.accounts import protection
from casework.accounts.models import AccountGuard
from tests.accounts.test_safety import DURESS_PASSWORD, code, person_safety, signed_out, through_pages


def case_page(client, case):
    return client.get(reverse("cases:detail", args=[case.display_code])).status_code


def unfreeze(world):
    supervisor, _steps = through_pages(world.supervisor)
    response = person_safety(supervisor, world.lead, "unfreeze", code=code(world.supervisor, 1), reason="She is safe")
    assert response.status_code == 302
    assert not AccountGuard.objects.get(user=world.lead).is_frozen


def test_the_captors_duress_session_gets_nothing_once_she_is_unfrozen(world):
    protection.duress_password_set(user=world.lead, password=DURESS_PASSWORD)
    captor, _steps = through_pages(world.lead, password=DURESS_PASSWORD)
    assert case_page(captor, world.case) == 404
    unfreeze(world)  # she phoned in, safe; the phone she signed in on is still with him
    assert case_page(captor, world.case) != 200
    assert signed_out(captor)
    # She herself signs in again and has her cases back.
    again, _steps = through_pages(world.lead)
    assert case_page(again, world.case) == 200


def test_a_session_opened_while_frozen_gets_nothing_once_she_is_unfrozen(world):
    protection.account_freeze(by=world.supervisor, user=world.lead, reason="Phone taken")
    # Whoever holds her phone and password signs in: an empty workspace, kept open.
    holder, _steps = through_pages(world.lead)
    assert case_page(holder, world.case) == 404
    unfreeze(world)
    assert signed_out(holder)


# Travel mode: the existing tests (tests/accounts/test_safety.py) hold that a session used
# during travel mode sees her cases again once it ends; whether a session *opened* during it
# (at the border, in front of an officer) should, is for the lead to decide.


def test_a_session_opened_on_the_last_day_of_travel_gets_nothing_after_midnight(world):
    today = timezone.localdate()
    protection.travel_start(by=world.lead, user=world.lead, until=today)
    officer, _steps = through_pages(world.lead)  # 23:50 on the last day, at the border
    assert case_page(officer, world.case) == 404
    guard = AccountGuard.objects.get(user=world.lead)
    guard.travel_until = today - datetime.timedelta(days=1)  # midnight has passed
    guard.save(update_fields=["travel_until"])
    assert case_page(officer, world.case) != 200
    assert signed_out(officer)
    # She, signing in again after it, sees her case: the session ended, not her access.
    again, _steps = through_pages(world.lead)
    assert case_page(again, world.case) == 200


def test_a_session_opened_in_travel_mode_gets_nothing_after_a_supervisor_ends_it(world):
    protection.travel_start(by=world.lead, user=world.lead, until=timezone.localdate() + datetime.timedelta(days=5))
    officer, _steps = through_pages(world.lead)
    supervisor, _steps = through_pages(world.supervisor)
    assert person_safety(supervisor, world.lead, "travel_end", reason="Back early").status_code == 302
    assert case_page(officer, world.case) != 200
    assert signed_out(officer)
