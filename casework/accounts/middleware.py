from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.accounts.sessions import REPLACE_CREDENTIAL


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
