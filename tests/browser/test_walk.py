"""The walk: what a caseworker, a supervisor and an administrator do, through the real pages in
Chromium, with the real sign-in steps. Each flow records the pages it opens; the tour at the
end opens each of them again at two widths and in three languages and holds it to the checks
(axe finds nothing, no request leaves the server, no console error, no CSP violation)."""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from casework.access import services as access
from casework.audit.models import AuditEntry
from casework.cases.choices import AssignmentRole
from casework.cases.models import Case, Contact, Referral
from casework.identity import services as identity
from casework.partners import services as partners
from tests.browser.conftest import LANGUAGES, WIDTHS, axe_violations, enrolled
from tests.factories import (
    PASSWORD,
    make_admin,
    make_case,
    make_caseworker,
    make_org,
    make_partnership,
    make_referral,
    make_supervisor,
    make_team,
)

pytestmark = pytest.mark.filterwarnings("ignore:No directory at")  # STATIC_ROOT: assets come from the finders

NAME = "김민지 Browser"  # the identity on the case the reveal flow opens


def build_world():
    org = make_org("browser-org")
    team = make_team(org, "browser-team")
    w = SimpleNamespace()
    users = {
        "lead": make_caseworker(org, team, username="b-lead"),
        "colleague": make_caseworker(org, team, username="b-colleague"),
        "supervisor": make_supervisor(org, team, username="b-supervisor"),
        "admin": make_admin(org, username="b-admin"),
        # Each of these signs in once and leaves (quick exit, sign-out): a session of their own.
        "leaver": make_caseworker(org, team, username="b-leaver"),
        "presser": make_caseworker(org, team, username="b-presser"),
        "returner": make_caseworker(org, team, username="b-returner"),
    }
    w.people = {name: enrolled(user) for name, user in users.items()}
    w.case = make_case(users["lead"], summary="Met at the border office.")
    identity.identity_save(by=users["lead"], case=w.case, values={"legal_name": NAME})
    for name in ("leaver", "returner"):
        access.case_assign(by=users["supervisor"], case=w.case, user=users[name], role=AssignmentRole.COWORKER)
    w.code = w.case.display_code
    _partner_of(w, users)
    w.sessions = {}  # name -> storage state after her sign-in, for the tour
    w.visited = []  # (who, path, what, form): the pages the flows opened; see visit()
    return w


def _partner_of(w, users):
    """A partner organisation with an intake caseworker, and two referrals of the case to it
    whose consent covers its needs and her legal name (one to accept, one left waiting)."""
    partner_org = make_org("browser-partner")
    partner_team = make_team(partner_org, "partner-team")
    intake = make_caseworker(partner_org, partner_team, username="b-partner")
    partner_supervisor = make_supervisor(partner_org, partner_team, username="b-partner-supervisor")
    make_partnership(
        users["admin"], users["supervisor"], make_admin(partner_org, username="b-partner-admin"), partner_supervisor
    )
    partners.intake_name(by=partner_supervisor, member=intake.membership, receives=True)
    w.people["partner"] = enrolled(intake)
    consent = {
        "consent_given_by": "survivor",
        "consent_given_on": datetime.date.today(),
        "consent_method": "written",
        "consent_scope": ["needs", "legal_name"],
        "consent_recipient": partner_org.name,
    }
    w.partner_referrals = [
        make_referral(w.case, users["lead"], partner=partner_org, service_type=service, **consent)
        for service in ("medical", "documents")
    ]
    w.partner_team = partner_team


# ---------------------------------------------------------------------------- helpers


def sign_in(browsing, site, name):
    """Her sign-in through the login form and the code page; the context, signed in."""
    person = site.people[name]
    context = browsing.open()
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", person.username)
    page.fill("input[name=password]", PASSWORD)
    submit(page)
    expect(page).to_have_url(re.compile(r"/accounts/verify/"))
    page.fill("input[name=code]", person.code())
    submit(page)
    expect(page.locator("nav.site-nav")).to_be_visible()
    return context, page


