"""What every page that writes an identity (its edit page and the identity section of
intake) asks and tells: a fresh second factor, and the duplicates she may know of."""

from collections.abc import Iterable

from django import forms
from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.accounts.services import WRONG_CODE, SignedInRequest, step_up
from casework.cases.models import Case
from casework.identity import services


def second_factor_given(
    request: SignedInRequest, form: forms.Form, values: Iterable[str], case: Case | None = None
) -> bool:
    """Writing an identity needs what revealing one needs: a code proved within the last
    minutes. A stolen session cannot then plant a phone number to learn, through the
    duplicate alerts, whether another team knows it. A refusal is recorded, by field name."""
    token = form.cleaned_data.get("code")
    # A blank code is not tried: a failed try makes the next one wait, and she may just have missed the field.
    if "code" not in form.fields or (token and step_up(request=request, token=token)):
        return True
    services.identity_change_refused(by=request.user, case=case, fields=values)
    form.add_error("code", WRONG_CODE if token else CODE_NEEDED)
    return False


CODE_NEEDED = gettext_lazy("Type the code from your authenticator app: saving identity details needs a recent one.")


def tell_about_duplicates(request: SignedInRequest, matches: Iterable[Case]) -> None:
    """Name the matching cases she may open. Of the others she is told nothing at all: a
    different answer would tell her that another team knows this person. Their supervisors
    see the alert on their home page."""
    codes = [case.code for case in matches]
    visible = Case.objects.restrict(request.user, "view").filter(code__in=codes).order_by("code")
    for other in visible:
        messages.warning(
            request,
            _("Possible duplicate: case %(code)s has a matching name and date of birth, or phone number.")
            % {"code": other.display_code},
        )
