import time

from celery import shared_task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import TaskRecord
from .work import spin

HEARTBEAT_KEY = "heartbeat"
BURN_DEFAULT_N = 200_000  # ~20 ms of pure Python on a current x86 core
BURN_MAX_N = 10_000_000
WAIT_MAX_MS = 5_000


@shared_task
def add(x, y):
    return x + y


@shared_task
def record(key, delay=0.0):
    """Idempotent effect (one row per key) with a visible execution counter.

    `delay` (seconds, at most 5) stands for work done before the effect, so that fault
    tests can catch tasks in flight.
    """
    if delay:
        time.sleep(min(float(delay), 5.0))
    with transaction.atomic():
        obj, _ignored = TaskRecord.objects.get_or_create(key=key)
        TaskRecord.objects.filter(pk=obj.pk).update(
            executions=F("executions") + 1, updated=timezone.now()
        )
    return key


@shared_task(ignore_result=True)
def heartbeat():
    """Periodic (celery beat): upsert the 'heartbeat' row and bump its count."""
    now = timezone.now()
    with transaction.atomic():
        obj, _ignored = TaskRecord.objects.get_or_create(key=HEARTBEAT_KEY)
        TaskRecord.objects.filter(pk=obj.pk).update(
            count=F("count") + 1, value=now.isoformat(), updated=now
        )
    return None


@shared_task
def burn(n=BURN_DEFAULT_N):
    """CPU-bound (benchmarks): spin(n), about 20 ms of CPU by default; returns the finish time."""
    spin(max(1, min(int(n), BURN_MAX_N)))
    return time.time()


@shared_task
def wait(ms=50):
    """IO-bound (benchmarks): `ms` of sleep standing in for a call to another service, then a
    little CPU; returns the finish time."""
    time.sleep(max(0, min(float(ms), WAIT_MAX_MS)) / 1000)
    spin(500)
    return time.time()


@shared_task
def read_upload(name):
    """Read uploads/<name> through the default storage, as a worker processing an upload does:
    returns its size and SHA-256."""
    import hashlib  # noqa: PLC0415 (only this task needs it)

    from django.core.files.storage import default_storage  # noqa: PLC0415

    with default_storage.open(f"uploads/{name}", "rb") as handle:
        data = handle.read()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
