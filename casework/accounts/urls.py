from django.urls import path

from casework.accounts import passwords, safety, views
from casework.accounts.exit import neutral_page, quick_exit

app_name = "accounts"
urlpatterns = [
    # Quick exit and the neutral page it leaves on screen; reachable signed out and half signed in.
    path("exit/", quick_exit, name="exit"),
    path("weather/", neutral_page, name="exited"),
    path("verify/", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
    path("enrol/qr.svg", views.enrol_qr, name="enrol_qr"),
    path("security/", views.security, name="security"),
    path("security/recovery-codes/", views.recovery_codes_regenerate, name="recovery_codes"),
    path("security/sign-out-others/", views.sign_out_others, name="sign_out_others"),
    path("password/", passwords.change_password, name="password"),
    path("unlock/", views.unlock, name="unlock"),
    path("safety/", safety.safety, name="safety"),
    path("safety/freeze/", safety.freeze_own, name="freeze"),
    path("safety/travel/", safety.travel_own, name="travel"),
    path("safety/duress-password/", safety.duress_password, name="duress_password"),
    path("safety/lost-phone/", safety.device_lost_own, name="device_lost"),
    path("people/<str:username>/safety/", safety.person_safety, name="person_safety"),
]
