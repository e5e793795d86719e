import pytest
from django.contrib.auth.models import AnonymousUser, User

from casework.access.models import LOADED_WITH_MEMBERSHIP
from casework.cases.models import Case, Contact
from tests.access.test_policy_matrix import ACTIONS, CASES, EXPECTED, PERSONAS, clock_at, matrix_world, the_case
from tests.factories import make_case, make_contact
from tests.personas import fresh, person

__all__ = ["matrix_world"]  # the policy table's world, a fixture of this module too


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


def as_loaded_for_a_request(user):
    """``user`` as the authentication backend loads her for a request: with her membership
    (restrict() then writes what it knows of her into the query instead of asking)."""
    loaded = User.objects.select_related("membership__organisation").get(pk=user.pk)
    setattr(loaded, LOADED_WITH_MEMBERSHIP, True)
    return loaded


@pytest.mark.parametrize("load", [fresh, as_loaded_for_a_request], ids=["from_the_database", "loaded_for_a_request"])
def test_restrict_and_with_actions_answer_as_the_policy_table_says(world, foreign_case, matrix_world, load):
    differing = []
    with clock_at(matrix_world):
        for persona in PERSONAS:
            user = person(world, persona)
            user = load(user) if user.is_authenticated else user
            for case_name in CASES:
                case = the_case(world, foreign_case, case_name)
                restricted = {a for a in ACTIONS if Case.objects.restrict(user, a).filter(pk=case.pk).exists()}
                loaded = Case.objects.filter(pk=case.pk).with_actions(user).get().actions(user)
                if not restricted == loaded == EXPECTED[persona][case_name]:
                    differing.append(f"{persona} on {case_name}: restrict {restricted}, with_actions {loaded}")
    assert not differing, "\n".join(differing)


def test_allows_answers_from_what_was_loaded_for_the_same_user_only(world, django_assert_num_queries):
    case = Case.objects.with_actions(world.lead).get(pk=world.case.pk)
    with django_assert_num_queries(0):
        assert case.allows(world.lead, "reveal") and not case.allows(world.lead, "manage")
        assert case.actions(world.lead) == {"view", "change", "reveal"}
    with django_assert_num_queries(1):  # someone else: asked of the database
        assert case.allows(world.supervisor, "manage")
    plain = Case.objects.get(pk=world.case.pk)
    with django_assert_num_queries(1):
        assert plain.actions(world.viewer) == {"view"}
    with pytest.raises(ValueError, match="Unknown case action"):
        case.allows(world.lead, "delete")
