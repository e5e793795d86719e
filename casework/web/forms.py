"""How every form page behaves: invalid input shown again with a 400 and nothing saved, a
race shown as a conflict page, a service's refusal as a message, and free text that quotes
the case's identity caught before it is kept."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.accounts.services import SignedInRequest
from casework.audit import events
from casework.audit.services import record
from casework.cases.forms.common import differences
from casework.cases.models import Case
from casework.cases.services.common import EditConflict
from casework.identity import guard


def form_page(
    request: SignedInRequest,
    form: forms.Form,
    template: str,
    context: dict[str, Any],
    on_valid: Callable[[Any], HttpResponse],
    quoted: Callable[[Any], list[str]] | None = None,
) -> HttpResponse:
    """Show ``form``; on a valid POST call ``on_valid(form)`` (which saves and returns a redirect).

    Invalid input is shown again with its messages and a 400, nothing saved. A save over
    a newer version shows the conflict page with both versions and what the user typed.
    A rule the service enforces comes back as a message, and its writes are rolled back.
    Free text that quotes the case's identity goes through ``identity_check``.
    """
    if request.method == "POST" and form.is_valid():
        kept = identity_check(request, form, context.get("case"), quoted)
        if kept is not None:
            try:
                response = on_valid(form)
            except EditConflict as conflict:
                return conflict_page(request, form, conflict.current, context)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if kept and context.get("case") is not None:
                    record_kept(request, context["case"], form, kept)
                return response
    return render(request, template, {**context, "form": form}, status=400 if form.is_bound else 200)


KEEP_AS_WRITTEN = "keep_as_written"


def identity_check(
    request: SignedInRequest, form: forms.Form, case: Case | None, quoted: Callable[[Any], list[str]] | None = None
) -> list[str] | None:
    """The free-text guard. ``form.identity_guarded`` names its free-text fields and
    ``form.identity_forbidden`` those that end up in the audit trail (reasons), which may
    never quote an identity. ``quoted(form)`` overrides how quoting fields are found.

    Every hit is recorded as ``identity.in_text`` (field names, never what matched).
    Whoever may reveal the identity is asked to pseudonymise the text or keep it on
    purpose. Anyone else is answered exactly as if nothing matched: a warning would tell
    her that her guess is the survivor's name, so only her supervisors hear of it.

    Returns the fields kept as written after a deliberate confirmation ([] when nothing
    quoted, or when the writer may not be told), or None when the form now carries errors.
    """
    found = quoted(form) if quoted is not None else _fields_quoting(form, case)
    if not found:
        return []
    told = case is None or case.allows(request.user, "reveal")
    if case is not None:
        record_in_text(request.user, case, type(form).__name__, found, told=told)
    if not told:
        return []
    forbidden = [name for name in found if name in getattr(form, "identity_forbidden", ())]
    if not forbidden and request.POST.get(KEEP_AS_WRITTEN) == "on":
        return found
    for name in found:
        if name in forbidden:
            form.add_error(name, _("Leave names and phone numbers out of this: it is kept in the audit trail."))
        else:
            form.add_error(name, QUOTES_IDENTITY)
    if len(forbidden) < len(found):
        form.fields[KEEP_AS_WRITTEN] = forms.BooleanField(
            label=_("Keep it as written"),
            required=False,
            help_text=_("Only if it must be: keeping it is recorded in the audit trail."),
        )
    return None


def _fields_quoting(form: forms.Form, case: Case | None) -> list[str]:
    guarded = getattr(form, "identity_guarded", ())
    if case is None or not guarded:
        return []
    found: list[str] = guard.fields_quoting_case(case, {name: form.cleaned_data.get(name) for name in guarded})
    return found


def record_in_text(user: User, case: Case, form_name: str, fields: list[str], *, told: bool) -> None:
    """A guard hit, for the case's supervisors: which form and fields, whether the writer
    was warned (she may reveal) or answered as if nothing matched; never what matched."""
    record(
        event=events.IDENTITY_IN_TEXT,
        actor=user,
        case=case,
        details={"fields": sorted(fields), "form": form_name, "told": told},
    )


QUOTES_IDENTITY = _(
    "This seems to quote a name or phone number from this case's identity record. Write the case code "
    'or a role instead (the client, her sister, the broker), or tick "Keep it as written" below.'
)


def record_kept(request: SignedInRequest, case: Case, form: forms.Form, fields: list[str]) -> None:
    """A deliberate choice to keep identifying text in a note: which fields, never what."""
    record(
        event=events.IDENTITY_KEPT_IN_TEXT,
        actor=request.user,
        case=case,
        details={"fields": sorted(fields), "form": type(form).__name__},
    )


def conflict_page(request: SignedInRequest, form: Any, current: Any, context: dict[str, Any]) -> HttpResponse:
    """Both versions side by side; the user's form again, now based on the saved version,
    so that saving it is a deliberate choice to overwrite."""
    rows = differences(form, current)
    form.data = form.data.copy()
    form.data["version"] = str(current.version)
    return render(request, "cases/conflict.html", {**context, "form": form, "rows": rows}, status=409)


@contextmanager
def refusal_as_message() -> Iterator[None]:
    """A service's refusal (PermissionDenied: acting on oneself, granting to oneself) becomes
    a message on the form like any broken rule, which ``form_page`` shows with a 400; the
    service's transaction has already rolled its writes back. Also a decorator."""
    try:
        yield
    except PermissionDenied as refusal:
        raise ValidationError(str(refusal) or gettext("You may not do this.")) from refusal
