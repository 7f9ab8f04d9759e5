import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Have a Celery worker read uploads/NAME through the storage; print its size and SHA-256 as JSON."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--timeout", type=float, default=30.0)

    def handle(self, *args, name, timeout, **options):
        from core.tasks import read_upload

        try:
            result = read_upload.apply_async((name,), expires=timeout).get(timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - report any failure, exit 1
            raise CommandError(f"read_upload failed: {exc.__class__.__name__}: {exc}") from exc
        self.stdout.write(json.dumps(result, sort_keys=True))
