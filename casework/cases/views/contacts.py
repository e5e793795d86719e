from django.shortcuts import render

from casework.cases.views.common import case_child_view


@case_child_view("contacts")
def contact_detail(request, case, contact):
    return render(request, "cases/contact_detail.html", {"case": case, "record": contact})
