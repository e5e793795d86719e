from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from casework.accounts import sessions as account_sessions
from casework.accounts import views as account_views
from casework.cases.views import home, providers

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", account_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", account_sessions.sign_out, name="logout"),
    path("accounts/", include("casework.accounts.urls")),
    path("i18n/language/", login_not_required(set_language), name="set_language"),
    path("cases/", include("casework.cases.urls")),
    path("providers/", include((providers.urls, "providers"))),
    path("audit/", include("casework.audit.urls")),
    path("access/", include("casework.access.urls")),
]
