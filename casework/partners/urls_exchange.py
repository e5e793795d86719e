"""The file exchange with partners on another server; included under /partners/exchange/."""

from django.urls import path

from casework.partners import views_exchange as views

app_name = "exchange"

urlpatterns = [
    path("", views.exchange_home, name="home"),
    path("remote/new/", views.remote_add, name="remote_add"),
    path("remote/<str:uid>/confirm/", views.remote_confirm, name="confirm"),
    path("import/", views.file_import, name="import"),
    path("packets/<str:uid>/file/", views.packet_download, name="packet_file"),
    path("answers/<str:uid>/file/", views.answer_download, name="answer_file"),
]
