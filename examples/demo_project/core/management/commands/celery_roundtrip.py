from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Send add(2, 3) through the broker, wait for a worker's result and "
        "print 'roundtrip ok 5'. Exits non-zero on any failure or timeout."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout", type=float, default=30.0,
            help="seconds to wait for the result (default 30)",
        )

    def handle(self, *args, timeout, **options):
        from core.tasks import add

        if timeout <= 0:
            raise CommandError("--timeout must be positive")
        try:
            result = add.apply_async((2, 3), expires=timeout)
            value = result.get(timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - report any failure, exit 1
            raise CommandError(
                f"roundtrip failed: {exc.__class__.__name__}: {exc}"
            ) from exc
        if value != 5:
            raise CommandError(f"roundtrip failed: expected 5, got {value!r}")
        self.stdout.write(f"roundtrip ok {value}")
