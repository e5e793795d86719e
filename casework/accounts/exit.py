"""Quick exit: the button in the top corner of every page, or Shift pressed three times, ends the
session on the server and puts a neutral weather page where casework was. Someone who walks
in, or who takes the laptop afterwards, finds no case on the screen, none behind Back (signed-in
pages are never stored) and no cookie that still opens anything."""

from datetime import timedelta

from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from django.views import csrf
from django.views.decorators.http import require_POST, require_safe

from casework.accounts.sessions import CLEAR_SITE_DATA
from casework.audit import events
from casework.audit.services import record
from casework.web import doors

# "Clear" is also a button elsewhere: the context keeps the two translations apart.
SKIES = [
    pgettext_lazy("sky", "Sunny"),
    pgettext_lazy("sky", "Partly cloudy"),
    pgettext_lazy("sky", "Cloudy"),
    pgettext_lazy("sky", "Light rain"),
    pgettext_lazy("sky", "Showers"),
    pgettext_lazy("sky", "Clear"),
]
# Typical daytime highs by month (°C), for a forecast that looks ordinary; it is not a real one.
HIGHS = [2, 5, 11, 18, 23, 27, 29, 29, 25, 19, 11, 4]


@doors.public
@require_POST
def quick_exit(request):
    if request.user.is_authenticated:
        record(event=events.SESSION_QUICK_EXIT, actor=request.user)
    # logout() flushes the session (the old cookie opens nothing any more) and tells the
    # session tracking that this login ended. A half-signed-in session leaves the same way.
    logout(request)
    response = redirect("accounts:exited")
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


@doors.public
@require_safe
def neutral_page(request):
    return _render_neutral_page(request)


def _render_neutral_page(request, status=200):
    """A plain weather page: no casework chrome, no links back, nothing to say what was open."""
    today = timezone.localdate()
    response = render(request, "accounts/weather.html", {"days": _forecast(today)}, status=status)
    # Signed out, so NoStoreMiddleware passes it by; but a cached copy in the history of a
    # seized browser is a page that was on screen just when casework was left.
    response["Cache-Control"] = "no-store"
    return response


def _forecast(today):
    days = []
    for offset in range(5):
        day = today + timedelta(days=offset)
        wobble = (day.toordinal() * 7) % 5 - 2
        high = HIGHS[day.month - 1] + wobble
        days.append({"date": day, "sky": SKIES[(day.toordinal() * 5) % len(SKIES)], "high": high, "low": high - 8})
    return days


def csrf_failure(request, reason=""):
    """Django's "form expired" page, except on the quick-exit button: someone in danger gets
    the neutral page at once, never an error page naming casework. The browser is still told
    to drop this site's cookies; the session itself is left alone (a refused request changes
    nothing on the server) and ends at its idle timeout if nobody signs out."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name != "accounts:exit":
        return csrf.csrf_failure(request, reason)
    response = _render_neutral_page(request, status=403)
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
