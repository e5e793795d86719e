from django.shortcuts import render
from django.urls import path

from casework.cases.views.common import case_child_view


@case_child_view("contacts")
def contact_detail(request, case, contact):
    return render(request, "cases/contact_detail.html", {"case": case, "record": contact})


# Under /cases/<code>/contacts/, in the "cases" namespace.
urls = [
    path("<str:uid>/", contact_detail, name="contact"),
]
