"""The free-text guard is no name oracle: whoever may edit a case but not reveal it gets the
very same answer for a right guess at the survivor's name and for a wrong one.

Played as the attacker would: a co-worker or an edit grantee signs in through the real
pages (password, then a code), opens a form of the case and types a guess. Each guess is
sent from the same starting point (the request runs in a transaction that is rolled back
afterwards), and everything she could observe is compared: status, headers, body, the
page she lands on, what was saved and what the trail holds apart from the quiet flag.
"""

import copy
import html
import re

import pytest
from django.db import transaction
from django.urls import reverse

from casework.audit import events
from casework.audit.models import AuditEntry
from casework.cases.models import Case, Contact, Referral, SupportNeed
from casework.identity.services import identity_save
from tests.cases.test_case_forms import PROFILE
from tests.cases.test_contacts import ago, contact_data, typed
from tests.cases.test_needs import need_data
from tests.factories import make_contact, make_need, make_provider, make_referral, make_user
from tests.identity.conftest import VALUES, signed_in

pytestmark = pytest.mark.django_db

RIGHT = "Met 김카나리 near the station"
WRONG = "Met 박서연이 near the station"
# Bisection: one note carrying many guesses, with and without the right one.
CANDIDATES = [f"후보{n:03d}" for n in range(60)]
MANY_RIGHT = "Names heard: " + ", ".join([*CANDIDATES[:30], "Kim Ka-nari", *CANDIDATES[30:]])
MANY_WRONG = "Names heard: " + ", ".join([*CANDIDATES[:30], "Kim Ba-nari", *CANDIDATES[30:]])


class Form:
    """A form of ``world.case`` with one guarded text field: where to post, what, and the record."""

    def __init__(self, url, data, record, field):
        self.url, self.data, self.record, self.field = url, data, record, field

    def post_data(self, text, stale):
        version = self.record.version - 1 if stale else self.record.version
        return {**self.data, "version": version, self.field: text}


def contact_form(w):
    contact = make_contact(w.case, w.lead, occurred_at=ago(days=2), notes="First note.")
    data = contact_data(occurred_at=typed(ago(days=2)))
    return Form(reverse("cases:contact_edit", args=[w.case.display_code, contact.uid]), data, contact, "notes")


def need_form(w):
    need = make_need(w.case, w.lead, owner=w.lead)
    return Form(reverse("cases:need_edit", args=[w.case.display_code, need.uid]), need_data(w), need, "outcome_notes")


def referral_form(w):
    referral = make_referral(w.case, w.lead, provider=make_provider(w.org), service_type="medical")
    data = {"provider": "", "external_provider": "A legal aid office", "service_type": "legal", "urgency": "high"}
    data |= {"needs": [], "data_shared": "", "outcome": ""}
    url = reverse("cases:referral_edit", args=[w.case.display_code, referral.uid])
    return Form(url, data, referral, "next_step")


def case_form(w):
    return Form(reverse("cases:edit", args=[w.case.display_code]), dict(PROFILE), w.case, "summary")


FORMS = {"contact": contact_form, "need": need_form, "referral": referral_form, "case": case_form}
FORM_NAMES = {"contact": "ContactForm", "need": "NeedForm", "referral": "ReferralForm", "case": "CaseForm"}


def bump(record):
    """Someone else saved the record meanwhile: the version the attacker holds is stale."""
    record.version += 1
    record.save(update_fields=["version"])


CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
NONCE = re.compile(r'nonce(=|-)"?[A-Za-z0-9+/=_-]+')
# The quick contact form offers the current minute: two answers a minute apart differ there only.
NOW = re.compile(r'value="\d{4}-\d\d-\d\dT\d\d:\d\d"')
# A record's history says when each change was saved: two attempts a minute apart differ there too.
SAVED_AT = re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d\b")


def normalised(text, typed):
    text = CSRF.sub('name="csrfmiddlewaretoken" value="…"', text)
    text = NONCE.sub("nonce…", text)
    text = NOW.sub('value="now"', text)
    text = SAVED_AT.sub("saved at …", text)
    return text.replace(html.escape(typed), "TYPED").replace(typed, "TYPED")


def headers(response):
    return {
        name: NONCE.sub("nonce…", value)
        for name, value in response.headers.items()
        if name not in ("Content-Length", "Date")
    }


