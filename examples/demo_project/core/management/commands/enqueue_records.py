from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Send COUNT record(key) tasks with keys PREFIX-0 .. PREFIX-(COUNT-1)."

    def add_arguments(self, parser):
        parser.add_argument("--prefix", required=True)
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--delay", type=float, default=0.0,
                            help="seconds each task works before its effect (max 5)")

    def handle(self, *args, prefix, count, delay, **options):
        from core.tasks import record

        if count < 0:
            raise CommandError("--count must be >= 0")
        if not prefix:
            raise CommandError("--prefix must not be empty")
        app = record.app
        sent = 0
        try:
            with app.producer_or_acquire() as producer:
                for i in range(count):
                    # Nobody waits for these results: don't publish them.
                    record.apply_async(
                        (f"{prefix}-{i}",), {"delay": delay} if delay else {},
                        producer=producer, ignore_result=True
                    )
                    sent += 1
        except Exception as exc:  # noqa: BLE001
            raise CommandError(
                f"enqueue failed after {sent} of {count}: "
                f"{exc.__class__.__name__}: {exc}"
            ) from exc
        self.stdout.write(f"enqueued {count}")