def signed_in(browsing, site, name):
    """A page of hers, in the session she signed in to earlier in the walk (or now, through the
    forms, if none yet: a test run alone); the tour reuses these sessions."""
    if name in site.sessions:
        return browsing.open(storage_state=site.sessions[name]).new_page()
    context, page = sign_in(browsing, site, name)
    site.sessions[name] = context.storage_state()
    return page


def submit(page, form="main form"):
    """Presses the submit button of the page's (first, or named) form in <main>."""
    page.locator(form).locator("button[type=submit]").first.click()
    page.wait_for_load_state()


def visit(site, page, who, path, what):
    """Opens ``path`` as ``who`` and records it for the tour."""
    response = page.goto(path)
    assert response.status == 200, f"{path} answered {response.status}"
    site.visited.append((who, path, what, None))
    return response


def record(site, page, who, what):
    """Records the page on screen (reached by a link or a redirect) for the tour. Without the
    fragment a save lands on (#timeline): the tour opens the page itself, not a place in it."""
    path = page.url.removeprefix(site.url).split("#")[0]
    site.visited.append((who, path, what, None))


def record_refusal(site, page, who, what, form="main form"):
    """Records, for the tour, the page on screen with ``form`` sent back empty: its errors shown."""
    path = page.url.removeprefix(site.url)
    site.visited.append((who, path, what, form))


# A date written in numbers alone (11/09/2026, 2026-11-09, 9.11.26): read one way in one
# country and another way in the next. The pages write the month in words (or 년/월, 年/月).
NUMERIC_DATE = re.compile(r"(?<![\w-])\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}(?![\w-])")


def numeric_dates(page):
    """The numeric-only dates in what the page shows as text (form fields' values aside: a
    date field holds its value in the browser's own format)."""
    return NUMERIC_DATE.findall(page.locator("body").inner_text())


def send_empty(page, form):
    """Sends ``form`` as it is and checks that the page answers with its errors."""
    submit(page, form)
    # The error summary takes the focus, so that she hears or sees at once what to correct.
    expect(page.locator(".error-summary")).to_be_focused()


def assert_clean(browsing):
    assert browsing.problems() == []


# ---------------------------------------------------------------------------- the checks themselves


def test_0_the_checks_see_what_they_look_for(site, browsing):
    """The watch sees a CSP violation, a request to another host and an error; axe sees a
    violation. (Were they blind, every page below would pass.)"""
    page = browsing.open().new_page()
    page.goto("/accounts/login/")
    page.evaluate("document.head.appendChild(document.createElement('style')).textContent = 'p {}'")
    page.evaluate("document.querySelector('main').appendChild(document.createElement('img')).alt = ''")
    page.evaluate("setTimeout(() => { throw new Error('thrown by the test') })")
    page.wait_for_timeout(200)
    problems = browsing.problems()
    assert any("CSP violation: style-src" in problem for problem in problems)
    assert any("uncaught error: thrown by the test" in problem for problem in problems)
    assert "image-alt" not in "".join(axe_violations(page))  # alt="" is allowed: decorative
    page.evaluate("document.querySelector('main img').removeAttribute('alt')")
    assert any(line.startswith("image-alt (critical)") for line in axe_violations(page))
    assert numeric_dates(page) == []
    page.evaluate(
        "document.querySelector('main').appendChild(document.createElement('p')).textContent ="
        " 'Case 7X3-QM9P-DK4, 2 Dec 2026, 2026년 12월 2일 14:05, 2026年12月2日; due 11/09/2026, sent 2026-11-09'"
    )
    assert numeric_dates(page) == ["11/09/2026", "2026-11-09"]

    # The page's CSP would stop the request before the network: set it aside to see the watch.
    elsewhere = browsing.open(bypass_csp=True)
    elsewhere.route(re.compile(r"^https?://elsewhere\.invalid/"), lambda route: route.abort())
    page = elsewhere.new_page()
    page.goto("/accounts/login/")
    page.evaluate("fetch('http://elsewhere.invalid/beacon').catch(() => {})")
    page.wait_for_timeout(200)
    problems = browsing.problems()
    assert "request to another host: http://elsewhere.invalid/beacon" in problems
    assert not any("CSP violation" in problem for problem in problems)


