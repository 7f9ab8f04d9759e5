"""ASGI entry point (an ASGI server: demo.asgi:application, ASGI_APPLICATION in the settings):
Django's views over HTTP, and the websocket consumers of core.routing (Channels) on /ws/."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

# Django is set up first: the consumers import the project's code.
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  pylint: disable=wrong-import-position

from core.routing import websocket_urlpatterns  # noqa: E402  pylint: disable=wrong-import-position

application = ProtocolTypeRouter({
    "http": django_application,
    "websocket": URLRouter(websocket_urlpatterns),
})
