from auditlog.middleware import AuditlogMiddleware

from casework.audit.services import client_ip_hash


class AuditContextMiddleware(AuditlogMiddleware):
    """auditlog's actor context, with the client address kept only as a keyed hash."""

    def get_extra_data(self, request):
        context = super().get_extra_data(request)
        context.pop("remote_addr", None)
        context.pop("remote_port", None)
        context["ip_hash"] = client_ip_hash(request)
        return context
