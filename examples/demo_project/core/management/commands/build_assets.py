import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "A release build step: write demo/build.txt (the release id) into STATIC_ROOT, as an asset compressor would."

    def add_arguments(self, parser):
        parser.add_argument("--fail", action="store_true", help="fail instead, as a broken build step does")

    def handle(self, *args, fail=False, **options):
        if fail:
            raise CommandError("build_assets: asked to fail (--fail)")
        if not settings.STATIC_ROOT:
            raise CommandError("build_assets: STATIC_ROOT is not set")
        target = os.path.join(settings.STATIC_ROOT, "demo", "build.txt")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(f"built {settings.RELEASE_ID}\n")
        self.stdout.write(f"wrote {target}")