# ---------------------------------------------------------------------------- the flows


def test_1_she_signs_in_with_her_password_and_a_code(site, browsing):
    context = browsing.open()
    page = context.new_page()
    visit(site, page, "anonymous", "/accounts/login/", "sign-in")
    page.fill("input[name=username]", site.people["lead"].username)
    page.fill("input[name=password]", "not her password")
    submit(page)
    expect(page.locator(".errors[role=alert]")).to_be_visible()
    assert axe_violations(page) == [], "the sign-in form with its error"
    page.fill("input[name=username]", site.people["lead"].username)
    page.fill("input[name=password]", PASSWORD)
    submit(page)
    expect(page).to_have_url(re.compile(r"/accounts/verify/$"))
    expect(page.locator("input[name=code]")).to_be_focused()  # no Tabs past a menu to reach it
    expect(page.locator("nav.site-nav")).to_have_count(0)  # and no menu before the code
    assert axe_violations(page) == [], "the code page"
    page.fill("input[name=code]", "000000" if site.people["lead"].code() != "000000" else "111111")
    submit(page)
    expect(page.locator(".error-summary")).to_be_focused()
    assert axe_violations(page) == [], "the code page with its error"
    page.wait_for_timeout(1100)  # django-otp lets the next try in a second after a wrong code
    page.fill("input[name=code]", site.people["lead"].code())
    submit(page)
    expect(page).to_have_url(site.url + "/")
    expect(page.locator(".whoami")).to_have_text(site.people["lead"].username)
    record(site, page, "lead", "home")
    site.sessions["lead"] = context.storage_state()
    assert_clean(browsing)


def test_2_a_case_goes_from_intake_to_closure(site, browsing):
    page = signed_in(browsing, site, "lead")
    visit(site, page, "lead", "/cases/", "case list")
    visit(site, page, "lead", "/cases/new/", "new case")
    record_refusal(site, page, "lead", "new case, with errors")
    send_empty(page, "main form")  # nothing filled in: the form answers with its errors
    assert axe_violations(page) == [], "the intake form with its errors"
    fill_intake(page)
    submit(page)
    expect(page).to_have_url(re.compile(r"/cases/[^/]+/opened/$"))
    code = page.locator(".code-large").inner_text().strip()
    case = Case.objects.get(code=code.replace("-", ""))
    record(site, page, "lead", "case opened")
    page.get_by_role("link", name="Go to the case").click()
    expect(page.locator("h1 .code")).to_have_text(code)

    boss = signed_in(browsing, site, "supervisor")
    visit(site, boss, "supervisor", f"/cases/{code}/", "case page, supervisor")
    boss.locator(".page-actions").get_by_role("link", name="Close").click()
    record(site, boss, "supervisor", "close form")
    send_empty(boss, "main form")
    assert axe_violations(boss) == [], "the closing form with its errors"
    boss.fill("main form textarea, main form input[name=reason]", "She is safe and settled; no more support needed.")
    submit(boss)
    expect(boss.locator(".status")).to_have_text("Closed")
    case.refresh_from_db()
    assert case.status == "closed"
    visit(site, boss, "supervisor", f"/cases/{code}/", "closed case")
    assert_clean(browsing)


def fill_intake(page):
    """Chooses the first real option of every select of the intake form and leaves the rest."""
    for select in page.locator("main form select").all():
        values = [value for value in select.locator("option").evaluate_all("os => os.map(o => o.value)") if value]
        if values and not select.get_attribute("multiple"):
            select.select_option(values[0])


