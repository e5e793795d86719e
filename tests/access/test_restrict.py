import pytest
from django.contrib.auth.models import AnonymousUser

from casework.cases.models import Case, Contact
from tests.factories import make_case, make_contact


def test_it_is_a_single_query_whatever_the_user(world, django_assert_num_queries):
    for user in (world.lead, world.head, world.viewer, world.outsider):
        with django_assert_num_queries(1):
            list(Case.objects.restrict(user, "view"))


def test_it_refuses_an_unknown_action(world):
    with pytest.raises(ValueError, match="Unknown case action"):
        Case.objects.restrict(world.lead, "delete")


def test_it_gives_nothing_to_anonymous(world):
    assert not Case.objects.restrict(AnonymousUser(), "view").exists()
    assert not Case.objects.restrict(None, "view").exists()


def test_children_go_through_their_case(world):
    mine = make_contact(world.case, world.lead)
    theirs = make_contact(world.other_case, world.other_team_worker)
    assert list(Contact.objects.restrict(world.lead, "view")) == [mine]
    assert list(Contact.objects.restrict(world.other_team_worker, "view")) == [theirs]
    assert set(Contact.objects.restrict(world.head, "view")) == {mine, theirs}


def test_a_new_case_is_visible_to_its_lead_and_the_team_supervisor_only(world):
    case = make_case(world.teammate)
    assert Case.objects.restrict(world.teammate, "reveal").filter(pk=case.pk).exists()
    assert Case.objects.restrict(world.supervisor, "manage").filter(pk=case.pk).exists()
    assert not Case.objects.restrict(world.lead, "view").filter(pk=case.pk).exists()
    assert not Case.objects.restrict(world.other_supervisor, "view").filter(pk=case.pk).exists()
