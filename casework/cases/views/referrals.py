from django.shortcuts import render

from casework.cases.views.common import case_child_view


@case_child_view("referrals")
def referral_detail(request, case, referral):
    return render(request, "cases/referral_detail.html", {"case": case, "record": referral})