def test_3_a_contact_with_a_follow_up_date_joins_the_timeline(site, browsing):
    page = signed_in(browsing, site, "lead")
    visit(site, page, "lead", f"/cases/{site.code}/", "case page")
    quick = page.locator("form.quick-add")
    follow_up = datetime.date.today() + datetime.timedelta(days=7)
    quick.locator("input[name=occurred_at]").fill(datetime.datetime.now().strftime("%Y-%m-%dT%H:%M"))
    quick.locator("select[name=channel]").select_option("phone")
    quick.locator("select[name=purpose]").select_option("check_in")
    quick.locator("[name=notes]").fill("Called to check in.")
    quick.locator("input[name=follow_up_on]").fill(follow_up.isoformat())
    submit(page, "form.quick-add")
    expect(page).to_have_url(re.compile(rf"/cases/{site.code}/"))
    contact = Contact.objects.get(case=site.case)
    assert contact.follow_up_on == follow_up
    timeline = page.locator("ol.timeline li")
    expect(timeline).to_have_count(1)
    expect(timeline.first).to_contain_text("Follow-up set for")
    record(site, page, "lead", "case page with a contact")
    timeline.first.get_by_role("link").click()
    record(site, page, "lead", "contact")
    assert_clean(browsing)


def test_3_on_a_phone_the_case_page_opens_on_what_she_does_most_and_a_save_lands_where_she_was(site, browsing):
    person = "lead"
    signed_in(browsing, site, person)  # her session, from the walk or now
    page = browsing.open(width="phone", storage_state=site.sessions[person]).new_page()
    visit(site, page, person, f"/cases/{site.code}/", "case page")
    # Above the fold on a 390 px screen: the case at a glance and the three actions.
    expect(page.locator("dl.case-strip")).to_be_in_viewport()
    for action in page.locator("nav.case-do a").all():
        expect(action).to_be_in_viewport()
    page.locator("nav.case-do a[href='#log-contact']").click()
    expect(page).to_have_url(re.compile(r"#log-contact$"))
    quick = page.locator("form.quick-add")
    expect(quick.locator("select[name=channel]")).to_be_in_viewport()
    quick.locator("input[name=occurred_at]").fill(datetime.datetime.now().strftime("%Y-%m-%dT%H:%M"))
    quick.locator("select[name=channel]").select_option("secure_messenger")
    quick.locator("select[name=purpose]").select_option("check_in")
    quick.locator("[name=notes]").fill("Late call, all well.")
    submit(page, "form.quick-add")
    expect(page).to_have_url(re.compile(rf"/cases/{site.code}/#timeline$"))
    # She lands on the timeline, the saved message in view, not at the top of the page.
    expect(page.locator("#timeline .message")).to_be_in_viewport()
    expect(page.locator("dl.case-strip")).not_to_be_in_viewport()
    assert_clean(browsing)


def test_4_a_referral_is_made_consented_and_sent_in_one_form(site, browsing):
    page = signed_in(browsing, site, "lead")
    visit(site, page, "lead", f"/cases/{site.code}/", "case page")
    page.locator("nav.case-do").get_by_role("link", name="Make a referral").click()
    record(site, page, "lead", "referral fast path")
    record_refusal(site, page, "lead", "referral fast path, with errors")
    page.locator("select[name=service_type]").select_option("legal")
    page.locator("input[name=external_provider]").fill("A legal aid clinic")
    page.locator("input[name=data_shared]").fill("Age band and the legal need")
    page.locator("select[name=consent_given_by]").select_option("survivor")
    page.locator("input[name=consent_given_on]").fill(datetime.date.today().isoformat())
    page.locator("input[name=consent_method][value=written]").check()
    for category in ("age_band", "needs"):
        page.locator(f"input[name=consent_scope][value={category}]").check()
    submit(page)
    expect(page).to_have_url(re.compile(rf"/cases/{site.code}/#referrals$"))
    expect(page.locator("#referrals .message")).to_be_in_viewport()
    referral = Referral.objects.get(case=site.case, service_type="legal")
    assert (referral.status, referral.consent_recipient) == ("sent", "A legal aid clinic")
    assert_clean(browsing)


