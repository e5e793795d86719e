from django.urls import include, path

from casework.access.views import cases, confirmations, people, teams

app_name = "access"
urlpatterns = [
    path("", cases.access_index, name="index"),
    path("users/", include(people.urls)),
    path("teams/", include(teams.urls)),
    path("cases/", include(cases.urls)),
    path("confirmations/", include(confirmations.urls)),
]
