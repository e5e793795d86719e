from casework.keystore import services


class ForgetKeysMiddleware:
    """Keys opened for a request are held in memory while it runs and dropped when it ends,
    whatever the answer: no key outlives the request that needed it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        services.forget()
        try:
            return self.get_response(request)
        finally:
            services.forget()
