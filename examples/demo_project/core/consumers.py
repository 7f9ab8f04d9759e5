"""A websocket consumer (Channels): says which release answers (its RELEASE_ID and the directory
the server runs in), then echoes each text message with the release in front, so a client sees
a deploy switch it over."""
import os

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings


class EchoConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()
        await self.send(text_data=f"hello {settings.RELEASE_ID} from {os.path.basename(os.getcwd())}")

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=f"{settings.RELEASE_ID} {text_data or ''}")
