import asyncio
import hashlib
import json
import re
import time

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
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


@never_cache
@require_safe
async def aio(request):
    """The io view's work, waiting without holding a thread: what an ASGI server serves best."""
    started = time.perf_counter()
    await asyncio.sleep(0.02)  # stands in for a slow upstream / query
    digest = hashlib.sha256(json.dumps({"release": settings.RELEASE_ID}).encode()).hexdigest()
    checksum = spin(500)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return JsonResponse({"slept_ms": 20, "digest": digest[:16], "checksum": checksum,
                         "ms": round(elapsed_ms, 3), "interface": request.META.get("wsgi.version") and "wsgi" or "asgi"})


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


UPLOAD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@never_cache
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def uploads(request, name):
    """POST stores the request body as uploads/<name> through the default storage (a file a
    user uploads); GET reads it back through the storage. Off (404) unless settings.UPLOADS_API."""
    if not settings.UPLOADS_API or not UPLOAD_NAME.match(name):
        raise Http404("no such upload")
    path = f"uploads/{name}"
    if request.method == "POST":
        if default_storage.exists(path):
            default_storage.delete(path)
        saved = default_storage.save(path, ContentFile(request.body))
        return JsonResponse({"name": saved, "url": default_storage.url(saved),
                             "size": default_storage.size(saved)}, status=201)
    if not default_storage.exists(path):
        raise Http404("no such upload")
    with default_storage.open(path, "rb") as handle:
        return HttpResponse(handle.read(), content_type="application/octet-stream")


@never_cache
@require_safe
def built(request):
    """The page that needs the release's build step (manage.py build_assets): 500 without it."""
    try:
        with staticfiles_storage.open("demo/build.txt") as handle:
            return _text(handle.read().decode().strip())
    except FileNotFoundError:
        return _text("the build step did not run for this release", status=500)