def test_4_a_referral_gets_consent_and_is_sent(site, browsing):
    page = signed_in(browsing, site, "lead")
    visit(site, page, "lead", f"/cases/{site.code}/referrals/new/", "new referral")
    page.locator("select[name=service_type]").select_option("shelter")
    page.locator("input[name=external_provider]").fill("A partner shelter")
    submit(page)
    referral = Referral.objects.get(case=site.case, service_type="shelter")
    record(site, page, "lead", "referral")
    visit(site, page, "lead", f"/cases/{site.code}/referrals/{referral.uid}/consent/", "consent")
    record_refusal(site, page, "lead", "consent, with errors")
    fill_consent(page)
    submit(page)
    referral.refresh_from_db()
    assert referral.consent_given_on is not None, page.url
    visit(site, page, "lead", f"/cases/{site.code}/referrals/{referral.uid}/status/", "referral status")
    page.locator("input[name=status][value=sent]").check()
    page.locator("input[name=on]").fill(datetime.date.today().isoformat())
    submit(page)
    referral.refresh_from_db()
    assert referral.status == "sent"
    visit(site, page, "lead", f"/cases/{site.code}/referrals/{referral.uid}/", "sent referral")
    assert_clean(browsing)


def fill_consent(page):
    today = datetime.date.today().isoformat()
    for date in page.locator("main form input[type=date]").all():
        if "expire" not in (date.get_attribute("name") or ""):
            date.fill(today)
    for select in page.locator("main form select").all():
        values = [value for value in select.locator("option").evaluate_all("os => os.map(o => o.value)") if value]
        select.select_option(values[0])
    for text in page.locator("main form textarea, main form input[type=text]").all():
        text.fill("Shelter, the case code only")
    for box in page.locator("main form input[type=checkbox]").all():
        box.check()
    page.locator("main form input[type=radio]").first.check()


def test_4_a_packet_goes_to_a_partner_and_opens_a_case_of_its_own_there(site, browsing):
    lead = signed_in(browsing, site, "lead")
    for referral in site.partner_referrals:
        visit(site, lead, "lead", f"/cases/{site.code}/referrals/{referral.uid}/", "partner referral")
        lead.get_by_role("link", name="Send a packet").click()
        record(site, lead, "lead", "packet form")
        for category in ("needs", "legal_name"):
            lead.locator(f"input[name=categories][value={category}]").check()
        submit(lead)
        expect(lead.locator("main")).to_contain_text("approval")
    supervisor = signed_in(browsing, site, "supervisor")
    for referral in site.partner_referrals:
        visit(site, supervisor, "supervisor", f"/cases/{site.code}/referrals/{referral.uid}/", "packet to approve")
        supervisor.get_by_role("button", name="Approve and send").click()
        supervisor.wait_for_load_state()
    visit(site, supervisor, "supervisor", "/partners/", "partners")
    partner = signed_in(browsing, site, "partner")
    visit(site, partner, "partner", "/partners/inbox/", "intake inbox")
    links = partner.locator("main table a")
    expect(links).to_have_count(2)
    links.first.click()
    assert site.code not in partner.locator("body").inner_text()
    partner.locator("form[action$='/accept/'] button[type=submit]").click()
    partner.wait_for_load_state()
    record(site, partner, "partner", "case from a packet")
    received = Case.objects.get(organisation__slug="browser-partner")
    assert received.code != site.case.code
    expect(partner.locator("main")).not_to_contain_text(site.code)
    # The other packet stays waiting: the tour opens its page again.
    partner.goto("/partners/inbox/")
    partner.locator("main table a").first.click()
    record(site, partner, "partner", "waiting packet")
    assert_clean(browsing)


def test_5_she_reveals_the_identity_with_a_fresh_code(site, browsing):
    page = signed_in(browsing, site, "lead")
    visit(site, page, "lead", f"/cases/{site.code}/identity/", "reveal form")
    record_refusal(site, page, "lead", "reveal form, with errors")
    page.locator("select[name=purpose]").select_option(index=1)
    page.locator("input[name=reason]").fill("Checking the record before a call")
    page.locator("input[name=fields]").first.check()
    # A fresh code: if her sign-in spent this step's, the next step's (accepted early).
    page.locator("input[name=code]").fill(site.people["lead"].code())
    submit(page)
    expect(page.locator("main")).to_contain_text(NAME)
    assert axe_violations(page) == [], "the revealed page"
    assert AuditEntry.objects.filter(event="identity.reveal").exists()
    assert_clean(browsing)


