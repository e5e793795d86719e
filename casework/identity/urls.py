from django.urls import path

from casework.identity import views

urlpatterns = [
    path("", views.identity_reveal, name="identity"),
    path("edit/", views.identity_edit, name="identity_edit"),
]
