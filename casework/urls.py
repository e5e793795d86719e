from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from casework.cases.views import providers

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="cases:list"), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", include("casework.cases.urls")),
    path("providers/", include((providers.urls, "providers"))),
]
