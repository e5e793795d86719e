"""Two-factor sign-in: a password alone opens nothing; each code works once."""

import base64
import time
from io import StringIO
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.accounts import services, views
from casework.audit.models import AuditEntry
from tests.factories import PASSWORD, make_caseworker, make_org, make_team


def code(device, steps_ahead=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def shown_secret(page):
    """The secret the enrolment page shows (what the person types or scans into her phone)."""
    return as_device(page.context["secret"])


def as_device(base32_secret):
    key = base64.b32decode(base32_secret.replace(" ", "") + "=" * (-len(base32_secret.replace(" ", "")) % 8))
    return SimpleNamespace(bin_key=key, step=30, t0=0, digits=6, drift=0)


@pytest.fixture
def qr_payloads(monkeypatch):
    """What each QR code served encodes: the otpauth:// URL, as a phone scanning it reads it."""
    drawn = []
    real_make = views.segno.make

    def make(content, **kwargs):
        drawn.append(content)
        return real_make(content, **kwargs)

    monkeypatch.setattr(views.segno, "make", make)
    return drawn


def secret_in(otpauth_url):
    return as_device(parse_qs(urlsplit(otpauth_url).query)["secret"][0])


def enrolled(user):
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def sign_in_with_password(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


@pytest.fixture
def person(db):
    org = make_org()
    return make_caseworker(org, make_team(org), username="ji-woo")


def test_a_password_alone_reaches_only_the_second_step(client, world):
    device = enrolled(world.lead)
    assert sign_in_with_password(client, world.lead).url == reverse("accounts:verify")
    for url in (
        reverse("home"),
        reverse("cases:list"),
        reverse("cases:detail", args=[world.case.display_code]),
        reverse("cases:new"),
        reverse("providers:list"),
        reverse("accounts:security"),
    ):
        response = client.get(url)
        assert (response.status_code, response.url) == (302, reverse("accounts:verify")), url
    posted = client.post(reverse("cases:edit", args=[world.case.display_code]), {"summary": "x"})
    assert posted.url == reverse("accounts:verify")
    assert client.get(reverse("accounts:verify")).status_code == 200
    assert device.confirmed


def test_someone_never_enrolled_is_walked_through_enrolment(client, person):
    sign_in_with_password(client, person)
    assert client.get(reverse("home")).url == reverse("accounts:enrol")
    page = client.get(reverse("accounts:enrol"))
    assert reverse("accounts:enrol_qr") in page.content.decode()
    pending = shown_secret(page)
    qr = client.get(reverse("accounts:enrol_qr"))
    assert qr["Content-Type"] == "image/svg+xml"
    assert qr["Cache-Control"] == "no-store"
    assert qr.content.startswith(b"<svg")
    response = client.post(reverse("accounts:enrol"), {"code": code(pending)})
    assert response.status_code == 200
    shown = response.context["codes"]
    assert len(shown) == len(set(shown)) == 10
    assert TOTPDevice.objects.get(user=person).confirmed
    assert client.get(reverse("home")).status_code == 200
    entry = AuditEntry.objects.filter(event="otp.enrol").latest("pk")
    assert (entry.actor, entry.outcome) == (person, "ok")


def test_the_second_step_signs_in_and_returns_to_where_she_was_going(client, world):
    device = enrolled(world.lead)
    target = reverse("cases:detail", args=[world.case.display_code])
    client.post(f"{reverse('login')}?next={target}", {"username": "lead", "password": PASSWORD})
    response = client.post(reverse("accounts:verify"), {"code": code(device)})
    assert response.url == target
    assert client.get(target).status_code == 200
    assert AuditEntry.objects.filter(event="login.success", actor=world.lead, outcome="ok").exists()


def test_a_replayed_code_is_refused(world):
    device = enrolled(world.lead)
    first, second = Client(), Client()
    sign_in_with_password(first, world.lead)
    sign_in_with_password(second, world.lead)
    used = code(device)
    assert first.post(reverse("accounts:verify"), {"code": used}).status_code == 302
    replay = second.post(reverse("accounts:verify"), {"code": used})
    assert replay.status_code == 400
    assert "already used" in replay.content.decode()
    assert second.get(reverse("home")).url == reverse("accounts:verify")


def test_a_recovery_code_works_once(world):
    enrolled(world.lead)
    from casework.accounts.services import recovery_codes_regenerate

    recovery = recovery_codes_regenerate(user=world.lead)[0]
    first, second = Client(), Client()
    sign_in_with_password(first, world.lead)
    assert first.post(reverse("accounts:verify"), {"code": recovery.lower()}).status_code == 302
    sign_in_with_password(second, world.lead)
    assert second.post(reverse("accounts:verify"), {"code": recovery}).status_code == 400
    entry = AuditEntry.objects.get(event="login.recovery_code")
    assert entry.additional_data == {"remaining": 9}


def test_after_a_wrong_code_the_next_try_must_wait(client, world):
    device = enrolled(world.lead)
    sign_in_with_password(client, world.lead)
    assert client.post(reverse("accounts:verify"), {"code": "000000"}).status_code == 400
    assert client.post(reverse("accounts:verify"), {"code": code(device)}).status_code == 400
    TOTPDevice.objects.get(pk=device.pk).throttle_reset()
    assert client.post(reverse("accounts:verify"), {"code": code(device)}).status_code == 302


def test_a_wrong_code_is_audited_without_the_code(client, world):
    enrolled(world.lead)
    sign_in_with_password(client, world.lead)
    response = client.post(reverse("accounts:verify"), {"code": "424242"})
    assert response.status_code == 400
    denied = AuditEntry.objects.filter(event="login.second_factor", outcome="denied").get()
    assert "424242" not in str(AuditEntry.objects.filter(pk=denied.pk).values().get())


def test_replacing_the_authenticator_needs_a_code_from_the_current_one(client, world, sign_in):
    old = enrolled(world.lead)
    sign_in(client, world.lead)
    new = shown_secret(client.get(reverse("accounts:enrol")))
    refused = client.post(reverse("accounts:enrol"), {"current_code": "000000", "code": code(new)})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(pk=old.pk).exists()
    TOTPDevice.objects.get(pk=old.pk).throttle_reset()  # a wrong code makes the next try wait a moment
    accepted = client.post(reverse("accounts:enrol"), {"current_code": code(old, 1), "code": code(new, 1)})
    assert accepted.status_code == 200
    [device] = TOTPDevice.objects.filter(user=world.lead)
    assert device.bin_key == new.bin_key and device.pk != old.pk


def test_a_password_only_session_cannot_replace_the_authenticator(client, world, sign_in):
    enrolled(world.lead)
    sign_in(client, world.lead, second_factor=False)
    assert client.get(reverse("accounts:enrol")).url == reverse("accounts:verify")


def test_new_recovery_codes_need_a_current_code_and_retire_the_old_ones(client, world, sign_in):
    device = enrolled(world.lead)
    from casework.accounts.services import recovery_codes_regenerate

    old_codes = recovery_codes_regenerate(user=world.lead)
    sign_in(client, world.lead)
    assert client.post(reverse("accounts:recovery_codes"), {"current_code": "123456"}).status_code == 400
    TOTPDevice.objects.get(pk=device.pk).throttle_reset()
    response = client.post(reverse("accounts:recovery_codes"), {"current_code": code(device)})
    new_codes = response.context["codes"]
    tokens = set(StaticToken.objects.filter(device__user=world.lead).values_list("token", flat=True))
    assert tokens == {c.replace("-", "") for c in new_codes}
    assert not tokens & {c.replace("-", "") for c in old_codes}


def test_the_security_page_counts_the_recovery_codes_left(client, world, sign_in):
    enrolled(world.lead)
    from casework.accounts.services import recovery_codes_regenerate

    recovery_codes_regenerate(user=world.lead)
    sign_in(client, world.lead)
    assert "You have 10 unused recovery codes." in client.get(reverse("accounts:security")).content.decode()


class TestDemoCode:
    def test_it_prints_a_demo_users_current_code(self, db, settings):
        from django.contrib.auth.models import User

        settings.DEBUG = True
        user = User.objects.create_user("haven-cw-north-1")
        device = enrolled(user)
        out = StringIO()
        call_command("demo_code", "haven-cw-north-1", stdout=out)
        assert out.getvalue().strip() in {code(device, -1), code(device), code(device, 1)}

    def test_it_refuses_without_debug(self, db, settings):
        settings.DEBUG = False
        with pytest.raises(CommandError, match="CASEWORK_DEBUG=1"):
            call_command("demo_code", "haven-cw-north-1")

    def test_it_refuses_a_user_who_is_not_a_demo_user(self, world, settings):
        settings.DEBUG = True
        enrolled(world.lead)
        with pytest.raises(CommandError, match="not a demo user"):
            call_command("demo_code", "lead")


class TestSecondFactorReset:
    def test_an_admin_resets_it_and_every_session_of_hers_ends(self, world, sign_in):
        from casework.accounts.services import second_factor_reset

        enrolled(world.lead)
        phone = Client()
        sign_in(phone, world.lead)
        assert phone.get(reverse("home")).status_code == 200
        second_factor_reset(by=world.admin, user=world.lead, reason="Phone lost")
        assert phone.get(reverse("home")).url.startswith(reverse("login"))
        assert not TOTPDevice.objects.filter(user=world.lead).exists()
        entry = AuditEntry.objects.get(event="otp.reset")
        assert (entry.actor, entry.reason) == (world.admin, "Phone lost")
        fresh = Client()
        sign_in_with_password(fresh, world.lead)
        assert fresh.get(reverse("home")).url == reverse("accounts:enrol")

    @pytest.mark.parametrize("persona", ["supervisor", "lead", "outsider"])
    def test_only_another_admin_of_her_organisation_may(self, world, persona):
        from django.core.exceptions import PermissionDenied

        from casework.accounts.services import second_factor_reset

        enrolled(world.lead)
        with pytest.raises(PermissionDenied):
            second_factor_reset(by=getattr(world, persona), user=world.lead)
        assert TOTPDevice.objects.filter(user=world.lead).exists()

    def test_an_admin_cannot_reset_her_own(self, world):
        from django.core.exceptions import PermissionDenied

        from casework.accounts.services import second_factor_reset

        with pytest.raises(PermissionDenied):
            second_factor_reset(by=world.admin, user=world.admin)


class TestEnrolmentSecrets:
    """An enrolment secret is fresh for each enrolment, bound to its session, gone when the
    enrolment ends, and never served to a password-only session of someone already enrolled."""

    def test_a_password_alone_cannot_plant_the_next_authenticator(self, world, qr_payloads):
        old = enrolled(world.lead)
        attacker = Client()
        sign_in_with_password(attacker, world.lead)  # a leaked password, or an administrator's reset
        planting = [attacker.get(reverse("accounts:enrol_qr")), attacker.get(reverse("accounts:enrol"))]
        planted = [secret_in(url) for url in qr_payloads]

        owner = Client()  # later, the owner sets up her new phone, fully signed in
        sign_in_with_password(owner, world.lead)
        assert owner.post(reverse("accounts:verify"), {"code": code(old)}).status_code == 302
        new = shown_secret(owner.get(reverse("accounts:enrol")))
        confirmed = owner.post(reverse("accounts:enrol"), {"current_code": code(old, 1), "code": code(new)})
        assert confirmed.status_code == 200 and confirmed.context["codes"]

        assert planting[0].status_code == 404 and planting[1].url == reverse("accounts:verify")
        assert planted == []
        [device] = TOTPDevice.objects.filter(user=world.lead)
        assert device.bin_key == new.bin_key

    def test_codes_from_a_secret_planted_before_this_fix_never_sign_in(self, world):
        old = enrolled(world.lead)
        planted = TOTPDevice.objects.create(user=world.lead, name="pending", confirmed=False)  # left by an attacker
        owner = Client()
        sign_in_with_password(owner, world.lead)
        owner.post(reverse("accounts:verify"), {"code": code(old)})
        new = shown_secret(owner.get(reverse("accounts:enrol")))
        assert new.bin_key != planted.bin_key
        owner.post(reverse("accounts:enrol"), {"current_code": code(old, 1), "code": code(new)})

        attacker = Client()
        sign_in_with_password(attacker, world.lead)
        refused = attacker.post(reverse("accounts:verify"), {"code": code(planted)})
        assert refused.status_code == 400
        assert attacker.get(reverse("home")).url == reverse("accounts:verify")
        assert not TOTPDevice.objects.filter(pk=planted.pk).exists()

    def test_each_enrolment_gets_a_fresh_secret_and_the_last_one_alone_confirms(self, client, person, qr_payloads):
        sign_in_with_password(client, person)
        first = shown_secret(client.get(reverse("accounts:enrol")))
        second = shown_secret(client.get(reverse("accounts:enrol")))
        assert first.bin_key != second.bin_key
        assert client.get(reverse("accounts:enrol_qr")).status_code == 200
        assert secret_in(qr_payloads[-1]).bin_key == second.bin_key  # the QR shows the page's secret
        stale = client.post(reverse("accounts:enrol"), {"code": code(first)})
        assert stale.status_code == 400
        assert not TOTPDevice.objects.filter(user=person).exists()
        assert client.post(reverse("accounts:enrol"), {"code": code(second)}).status_code == 200
        assert TOTPDevice.objects.get(user=person).bin_key == second.bin_key

    def test_a_secret_belongs_to_the_session_that_started_it(self, person, qr_payloads):
        mine, theirs = Client(), Client()
        sign_in_with_password(mine, person)
        sign_in_with_password(theirs, person)
        secret = shown_secret(mine.get(reverse("accounts:enrol")))
        assert theirs.get(reverse("accounts:enrol_qr")).status_code == 404  # nothing started there
        assert theirs.post(reverse("accounts:enrol"), {"code": code(secret)}).status_code == 400
        assert not TOTPDevice.objects.filter(user=person).exists()
        assert len(qr_payloads) == 0

    def test_the_secret_is_gone_once_the_enrolment_ends(self, client, person):
        sign_in_with_password(client, person)
        secret = shown_secret(client.get(reverse("accounts:enrol")))
        assert client.post(reverse("accounts:enrol"), {"code": code(secret)}).status_code == 200
        assert client.get(reverse("accounts:enrol_qr")).status_code == 404
        assert services.ENROLMENT not in client.session

    def test_a_confirming_code_cannot_sign_in_again(self, client, person):
        sign_in_with_password(client, person)
        secret = shown_secret(client.get(reverse("accounts:enrol")))
        used = code(secret)
        client.post(reverse("accounts:enrol"), {"code": used})
        again = Client()
        sign_in_with_password(again, person)
        assert again.post(reverse("accounts:verify"), {"code": used}).status_code == 400

    def test_an_enrolment_started_before_the_owner_enrolled_dies_with_it(self, person, qr_payloads):
        """A new account: the password leaks, someone starts an enrolment; the owner enrols
        first, elsewhere. The other session's secret is then neither served nor accepted."""
        attacker, owner = Client(), Client()
        sign_in_with_password(attacker, person)
        planted = shown_secret(attacker.get(reverse("accounts:enrol")))
        sign_in_with_password(owner, person)
        mine = shown_secret(owner.get(reverse("accounts:enrol")))
        assert owner.post(reverse("accounts:enrol"), {"code": code(mine)}).status_code == 200

        assert attacker.get(reverse("accounts:enrol_qr")).status_code == 404
        late = attacker.post(reverse("accounts:enrol"), {"code": code(planted)})
        assert late.url == reverse("accounts:verify")
        assert TOTPDevice.objects.get(user=person).bin_key == mine.bin_key
        assert attacker.post(reverse("accounts:verify"), {"code": code(planted)}).status_code == 400
