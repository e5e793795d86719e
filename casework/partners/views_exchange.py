"""Pages of the file exchange with partners on another server (under /partners/exchange/).

The key card and fingerprint (administrators, supervisors), adding a partner from its
card (administrators), confirming it by its fingerprint (supervisors), the files waiting
to be carried (caseworkers, supervisors) and the import of a file (the partner intake).
File names are neutral: a file never names a case, a person or a partner.
"""

from django.contrib import messages
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.accounts.models import workspace_is_empty
from casework.partners import exchange, keys
from casework.partners.forms_exchange import FileForm, FingerprintForm, KeyCardForm
from casework.web import doors
from casework.web.forms import form_page, refusal_as_message
from casework.web.pages import not_found

ANSWERS_SHOWN = 50


def _posted(request):
    # Bound on every POST, even an empty one (an unticked box): the 400 says what is missing.
    return request.POST if request.method == "POST" else None


def _download(exported: exchange.ExportedFile) -> HttpResponse:
    response = HttpResponse(exported.content, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{exported.name}"'
    return response


@doors.partner_exchange(
    lambda membership: exchange.keeps_keys(membership, shown=True) or exchange.carries_files(membership, shown=True)
)
def exchange_home(request, membership):
    """Her packets and answers to carry, and the keys for those who keep them. While her
    workspace is emptied (frozen, travelling, under duress) the page opens as on any day,
    with nothing to carry (and what she sends from it is refused before it gets here:
    casework.accounts.middleware.EmptiedWorkspaceMiddleware)."""
    emptied = workspace_is_empty(request.user)
    context = {
        "keeps_keys": exchange.keeps_keys(membership, shown=True),
        "adds_partners": exchange.adds_partners(membership, shown=True),
        "confirms_partners": exchange.confirms_partners(membership, shown=True),
        "imports_files": exchange.imports_files(membership, shown=True),
        "packets": exchange.packets_to_send(request.user) if exchange.carries_files(membership) else [],
        # Waiting first, then those already downloaded (a file lost on the way goes again).
        "answers": []
        if emptied
        else exchange.answers_to_send(request.user).order_by(F("downloaded_at").desc(nulls_first=True), "-created_at")[
            :ANSWERS_SHOWN
        ],
    }
    if context["keeps_keys"]:
        own = keys.organisation_key(membership.organisation)
        context.update(card=keys.key_card(membership.organisation), fingerprint=keys.grouped(own.fingerprint))
        context["partners"] = [
            (side, keys.grouped(exchange.side_fingerprint(side)))
            for side in ([] if emptied else exchange.remote_sides(membership.organisation_id))
        ]
    return render(request, "partners/exchange/home.html", context)


@doors.partner_exchange(lambda membership: exchange.adds_partners(membership, shown=True))
def remote_add(request, membership):
    form = KeyCardForm(_posted(request))

    @refusal_as_message()
    def add(form):
        partnership = exchange.remote_partnership_add(by=request.user, card=form.cleaned_data["card"])
        messages.success(
            request, _("Partnership proposed. A supervisor confirms it after comparing the fingerprint aloud.")
        )
        return redirect("exchange:confirm", partnership.uid)

    return form_page(request, form, "partners/exchange/remote_add.html", {}, add)


@doors.partner_exchange(lambda membership: exchange.keeps_keys(membership, shown=True))
def remote_confirm(request, membership, uid):
    partnership = None if workspace_is_empty(request.user) else exchange.remote_partnership_of(request.user, uid)
    if partnership is None:
        return not_found(request)
    side = partnership.other_side(membership.organisation_id)
    if request.method == "POST" and not exchange.confirms_partners(membership, shown=True):
        return not_found(request)
    form = FingerprintForm(_posted(request))
    context = {
        "partnership": partnership,
        "partner": side.organisation,
        "theirs": keys.grouped(exchange.side_fingerprint(side)),
        "ours": keys.grouped(keys.organisation_key(membership.organisation).fingerprint),
        "confirms_partners": exchange.confirms_partners(membership, shown=True),
    }

    @refusal_as_message()
    def confirm(form):
        exchange.remote_partnership_confirm(by=request.user, partnership=partnership, compared=True)
        messages.success(request, _("Partnership confirmed: files from this partner can be imported now."))
        return redirect("exchange:home")

    return form_page(request, form, "partners/exchange/remote_confirm.html", context, confirm)


@doors.partner_exchange(lambda membership: exchange.imports_files(membership, shown=True))
def file_import(request, membership):
    form = FileForm(_posted(request), request.FILES if request.method == "POST" else None)

    @refusal_as_message()
    def upload(form):
        imported = exchange.file_import(by=request.user, data=form.cleaned_data["file"].read())
        if imported.kind == "packet":
            message = _("A packet from %(partner)s is in the partner inbox.")
        else:
            message = _("An answer from %(partner)s is recorded on the referral it answers.")
        messages.success(request, message % {"partner": imported.partner.name})
        return redirect("exchange:home")

    return form_page(request, form, "partners/exchange/import.html", {}, upload)


@require_POST
@doors.partner_exchange(exchange.carries_files)
def packet_download(request, membership, uid):
    packet = doors.find_by_uid(exchange.packets_to_send(request.user), uid)
    if packet is None:
        return not_found(request)
    return _download(exchange.packet_export(by=request.user, packet=packet))


@require_POST
@doors.partner_exchange(exchange.imports_files)
def answer_download(request, membership, uid):
    answer = doors.find_by_uid(exchange.answers_to_send(request.user), uid)
    if answer is None:
        return not_found(request)
    return _download(exchange.answer_export(by=request.user, answer=answer))
