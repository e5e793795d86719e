from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django_otp.plugins.otp_totp.models import TOTPDevice


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
}


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
        return self.get_response(request)

    @staticmethod
    def _allowed(request):
        if request.path.startswith("/static/"):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False  # an unknown path is no way in either
        return match.view_name in HALF_SIGNED_IN
