from django.urls import path

from casework.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.trail, name="trail"),
    path("export/", views.trail_export, name="export"),
    path("weeks/review/", views.week_review, name="week_review"),
    path("cases/<str:code>/", views.case_timeline, name="case"),
    path("users/<str:username>/", views.user_activity, name="user"),
    path("flags/", views.flags, name="flags"),
    path("flags/review/", views.flag_review, name="flag_review"),
]
