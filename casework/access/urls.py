from django.urls import include, path
from django.views.generic import RedirectView

from casework.access.views import cases, confirmations, people, teams

app_name = "access"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="access:cases"), name="index"),
    path("users/", include(people.urls)),
    path("teams/", include(teams.urls)),
    path("cases/", include(cases.urls)),
    path("confirmations/", include(confirmations.urls)),
]