def state(form, typed):
    """What was saved: the record (its typed text replaced by a placeholder, its clock
    fields left out), and the trail written by the attempt apart from the quiet flag."""
    model = type(form.record)
    record = model.objects.get(pk=form.record.pk)  # read through the model: free text is encrypted
    row = {field.attname: getattr(record, field.attname) for field in model._meta.concrete_fields}
    row = {key: value for key, value in row.items() if not key.endswith(("_at", "_on"))}
    row[form.field] = str(row[form.field]).replace(typed, "TYPED")
    return row


def trail_since(seq):
    entries = AuditEntry.objects.filter(seq__gt=seq).exclude(event="identity.in_text").order_by("seq")
    return [
        (entry.event, entry.outcome, entry.case_code, entry.actor_id, entry.reason, sorted(entry.changes_dict or {}))
        for entry in entries
    ]


def last_seq():
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def attempt(client, form, typed, stale=False):
    """Post ``typed`` and look at everything she can see, then undo it all."""
    cookies = copy.deepcopy(client.cookies)
    seq = last_seq()
    with transaction.atomic():
        response = client.post(form.url, form.post_data(typed, stale))
        landing = client.get(response["Location"]) if response.status_code == 302 else None
        home = client.get(reverse("home"))
        seen = {
            "status": response.status_code,
            "headers": headers(response),
            "body": normalised(response.content.decode(), typed),
            "landing": landing and normalised(landing.content.decode(), typed),
            "home": normalised(home.content.decode(), typed),
            "saved": state(form, typed),
            "trail": trail_since(seq),
            "flags": list(
                AuditEntry.objects.filter(seq__gt=seq, event="identity.in_text").values_list(
                    "case_code", "additional_data"
                )
            ),
        }
        transaction.set_rollback(True)
    client.cookies = cookies
    return seen


@pytest.fixture
def identity(world):
    identity_save(by=world.lead, case=world.case, values=VALUES)


@pytest.mark.parametrize("stale", [False, True], ids=["fresh", "stale"])
@pytest.mark.parametrize("kind", sorted(FORMS))
@pytest.mark.parametrize("writer", ["coworker", "editor"])
def test_a_right_guess_and_a_wrong_one_get_the_same_answer(world, identity, writer, kind, stale):
    form = FORMS[kind](world)
    if stale:
        bump(form.record)
    client = signed_in(getattr(world, writer))
    right, wrong = attempt(client, form, RIGHT, stale), attempt(client, form, WRONG, stale)
    flag = right.pop("flags")
    assert wrong.pop("flags") == []
    assert right == wrong
    assert right["status"] == (409 if stale else 302)
    expected = {"fields": [form.field], "form": FORM_NAMES[kind], "told": False}
    assert flag == [(world.case.code, expected)]


def test_the_text_is_saved_as_typed_and_the_flag_holds_no_value(client, world, identity):
    form = contact_form(world)
    editor = signed_in(world.editor)
    response = editor.post(form.url, form.post_data(RIGHT, stale=False))
    assert response.status_code == 302
    assert Contact.objects.get(pk=form.record.pk).notes == RIGHT
    entry = AuditEntry.objects.get(event="identity.in_text")
    assert (entry.actor, entry.case_code, entry.outcome) == (world.editor, world.case.code, "ok")
    assert entry.additional_data == {"fields": ["notes"], "form": "ContactForm", "told": False}
    trail = str(list(AuditEntry.objects.values_list("reason", "additional_data", "changes", "object_repr")))
    for value in [VALUES["legal_name"], "카나리", *VALUES["other_names"]]:
        assert value not in trail


@pytest.mark.parametrize("writer", ["coworker", "editor"])
def test_one_note_of_many_guesses_learns_nothing_either(world, identity, writer):
    form = contact_form(world)
    client = signed_in(getattr(world, writer))
    right, wrong = attempt(client, form, MANY_RIGHT), attempt(client, form, MANY_WRONG)
    assert right.pop("flags") and not wrong.pop("flags")
    assert right == wrong


def test_a_new_contact_gets_the_same_answer_for_a_right_and_a_wrong_guess(world, identity):
    client = signed_in(world.editor)
    url = reverse("cases:contact_new", args=[world.case.display_code])
    answers = []
    for guess in (RIGHT, WRONG):
        response = client.post(url, contact_data(notes=guess))
        answers.append((response.status_code, response["Location"], normalised(response.content.decode(), guess)))
    assert answers[0] == answers[1]
    assert {contact.notes for contact in Contact.objects.filter(case=world.case)} == {RIGHT, WRONG}
    assert AuditEntry.objects.filter(event="identity.in_text").count() == 1


