from django.urls import path

from casework.retention import views

app_name = "retention"
urlpatterns = [
    path("", views.retention_rules, name="rules"),
    path("organisation/", views.organisation_erase, name="organisation"),
    path("cases/<str:code>/erase/", views.case_erase, name="erase"),
    path("cases/<str:code>/erase/cancel/", views.case_erase_cancel, name="erase_cancel"),
    path("cases/<str:code>/hold/", views.case_hold, name="hold"),
    path("cases/<str:code>/hold/lift/", views.case_hold_lift, name="hold_lift"),
    path("cases/<str:code>/extend/", views.case_extend, name="extend"),
]
