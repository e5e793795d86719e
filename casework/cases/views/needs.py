from django.shortcuts import render
from django.urls import path

from casework.cases.views.common import case_child_view


@case_child_view("needs")
def need_detail(request, case, need):
    return render(request, "cases/need_detail.html", {"case": case, "record": need})


# Under /cases/<code>/needs/, in the "cases" namespace.
urls = [
    path("<str:uid>/", need_detail, name="need"),
]
