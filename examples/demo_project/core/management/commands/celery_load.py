import json
import statistics
import time
from collections import deque

from django.core.management.base import BaseCommand, CommandError


def percentile(values, fraction):
    """The value below which `fraction` of `values` lie (nearest rank); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


class Command(BaseCommand):
    help = (
        "A bounded Celery load: keep OUTSTANDING tasks of KIND (cpu: burn, io: wait) in flight "
        "for SECONDS, then wait for the last ones. Prints one JSON line: tasks completed, "
        "tasks/s, end-to-end latency (sent to finished) p50/p99 in ms, errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=("cpu", "io"), required=True)
        parser.add_argument("--seconds", type=float, required=True,
                            help="how long new tasks are sent (at most 600)")
        parser.add_argument("--outstanding", type=int, default=16,
                            help="tasks kept in flight (1-1000, default 16)")
        parser.add_argument("--timeout", type=float, default=60.0,
                            help="seconds to wait for any one result (default 60)")

    def handle(self, *args, kind, seconds, outstanding, timeout, **options):
        from core.tasks import burn, wait

        if not 0 < seconds <= 600:
            raise CommandError("--seconds must be in (0, 600]")
        if not 1 <= outstanding <= 1000:
            raise CommandError("--outstanding must be in 1-1000")
        if timeout <= 0:
            raise CommandError("--timeout must be positive")
        task = burn if kind == "cpu" else wait
        in_flight = deque()
        latencies = []
        errors = 0
        started = time.time()
        stop = started + seconds

        def send():
            in_flight.append((time.time(), task.apply_async(expires=seconds + timeout)))

        try:
            for _sent in range(outstanding):
                send()
            while in_flight:
                sent, result = in_flight.popleft()
                try:
                    latencies.append((float(result.get(timeout=timeout)) - sent) * 1000)
                except Exception:  # noqa: BLE001 - a lost or failed task is counted, not fatal
                    errors += 1
                if time.time() < stop:
                    send()
        except Exception as exc:  # noqa: BLE001 - the broker itself failed
            raise CommandError(f"celery load failed: {exc.__class__.__name__}: {exc}") from exc
        elapsed = time.time() - started
        self.stdout.write(json.dumps({
            "kind": kind, "outstanding": outstanding, "completed": len(latencies), "errors": errors,
            "seconds": round(elapsed, 3),
            "tasks_per_s": round(len(latencies) / elapsed, 2) if elapsed > 0 else None,
            "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
            "p99_ms": round(percentile(latencies, 0.99), 2) if latencies else None,
        }, sort_keys=True))
