from django.urls import path

from casework.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("find/", views.case_find, name="find"),
    path("<str:code>/", views.case_detail, name="detail"),
    path("<str:code>/contacts/<str:uid>/", views.contact_detail, name="contact"),
    path("<str:code>/needs/<str:uid>/", views.need_detail, name="need"),
    path("<str:code>/referrals/<str:uid>/", views.referral_detail, name="referral"),
]
