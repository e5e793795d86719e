from django.urls import include, path

from casework.cases.views import cases, contacts, export, journey, needs, referrals
from casework.identity import urls as identity_urls

app_name = "cases"
urlpatterns = [
    path("", cases.case_list, name="list"),
    path("find/", cases.case_find, name="find"),
    path("new/", cases.case_create, name="new"),
    path("export/", export.case_export, name="export"),
    path("<str:code>/", cases.case_detail, name="detail"),
    path("<str:code>/opened/", cases.case_opened, name="opened"),
    path("<str:code>/edit/", cases.case_edit, name="edit"),
    path("<str:code>/close/", cases.case_close, name="close"),
    path("<str:code>/reopen/", cases.case_reopen, name="reopen"),
    path("<str:code>/assign/", cases.case_assign, name="assign"),
    path("<str:code>/unassign/", cases.case_unassign, name="unassign"),
    path("<str:code>/contacts/", include(contacts.urls)),
    path("<str:code>/needs/", include(needs.urls)),
    path("<str:code>/journey/", include(journey.urls)),
    path("<str:code>/referrals/", include(referrals.urls)),
    path("<str:code>/identity/", include(identity_urls)),
]
