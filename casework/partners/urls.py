from django.urls import include, path

from casework.partners import views

app_name = "partners"
urlpatterns = [
    path("partners/", include(views.urls)),
    path("cases/<str:code>/", include(views.case_urls)),
]
