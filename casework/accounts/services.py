"""The second factor: enrolment, verification, recovery codes. Codes are never stored in
the clear by us, never logged, never written to the audit trail."""

import secrets
import time

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from casework.access.models import Membership, Role
from casework.access.services.vouching import unvouch
from casework.accounts.sessions import end_sessions
from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record

RECOVERY_CODES = 10
# The secret of an enrolment under way lives in that session only, never in a device row:
# a secret kept in the database outlives the session that asked for it (a password-only
# session could plant it for the owner's next phone).
ENROLMENT = "casework_enrolment"
AUTHENTICATOR = "authenticator"
RECOVERY = "recovery"
# Recovery codes: 10 characters of a readable alphabet (no 0/O, 1/I/L), shown in two groups of 5.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# When this session last proved its second factor (seconds since the epoch).
SECOND_FACTOR_AT = "casework_second_factor_at"


class SignedInRequest(HttpRequest):
    """For the checker only: a request behind the sign-in, whose ``user`` is a person (the
    middleware turns everyone else away before a view that takes one runs)."""

    user: User


def normalise_token(token: str | None) -> str:
    return "".join((token or "").split()).replace("-", "").upper()


def authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_start(request: SignedInRequest) -> TOTPDevice:
    """A new enrolment for this session: a fresh secret, replacing any earlier one unconfirmed."""
    request.session[ENROLMENT] = {"user": request.user.pk, "key": default_key()}
    device = enrolment(request)
    assert device is not None  # the enrolment just stored is hers
    return device


def enrolment(request: SignedInRequest) -> TOTPDevice | None:
    """The authenticator this session is setting up (unsaved), or None if none is under way."""
    pending = request.session.get(ENROLMENT)
    if not isinstance(pending, dict) or pending.get("user") != request.user.pk:
        return None
    return TOTPDevice(user=request.user, name=AUTHENTICATOR, key=pending["key"], confirmed=False)


def enrolment_end(request: HttpRequest) -> None:
    request.session.pop(ENROLMENT, None)


@transaction.atomic
def verify_second_factor(*, request: HttpRequest, user: User, token: str) -> TOTPDevice | StaticDevice | None:
    """Check a code from the authenticator or a recovery code; on success mark this session
    verified and return the device. A code is accepted once: django-otp refuses a TOTP time
    step it has seen, and a recovery code is deleted as it is used."""
    token = normalise_token(token)
    device = authenticator(user)
    if device is not None and token.isdigit() and device.verify_token(token):
        _signed_in(request, device, event=events.LOGIN_SUCCESS)
        return device
    recovery = StaticDevice.objects.filter(user=user, name=RECOVERY, confirmed=True).first()
    if recovery is not None and not token.isdigit() and recovery.verify_token(token):
        _signed_in(request, recovery, event=events.LOGIN_RECOVERY_CODE)
        return recovery
    record(event=events.LOGIN_SECOND_FACTOR, actor=user, outcome=Outcome.DENIED)
    return None


def _signed_in(request: HttpRequest, device: TOTPDevice | StaticDevice, event: events.Event) -> None:
    otp_login(request, device)
    request.session.cycle_key()  # a new session key now that both factors are in
    note_second_factor(request)
    details = {"remaining": device.token_set.count()} if isinstance(device, StaticDevice) else None
    record(event=event, actor=request.user, details=details)