def test_whoever_may_reveal_is_still_warned_and_the_hit_is_recorded(client, world, identity, sign_in):
    sign_in(client, world.lead)
    form = contact_form(world)
    response = client.post(form.url, form.post_data(RIGHT, stale=False))
    assert response.status_code == 400
    assert "Keep it as written" in response.content.decode()
    entry = AuditEntry.objects.get(event="identity.in_text")
    assert entry.additional_data == {"fields": ["notes"], "form": "ContactForm", "told": True}


def test_the_case_s_supervisor_sees_the_flag_and_the_writer_sees_nothing_of_it(client, world, identity, sign_in):
    form = need_form(world)
    editor = signed_in(world.editor)
    assert editor.post(form.url, form.post_data(RIGHT, stale=False)).status_code == 302
    sign_in(client, world.supervisor)
    page = client.get(reverse("audit:flags")).content.decode()
    assert "Identity details typed by someone who may not see them" in page
    assert world.case.display_code in page and "editor" in page
    assert SupportNeed.objects.get(pk=form.record.pk).outcome_notes == RIGHT
    # The editor reviews nothing; the guess left no trace she can reach.
    assert editor.get(reverse("audit:flags")).status_code == 404


def test_a_supervisor_writing_on_a_case_she_may_not_reveal_does_not_see_her_own_flag(world, identity):
    """A supervisor of team B who also works in it reviews her own acts: given edit on team
    A's case, her trail and her flags must not answer either."""
    from casework.access import services as access

    working = make_user(world.org, "supervisor", teams=[world.team_b], supervises=[world.team_b], username="working")
    access.grant_add(by=world.supervisor, case=world.case, user=working, level="edit", reason="Covering a shift")
    form = case_form(world)
    writer = signed_in(working)
    right, wrong = attempt(writer, form, "Known as 김카나리"), attempt(writer, form, "Known as 박서연이")
    assert right.pop("flags") and not wrong.pop("flags")
    assert right == wrong
    assert writer.post(form.url, form.post_data("Known as 김카나리", stale=False)).status_code == 302
    assert AuditEntry.objects.filter(event="identity.in_text", actor=working).exists()
    listed = writer.get(reverse("audit:trail"), {"list": "1"})
    assert "case.update" in {entry.event for entry in listed.context["entries"]}  # she does review her own acts
    for url in (reverse("audit:flags"), reverse("audit:trail"), reverse("audit:user", args=["working"])):
        page = without_choices(writer.get(url).content.decode())
        assert "identity.in_text" not in page and str(events.IDENTITY_IN_TEXT.label) not in page, url
    assert Case.objects.get(pk=world.case.pk).summary == "Known as 김카나리"


def test_referral_texts_are_saved_as_typed(world, identity):
    form = referral_form(world)
    signed_in(world.coworker).post(form.url, form.post_data(RIGHT, stale=False))
    assert Referral.objects.get(pk=form.record.pk).next_step == RIGHT


def test_a_reason_on_the_access_pages_is_flagged_quietly_like_any_other_text(world, identity):
    """The administrator may not reveal: her reason is accepted either way, and a hit is
    flagged to the case's supervisors, never to her own review pages."""
    admin = signed_in(world.admin)
    url = reverse("access:case_grant", args=[world.case.display_code])
    answers = []
    for user, guess in ((world.teammate, "for 김카나리"), (world.other_team_worker, "for 박서연이")):
        data = {"grant-user": user.username, "grant-level": "view", "grant-reason": guess, "grant-expires": ""}
        response = admin.post(url, data)
        answers.append((response.status_code, response["Location"]))
    assert answers[0] == answers[1] == (302, reverse("access:case", args=[world.case.display_code]))
    entry = AuditEntry.objects.get(event="identity.in_text")
    assert (entry.actor, entry.case_code) == (world.admin, world.case.code)
    assert entry.additional_data == {"fields": ["reason"], "form": "GrantForm", "told": False}
    page = without_choices(admin.get(reverse("audit:trail")).content.decode())
    assert "identity.in_text" not in page and str(events.IDENTITY_IN_TEXT.label) not in page


def without_choices(page):
    """The page without its menus: the trail's event filter offers every catalogued event."""
    return re.sub(r"<select.*?</select>", "", page, flags=re.S)
