"""Middleware of the demo app."""
import socket

HOSTNAME = socket.gethostname()


def served_by(get_response):
    """Name the host that answered in an X-Served-By header (see DEMO_SERVED_BY)."""

    def middleware(request):
        response = get_response(request)
        response["X-Served-By"] = HOSTNAME
        return response

    return middleware
