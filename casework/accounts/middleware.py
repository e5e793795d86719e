from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.accounts.models import workspace_is_empty
from casework.accounts.sessions import REPLACE_CREDENTIAL
from casework.audit import chain, events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.web.pages import unavailable


class NoStoreMiddleware:
    """Pages for a signed-in user are never kept by the browser or a proxy (a seized laptop keeps nothing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response


# What a person who has given her password but not yet her second factor may reach.
HALF_SIGNED_IN = {
    "accounts:verify",
    "accounts:enrol",
    "accounts:enrol_qr",
    "logout",
    "accounts:exit",
    "accounts:exited",
    "login",
    "set_language",
    "healthz",  # "ok" or "not ok", to anyone
}


# What a person who must still replace her temporary password may reach, once fully signed in.
TEMPORARY_PASSWORD = HALF_SIGNED_IN | {"accounts:password"}


class SecondFactorMiddleware:
    """A password alone opens nothing: until the second factor is verified in this session,
    every page but the second step, enrolment and signing out redirects to the second step.

    Goes after django-otp's OTPMiddleware, which tells whether the session is verified.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not self._allowed(request):
            enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            return redirect("accounts:verify" if enrolled else "accounts:enrol")
        if (
            user.is_authenticated
            and request.session.get(REPLACE_CREDENTIAL)
            and not self._allowed(request, TEMPORARY_PASSWORD)
        ):
            # An administrator chose the password she signed in with: nothing opens until it is hers alone.
            return redirect("accounts:password")
        return self.get_response(request)

    @staticmethod
    def _allowed(request, allowed=HALF_SIGNED_IN):
        if request.path.startswith("/static/"):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False  # an unknown path is no way in either
        return match.view_name in allowed


# What she may still send while her workspace is emptied: signing in and out, the language,
# and what protects her further (freezing, travel mode, a lost phone, ending her other sessions).
# Never enrolling an authenticator: whoever stands over her could put his own phone in place of
# hers (after making her report hers lost); a new phone waits until a supervisor lifts it.
WHILE_EMPTIED = (HALF_SIGNED_IN - {"accounts:enrol"}) | {
    "accounts:freeze",
    "accounts:travel",
    "accounts:device_lost",
    "accounts:sign_out_others",
    "cases:find",  # posted only to keep a typed code out of the URL: it reads, and finds nothing
}
# Pages about one case (or its access): the permission layer gives an emptied account no case,
# so the door answers 404 exactly as for an account that never had it, and nothing is written.
CASE_DOORS = {"case_page", "case_record", "directory_case"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class EmptiedWorkspaceMiddleware:
    """While her workspace is emptied (frozen, in travel mode, signed in under duress), every
    page opens as it would for an account with nothing in it, and every change she sends,
    on any page, gets the answer any account gets when the database does not answer (503,
    "nothing was changed"): nothing is read for it and nothing written but the refusal, which
    her supervisors see. One rule here, rather than each page deciding: whoever stands over
    her cannot make her vouch, grant, confirm, erase, change her password or make recovery
    codes, and no form of hers answers anything that could tell it apart from an empty one.

    Goes after CSRF (a forged form is refused as on any day) and just before the audit
    context's process_view, which calls the view itself (its ``__call__`` has already set
    the context that the refusal's entry carries). The user of a request came with her
    protections (``workspace_is_empty`` costs no query).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS or not workspace_is_empty(request.user):
            return None
        page = request.resolver_match.view_name if request.resolver_match else ""
        if page in WHILE_EMPTIED or getattr(view_func, "door", None) in CASE_DOORS:
            return None
        # Everything else, her temporary password too (under duress, the form would say that
        # the password she signed in with is wrong): it waits until the protection is lifted.
        with chain.audited_atomic():
            record(
                event=events.ACCOUNT_CHANGE_REFUSED, actor=request.user, outcome=Outcome.DENIED, details={"page": page}
            )
        return unavailable()
