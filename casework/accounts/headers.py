"""Response headers that Django and django-csp do not set: what the browser may use on our
pages, and that no search engine should index them."""

# Every powerful browser feature off: casework needs none of them, and a page that cannot
# reach the camera, microphone or location cannot leak them either. Only features current
# Chromium recognises: it logs an error for each unknown one.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
ROBOTS = "noindex, nofollow"


class SecurityHeadersMiddleware:
    """Permissions-Policy, X-Robots-Tag and Cross-Origin-Resource-Policy on every response.

    Goes near the top of MIDDLEWARE so that redirects and static files get them too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("X-Robots-Tag", ROBOTS)
        # No other site may embed our pages' resources (a QR code, a script) in its own.
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
