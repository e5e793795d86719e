from django.urls import include, path
from django.views.i18n import set_language

from casework.accounts import views as account_views
from casework.cases.views import home, providers
from casework.web import doors, health

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/login/", doors.public(account_views.SignInView.as_view()), name="login"),
    path("accounts/logout/", account_views.sign_out, name="logout"),
    path("accounts/", include("casework.accounts.urls")),
    path("i18n/language/", doors.public(set_language), name="set_language"),
    path("partners/exchange/", include("casework.partners.urls_exchange")),  # partners on another server
    path("", include("casework.partners.urls")),  # /partners/, and a referral's packet under /cases/<code>/
    path("cases/", include("casework.cases.urls")),
    path("providers/", include((providers.urls, "providers"))),
    path("audit/", include("casework.audit.urls")),
    path("access/", include("casework.access.urls")),
    path("retention/", include("casework.retention.urls")),
    path("reports/", include("casework.reports.urls")),
]

# A server error, or the database not answering (503): plain pages that need no query.
handler500 = "casework.web.pages.server_error"
