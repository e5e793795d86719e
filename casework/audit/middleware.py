import uuid

from auditlog.context import set_extra_data
from auditlog.middleware import AuditlogMiddleware
from django.db import connections

from casework.audit import chain
from casework.audit.models import request_context
from casework.audit.services import client_ip_hash


class AuditContextMiddleware(AuditlogMiddleware):
    """auditlog's actor context, with the client address kept only as a keyed hash; and
    each view run in its transaction (what ATOMIC_REQUESTS does), with the audit entries it
    writes queued and linked into the chain at the end of that transaction.

    Linking takes the chain's lock until the commit: done last, it is held for the few
    milliseconds of the inserts, not through the whole view. The act and its entries still
    commit or roll back together. It must be the last middleware with a process_view (it
    calls the view itself), which a test checks.
    """

    def __call__(self, request):
        context = self.get_extra_data(request)
        token = request_context.set(context)
        try:
            with set_extra_data(context_data=context):
                return self.get_response(request)
        finally:
            request_context.reset(token)

    def get_extra_data(self, request):
        context = super().get_extra_data(request)
        context.pop("remote_addr", None)
        context.pop("remote_port", None)
        context["ip_hash"] = client_ip_hash(request)
        # Made here, never taken from a client's header: it groups the entries of one request.
        context["cid"] = uuid.uuid4().hex
        return context

    def process_view(self, request, view, view_args, view_kwargs):
        exempt = getattr(view, "_non_atomic_requests", set())
        aliases = [a for a, s in connections.settings.items() if s.get("ATOMIC_REQUESTS") and a not in exempt]
        if aliases != ["default"]:
            return None  # not in a request transaction (or several databases): Django calls the view
        with chain.audited_atomic():
            return view(request, *view_args, **view_kwargs)