@transaction.atomic
def enrol_confirm(*, request: SignedInRequest, user: User, token: str) -> list[str] | None:
    """Confirm this session's enrolment with a code from the new authenticator; it replaces
    any earlier one and the enrolment ends. Returns the new recovery codes (to be shown
    once), or None if the code is wrong or no enrolment is under way in this session."""
    device = enrolment(request)
    matched = _totp_step(device, normalise_token(token)) if device is not None else None
    if device is None or matched is None:
        record(event=events.OTP_ENROL, actor=user, outcome=Outcome.DENIED)
        return None
    # Looked at again under a lock on her row: the owner may have confirmed her own
    # authenticator since this request began, and a password alone never replaces one.
    User.objects.select_for_update().get(pk=user.pk)
    # is_verified() is put on the user by django-otp's middleware.
    if authenticator(user) is not None and not request.user.is_verified():  # type: ignore[attr-defined]
        record(event=events.OTP_ENROL, actor=user, outcome=Outcome.DENIED, details={"cause": "enrolled_meanwhile"})
        enrolment_end(request)
        return None
    TOTPDevice.objects.filter(user=user).delete()  # the old phone, and any device planted earlier
    device.confirmed, device.last_t = True, matched  # the confirming code cannot sign in again
    device.save()
    enrolment_end(request)
    otp_login(request, device)
    request.session.cycle_key()
    note_second_factor(request)
    record(event=events.OTP_ENROL, actor=user)
    return _new_recovery_codes(user)


def _totp_step(device: TOTPDevice, token: str) -> int | None:
    """The time step ``token`` belongs to, within the device's tolerance; None if it matches none."""
    if not token.isdigit():
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if not totp.verify(int(token), device.tolerance):
        return None
    step: int = totp.t()
    return step


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    record(event=events.OTP_RECOVERY_CODES, actor=user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def current_code_is_valid(user: User, token: str) -> bool:
    """Step-up check before changing the second factor: a fresh code from the current authenticator."""
    device = authenticator(user)
    return device is not None and device.verify_token(normalise_token(token))


def note_second_factor(request: HttpRequest) -> None:
    request.session[SECOND_FACTOR_AT] = int(time.time())


def second_factor_is_fresh(request: HttpRequest) -> bool:
    """Has this session proved its second factor within STEP_UP_SECONDS (the reveal's rule)?"""
    at = request.session.get(SECOND_FACTOR_AT)
    return isinstance(at, int) and 0 <= time.time() - at < settings.STEP_UP_SECONDS


# The answer to a wrong or spent code at a step-up (a reveal, an identity write, a vouch).
WRONG_CODE = gettext_lazy("That code is not right, or it was already used. Wait for the next one.")


def step_up(*, request: SignedInRequest, token: str) -> bool:
    """A fresh code from the authenticator, for an act that needs one (revealing an identity)."""
    if current_code_is_valid(request.user, token):
        note_second_factor(request)
        return True
    return False


def second_factor_wipe(*, by: User, user: User, membership: Membership, cause: str, reason: str) -> int:
    """Her authenticator and recovery codes gone, every session of hers ended, and her
    vouching undone: whoever enrols next could be anyone who knows her password, so a
    supervisor must vouch again. Returns how many sessions ended. The caller checks who may
    and records the act (an administrator's reset, a lost phone)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    ended: int = end_sessions(user=user)
    unvouch(by=by, membership=membership, cause=cause, reason=reason)
    return ended


@transaction.atomic
def second_factor_reset(*, by: User, user: User, reason: str = "") -> None:
    """An administrator of her organisation removes a person's authenticator and recovery
    codes (a lost phone): every session of hers ends at once, and her next sign-in walks
    her through enrolment again. Nobody resets her own second factor this way."""
    membership = Membership.objects.active().filter(user=user).first()
    organisation_id = membership.organisation_id if membership else None
    may = (
        by.pk != user.pk
        and organisation_id is not None
        and Membership.objects.active().filter(user=by, role=Role.ADMIN, organisation_id=organisation_id).exists()
    )
    if not may:
        raise PermissionDenied(
            _("Only another administrator of this person's organisation can reset her second factor.")
        )
    if membership.must_change_password:
        # An administrator knows that password: with the authenticator gone too, she could become her.
        raise ValidationError(
            _("She still has a temporary password from an administrator. She must sign in and choose her own first.")
        )
    ended = second_factor_wipe(by=by, user=user, membership=membership, cause="otp.reset", reason=reason)
    record(
        event=events.OTP_RESET,
        actor=by,
        target=user,
        organisation=organisation_id,
        reason=reason,
        details={"ended": ended},
    )
