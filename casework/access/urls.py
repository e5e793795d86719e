from django.urls import include, path
from django.views.generic import RedirectView

from casework.access.views import cases, confirmations, people, teams
from casework.web import doors

app_name = "access"
urlpatterns = [
    # The directory's own door decides who gets further.
    path("", doors.signed_in(RedirectView.as_view(pattern_name="access:cases")), name="index"),
    path("users/", include(people.urls)),
    path("teams/", include(teams.urls)),
    path("cases/", include(cases.urls)),
    path("confirmations/", include(confirmations.urls)),
]
