class NoStoreMiddleware:
    """Pages for a signed-in user are never kept by the browser or a proxy (a seized laptop keeps nothing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response["Cache-Control"] = "no-store"
        return response
