import hashlib
import json
import re
import time

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from .models import TaskRecord
from .work import spin

CPU_DEFAULT_N = 25_000  # ~2-3 ms of pure Python on a current x86 core
CPU_MAX_N = 1_000_000
RECORD_KEY = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


def _text(body, status=200):
    return HttpResponse(body + "\n", status=status, content_type="text/plain; charset=utf-8")


def database_problem():
    """None when the database answers and is fully migrated, else a reason."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        return f"database unavailable: {exc.__class__.__name__}: {exc}"
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # noqa: BLE001
        return f"migration check failed: {exc.__class__.__name__}: {exc}"
    if plan:
        names = [f"{m.app_label}.{m.name}" for m, _backwards in plan]
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        return f"unapplied migrations ({len(names)}): {shown}"
    return None


@never_cache
@require_safe
def healthz(request):
    problem = database_problem()
    if problem:
        return _text(problem, status=503)
    return _text(f"ok {settings.RELEASE_ID}")


@never_cache
@require_safe
def version(request):
    return _text(settings.RELEASE_ID)


@never_cache
@require_safe
def cpu(request):
    try:
        n = int(request.GET.get("n", CPU_DEFAULT_N))
    except ValueError:
        n = CPU_DEFAULT_N
    n = max(1, min(n, CPU_MAX_N))
    started = time.perf_counter()
    result = spin(n)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return JsonResponse({"n": n, "result": result, "ms": round(elapsed_ms, 3)})


@never_cache
@require_safe
def io(request):
    started = time.perf_counter()
    time.sleep(0.02)  # stands in for a slow upstream / query
    digest = hashlib.sha256(json.dumps({"release": settings.RELEASE_ID}).encode()).hexdigest()
    checksum = spin(500)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return JsonResponse({"slept_ms": 20, "digest": digest[:16], "checksum": checksum,
                         "ms": round(elapsed_ms, 3)})


@require_safe
def index(request):
    return render(request, "core/index.html", {"release": settings.RELEASE_ID})


def _record_json(obj, status=200):
    return JsonResponse({"key": obj.key, "value": obj.value, "count": obj.count,
                         "executions": obj.executions}, status=status)


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def records(request, key):
    """GET reads the TaskRecord `key`; POST creates it if missing. Answers only after the
    transaction committed. Off (404) unless settings.RECORDS_API."""
    if not settings.RECORDS_API or not RECORD_KEY.match(key):
        raise Http404("no such record")
    if request.method == "POST":
        with transaction.atomic():
            obj, created = TaskRecord.objects.get_or_create(key=key)
        return _record_json(obj, status=201 if created else 200)
    try:
        return _record_json(TaskRecord.objects.get(key=key))
    except TaskRecord.DoesNotExist:
        raise Http404("no such record") from None
