from django.shortcuts import render
from django.urls import path

from casework.cases.views.common import case_child_view


@case_child_view("referrals")
def referral_detail(request, case, referral):
    return render(request, "cases/referral_detail.html", {"case": case, "record": referral})


# Under /cases/<code>/referrals/, in the "cases" namespace.
urls = [
    path("<str:uid>/", referral_detail, name="referral"),
]