def test_6_a_supervisor_reviews_the_audit_trail(site, browsing):
    page = signed_in(browsing, site, "supervisor")
    visit(site, page, "supervisor", "/audit/", "audit trail")
    expect(page.locator("main")).to_contain_text("b-lead")
    visit(site, page, "supervisor", f"/audit/cases/{site.code}/", "case timeline")
    expect(page.locator("main")).to_contain_text(site.code)
    visit(site, page, "supervisor", "/audit/users/b-lead/", "one person's activity")
    visit(site, page, "supervisor", "/audit/flags/", "flags")
    visit(site, page, "supervisor", "/access/cases/", "case access directory")
    assert_clean(browsing)


def test_7_an_administrator_gives_a_colleague_access(site, browsing):
    page = signed_in(browsing, site, "admin")
    visit(site, page, "admin", "/access/users/", "people")
    visit(site, page, "admin", "/access/users/b-colleague/", "a person")
    visit(site, page, "admin", "/access/cases/", "case access directory, admin")
    visit(site, page, "admin", f"/access/cases/{site.code}/", "access to a case")
    record_refusal(site, page, "admin", "access to a case, grant with errors", "form[action$='/grant/']")
    grant = page.locator("form[action$='/grant/']")
    person = grant.locator("select[name=grant-user] option", has_text="b-colleague").get_attribute("value")
    grant.locator("select[name=grant-user]").select_option(person)
    grant.locator("select[name=grant-level]").select_option("view")
    grant.locator("[name=grant-reason]").fill("Covering while the lead is away")
    submit(page, "form[action$='/grant/']")
    colleague = User.objects.get(username="b-colleague")
    assert Case.objects.restrict(colleague, "view").filter(pk=site.case.pk).exists()
    visit(site, page, "admin", "/access/teams/", "teams")
    assert_clean(browsing)


def test_8_quick_exit_by_the_button(site, browsing):
    _, page = sign_in(browsing, site, "leaver")
    page.goto(f"/cases/{site.code}/")
    page.locator("#quick-exit button").click()
    she_is_out(site, page)
    assert_clean(browsing)


def test_8_quick_exit_by_pressing_shift_three_times(site, browsing):
    _, page = sign_in(browsing, site, "presser")
    page.goto("/cases/")
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(re.compile(r"/accounts/weather/"))
    she_is_out(site, page)
    assert_clean(browsing)


def she_is_out(site, page):
    expect(page).to_have_url(re.compile(r"/accounts/weather/$"))
    record(site, page, "anonymous", "weather page")
    assert "casework" not in page.title().lower()
    page.goto("/cases/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_9_after_signing_out_back_shows_nothing_of_the_case(site, browsing):
    _, page = sign_in(browsing, site, "returner")
    page.goto(f"/cases/{site.code}/")
    expect(page.locator("h1 .code")).to_have_text(site.code)
    page.locator("form.signout button").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.go_back()
    page.wait_for_load_state()
    # The browser asks again (no-store) and is sent to sign in: what is on screen is the
    # sign-in form, with nothing of the case in it.
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    on_screen = page.locator("body").inner_text()
    assert site.code not in on_screen
    assert "Met at the border office." not in on_screen
    assert_clean(browsing)


# ---------------------------------------------------------------------------- the tour


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_of_the_walk_passes_the_checks(site, browsing, width, language):
    assert len({visited[2] for visited in site.visited}) >= 20, "the flows above recorded too few pages"
    pages = {}
    failures = []
    for who, path, what, form in dict.fromkeys(site.visited):
        if who not in pages:
            state = site.sessions.get(who) if who != "anonymous" else None
            pages[who] = browsing.open(width=width, language=language, storage_state=state).new_page()
        page = pages[who]
        response = page.goto(path)
        if response.status != 200:
            failures.append(f"{what} {path}: answered {response.status}")
            continue
        if form:
            send_empty(page, form)
        assert page.locator("html").get_attribute("lang") == language
        failures += [f"{what} {path}: {line}" for line in axe_violations(page)]
        failures += [f"{what} {path}: a date in numbers only, {date!r}" for date in numeric_dates(page)]
    failures += browsing.problems()
    assert failures == []
