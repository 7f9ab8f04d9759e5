import importlib.util
import io
import json
import os
import secrets
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import SimpleTestCase, TestCase, override_settings

from demo.celery import app as celery_app
from demo.envconf import env_bool, env_list, parse_database_url, release_id

from . import tasks
from .models import TaskRecord

PROJECT_DIR = Path(__file__).resolve().parent.parent
SETTINGS_FILE = PROJECT_DIR / "demo" / "settings.py"


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


def load_settings(environ):
    """Execute demo/settings.py afresh with exactly `environ` as os.environ."""
    spec = importlib.util.spec_from_file_location("demo._settings_probe", SETTINGS_FILE)
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ, environ, clear=True):
        spec.loader.exec_module(module)
    return module


def random_secret(length=64):
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ignored in range(length))


class DatabaseUrlTests(SimpleTestCase):
    def test_sqlite_absolute(self):
        cfg = parse_database_url("sqlite:///var/lib/demo/db.sqlite3")
        self.assertEqual(cfg["ENGINE"], "django.db.backends.sqlite3")
        self.assertEqual(cfg["NAME"], "/var/lib/demo/db.sqlite3")
        self.assertEqual(cfg["OPTIONS"], {"timeout": 20})

    def test_sqlite_four_slashes_is_the_same_absolute_path(self):
        cfg = parse_database_url("sqlite:////var/lib/demo/db.sqlite3")
        self.assertEqual(cfg["NAME"], "/var/lib/demo/db.sqlite3")

    def test_sqlite_percent_encoded_path(self):
        cfg = parse_database_url("sqlite:///srv/my%20app/db.sqlite3")
        self.assertEqual(cfg["NAME"], "/srv/my app/db.sqlite3")

    def test_sqlite_memory(self):
        self.assertEqual(parse_database_url("sqlite://:memory:")["NAME"], ":memory:")

    def test_sqlite_relative_rejected(self):
        with self.assertRaises(ImproperlyConfigured):
            parse_database_url("sqlite://db.sqlite3")
        with self.assertRaises(ImproperlyConfigured):
            parse_database_url("sqlite:///")

    def test_postgres_full(self):
        cfg = parse_database_url("postgres://app:s3cret@db.example.com:5433/demo")
        self.assertEqual(cfg["ENGINE"], "django.db.backends.postgresql")
        self.assertEqual(
            (cfg["NAME"], cfg["USER"], cfg["PASSWORD"], cfg["HOST"], cfg["PORT"]),
            ("demo", "app", "s3cret", "db.example.com", "5433"),
        )
        self.assertEqual(cfg["OPTIONS"], {})

    def test_postgresql_scheme_defaults_and_encoding(self):
        cfg = parse_database_url("postgresql://app:p%40ss%3Aword%2F@localhost/demo?sslmode=require")
        self.assertEqual(cfg["PASSWORD"], "p@ss:word/")
        self.assertEqual(cfg["HOST"], "localhost")
        self.assertEqual(cfg["PORT"], "")
        self.assertEqual(cfg["OPTIONS"], {"sslmode": "require"})

    def test_postgres_without_credentials_and_unix_socket(self):
        cfg = parse_database_url("postgres://%2Fvar%2Frun%2Fpostgresql/demo")
        self.assertEqual((cfg["USER"], cfg["PASSWORD"]), ("", ""))
        self.assertEqual(cfg["HOST"], "/var/run/postgresql")

    def test_postgres_ipv6(self):
        cfg = parse_database_url("postgres://u:p@[::1]:5432/demo")
        self.assertEqual((cfg["HOST"], cfg["PORT"]), ("::1", "5432"))

    def test_rejections(self):
        for url in ("", "nonsense", "mysql://u:p@h/db", "postgres://u:p@h:5432/",
                    "postgres://u:p@h:port/db"):
            with self.subTest(url=url), self.assertRaises(ImproperlyConfigured):
                parse_database_url(url)


class EnvHelperTests(SimpleTestCase):
    def test_env_bool(self):
        self.assertTrue(env_bool("X", environ={"X": "Yes"}))
        self.assertFalse(env_bool("X", environ={"X": "0"}))
        self.assertTrue(env_bool("X", default=True, environ={}))
        with self.assertRaisesMessage(ImproperlyConfigured, "X"):
            env_bool("X", environ={"X": "maybe"})

    def test_env_list(self):
        self.assertEqual(env_list("H", environ={"H": " a.example, ,b.example "}),
                         ["a.example", "b.example"])
        self.assertEqual(env_list("H", default=["x"], environ={}), ["x"])

    def test_release_id_env_then_file_then_dev(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.assertEqual(release_id(tmp, environ={}), "dev")
            Path(tmp, "RELEASE").write_text("1.2.3\n")
            self.assertEqual(release_id(tmp, environ={}), "1.2.3")
            self.assertEqual(release_id(tmp, environ={"DJANGO_RELEASE_ID": "r9"}), "r9")


class SettingsTests(SimpleTestCase):
    def test_missing_secret_key_with_debug_off_raises(self):
        with self.assertRaisesMessage(ImproperlyConfigured, "DJANGO_SECRET_KEY"):
            load_settings({})
        with self.assertRaisesMessage(ImproperlyConfigured, "DJANGO_SECRET_KEY"):
            load_settings({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": ""})

    def test_debug_allows_missing_secret_key(self):
        module = load_settings({"DJANGO_DEBUG": "1"})
        self.assertTrue(module.DEBUG)
        self.assertTrue(module.SECRET_KEY)

    def test_defaults(self):
        with tempfile.TemporaryDirectory() as state:
            module = load_settings({"DJANGO_SECRET_KEY": "k" * 60, "DJANGO_STATE_DIR": state})
            self.assertFalse(module.DEBUG)
            self.assertEqual(module.DATABASES["default"]["NAME"], str(Path(state, "db.sqlite3")))
            self.assertEqual(module.DATABASES["default"]["OPTIONS"], {"timeout": 20})
            self.assertEqual(module.CELERY_BEAT_SCHEDULE_FILENAME, str(Path(state, "celerybeat-schedule")))
        self.assertEqual(module.CELERY_BROKER_URL, "amqp://guest:guest@localhost:5672//")
        self.assertFalse(getattr(module, "SECURE_SSL_REDIRECT", False))
        self.assertEqual(module.STATIC_URL, "/static/")

    def test_environment_overrides(self):
        module = load_settings({
            "DJANGO_SECRET_KEY": "k" * 60,
            "DJANGO_ALLOWED_HOSTS": "demo.example,www.demo.example",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://demo.example",
            "DATABASE_URL": "postgres://u:p@db:5432/demo",
            "CELERY_BROKER_URL": "amqp://demo:pw@mq:5672/demo",
            "DJANGO_STATIC_ROOT": "/srv/demo/static",
            "DJANGO_SECURE_SSL": "true",
        })
        self.assertEqual(module.ALLOWED_HOSTS, ["demo.example", "www.demo.example"])
        self.assertEqual(module.CSRF_TRUSTED_ORIGINS, ["https://demo.example"])
        self.assertEqual(module.DATABASES["default"]["HOST"], "db")
        self.assertEqual(module.CELERY_BROKER_URL, "amqp://demo:pw@mq:5672/demo")
        self.assertEqual(module.STATIC_ROOT, "/srv/demo/static")
        self.assertTrue(module.SECURE_SSL_REDIRECT)
        self.assertTrue(module.SESSION_COOKIE_SECURE)
        self.assertTrue(module.CSRF_COOKIE_SECURE)
        self.assertEqual(module.SECURE_HSTS_SECONDS, 31536000)
        self.assertTrue(module.SECURE_HSTS_INCLUDE_SUBDOMAINS)
        self.assertTrue(module.SECURE_HSTS_PRELOAD)
        self.assertEqual(module.SECURE_PROXY_SSL_HEADER, ("HTTP_X_FORWARDED_PROTO", "https"))

    def test_check_deploy_is_clean_with_ssl(self):
        with tempfile.TemporaryDirectory() as state:
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "PYTHONDONTWRITEBYTECODE": "1",
                "DJANGO_SETTINGS_MODULE": "demo.settings",
                "DJANGO_SECRET_KEY": random_secret(),
                "DJANGO_SECURE_SSL": "1",
                "DJANGO_ALLOWED_HOSTS": "demo.example",
                "DJANGO_STATE_DIR": state,
            }
            proc = subprocess.run(
                [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120, check=False,
            )
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("System check identified no issues (0 silenced).", proc.stdout)


class ClusterSettingsTests(SimpleTestCase):
    def test_quorum_queue_and_served_by_are_opt_in(self):
        module = load_settings({"DJANGO_SECRET_KEY": "k" * 60})
        (queue,) = module.CELERY_TASK_QUEUES
        self.assertFalse(queue.queue_arguments)
        self.assertNotIn("core.middleware.served_by", module.MIDDLEWARE)
        module = load_settings({"DJANGO_SECRET_KEY": "k" * 60, "CELERY_QUEUE_TYPE": "quorum",
                                "DEMO_SERVED_BY": "1"})
        (queue,) = module.CELERY_TASK_QUEUES
        self.assertEqual(queue.queue_arguments, {"x-queue-type": "quorum"})
        self.assertEqual(module.CELERY_BROKER_TRANSPORT_OPTIONS, {"confirm_publish": True})
        self.assertEqual(module.MIDDLEWARE[0], "core.middleware.served_by")

    def test_unknown_queue_type_is_refused(self):
        with self.assertRaisesMessage(ImproperlyConfigured, "CELERY_QUEUE_TYPE"):
            load_settings({"DJANGO_SECRET_KEY": "k" * 60, "CELERY_QUEUE_TYPE": "stream"})

    def test_served_by_names_this_host(self):
        from django.http import HttpResponse

        from .middleware import HOSTNAME, served_by

        response = served_by(lambda request: HttpResponse("x"))(None)
        self.assertEqual(response["X-Served-By"], HOSTNAME)


class CeleryConfigTests(SimpleTestCase):
    def test_reliability_settings(self):
        conf = celery_app.conf
        self.assertEqual(celery_app.main, "demo")
        self.assertEqual(conf.result_backend, "rpc://")
        self.assertTrue(conf.result_persistent)
        self.assertEqual(conf.task_default_delivery_mode, "persistent")
        self.assertTrue(conf.task_acks_late)
        self.assertTrue(conf.task_reject_on_worker_lost)
        self.assertEqual(conf.worker_prefetch_multiplier, 1)
        self.assertTrue(conf.broker_connection_retry_on_startup)
        queues = {q.name: q for q in conf.task_queues}
        self.assertTrue(queues["celery"].durable)
        self.assertTrue(queues["celery"].exchange.durable)

    def test_beat_schedule(self):
        entry = celery_app.conf.beat_schedule["heartbeat"]
        self.assertEqual(entry["task"], "core.tasks.heartbeat")
        self.assertEqual(entry["schedule"], 10.0)
        self.assertIn("core.tasks.heartbeat", celery_app.tasks)
        self.assertIn("core.tasks.record", celery_app.tasks)
        self.assertIn("core.tasks.add", celery_app.tasks)


class HealthzTests(TestCase):
    def test_ok_after_migrate(self):
        with override_settings(RELEASE_ID="rel-42"):
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content.decode().strip(), "ok rel-42")
        self.assertEqual(response["Content-Type"], "text/plain; charset=utf-8")

    def test_unapplied_migration_gives_503(self):
        recorder = MigrationRecorder(connection)
        recorder.record_unapplied("core", "0001_initial")
        try:
            response = self.client.get("/healthz")
        finally:
            recorder.record_applied("core", "0001_initial")
        self.assertEqual(response.status_code, 503)
        self.assertIn("unapplied migrations (1): core.0001_initial", response.content.decode())
        self.assertEqual(self.client.get("/healthz").status_code, 200)

    def test_database_down_gives_503(self):
        broken = mock.MagicMock()
        broken.cursor.side_effect = OperationalError("connection refused")
        with mock.patch("core.views.connection", broken):
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertIn("database unavailable", response.content.decode())

    def test_post_not_allowed(self):
        self.assertEqual(self.client.post("/healthz").status_code, 405)


class ViewTests(TestCase):
    def test_cpu(self):
        response = self.client.get("/cpu")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["n"], 25_000)
        self.assertEqual(body["result"], self.client.get("/cpu").json()["result"])  # deterministic
        self.assertEqual(self.client.get("/cpu?n=10").json()["n"], 10)
        self.assertEqual(self.client.get("/cpu?n=junk").json()["n"], 25_000)

    def test_io(self):
        started = time.perf_counter()
        response = self.client.get("/io")
        self.assertGreaterEqual(time.perf_counter() - started, 0.02)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["slept_ms"], 20)

    def test_async_io_under_wsgi(self):
        response = self.client.get("/async/io")
        self.assertEqual(response.status_code, 200)
        self.assertEqual((response.json()["slept_ms"], response.json()["interface"]), (20, "wsgi"))

    @override_settings(RELEASE_ID="rel-7")
    def test_version(self):
        response = self.client.get("/version")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content.decode().strip(), "rel-7")

    def test_index_references_static_css(self):
        response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'href="/static/demo/site.css"')
        self.assertTrue(finders.find("demo/site.css"))

    def test_admin_is_mounted(self):
        self.assertEqual(self.client.get("/admin/login/").status_code, 200)

    def test_collectstatic(self):
        with tempfile.TemporaryDirectory() as root, override_settings(STATIC_ROOT=root):
            call_command("collectstatic", interactive=False, verbosity=0)
            self.assertTrue(Path(root, "demo", "site.css").is_file())
            self.assertTrue(Path(root, "admin", "css", "base.css").is_file())


class RecordsApiTests(TestCase):
    def test_off_by_default(self):
        self.assertFalse(settings.RECORDS_API)
        self.assertEqual(self.client.post("/records/a").status_code, 404)
        self.assertEqual(self.client.get("/records/a").status_code, 404)

    @override_settings(RECORDS_API=True)
    def test_post_creates_once_and_get_reads(self):
        self.assertEqual(self.client.get("/records/w-1").status_code, 404)
        self.assertEqual(self.client.post("/records/w-1").status_code, 201)
        self.assertEqual(self.client.post("/records/w-1").status_code, 200)
        body = self.client.get("/records/w-1").json()
        self.assertEqual(body["key"], "w-1")
        self.assertEqual(TaskRecord.objects.filter(key="w-1").count(), 1)

    @override_settings(RECORDS_API=True)
    def test_bad_keys_and_methods(self):
        self.assertEqual(self.client.post("/records/" + "x" * 201).status_code, 404)
        self.assertEqual(self.client.post("/records/a%20b").status_code, 404)
        self.assertEqual(self.client.put("/records/a").status_code, 405)


class TaskTests(TestCase):
    def test_add_direct_and_eager(self):
        self.assertTrue(settings.CELERY_TASK_ALWAYS_EAGER)
        self.assertEqual(tasks.add(2, 3), 5)
        self.assertEqual(tasks.add.delay(2, 3).get(timeout=5), 5)

    def test_record_is_idempotent_and_counts_executions(self):
        self.assertEqual(tasks.record("p-0"), "p-0")
        self.assertEqual(tasks.record.delay("p-0").get(timeout=5), "p-0")
        self.assertEqual(TaskRecord.objects.filter(key="p-0").count(), 1)
        self.assertEqual(json.loads(run("count_records", "--prefix", "p")),
                         {"distinct": 1, "executions": 2})

    def test_record_delay_is_capped_and_keeps_the_effect(self):
        self.assertEqual(tasks.record("d-0", delay=0.01), "d-0")
        self.assertEqual(TaskRecord.objects.get(key="d-0").executions, 1)

    def test_benchmark_tasks_return_their_finish_time(self):
        before = time.time()
        self.assertGreaterEqual(tasks.burn(1000), before)
        self.assertGreaterEqual(tasks.wait.delay(1).get(timeout=5), before)
        # Bounded whatever they are asked: no 10 s sleep, no endless loop.
        started = time.monotonic()
        tasks.wait(10_000_000)
        self.assertLess(time.monotonic() - started, 6)

    def test_heartbeat_upserts(self):
        self.assertEqual(run("heartbeat_count"), "0")
        tasks.heartbeat()
        tasks.heartbeat.delay()
        self.assertEqual(run("heartbeat_count"), "2")
        self.assertEqual(TaskRecord.objects.filter(key="heartbeat").count(), 1)


class CommandTests(TestCase):
    def test_enqueue_and_count_records(self):
        self.assertEqual(run("enqueue_records", "--prefix", "batch", "--count", "5"), "enqueued 5")
        run("enqueue_records", "--prefix", "other", "--count", "2")
        TaskRecord.objects.create(key="batch-x")  # not PREFIX-<n>: not counted
        self.assertEqual(json.loads(run("count_records", "--prefix", "batch")),
                         {"distinct": 5, "executions": 5})
        self.assertEqual(json.loads(run("count_records", "--prefix", "none")),
                         {"distinct": 0, "executions": 0})

    def test_enqueue_rejects_bad_arguments(self):
        with self.assertRaises(CommandError):
            run("enqueue_records", "--prefix", "p", "--count", "-1")
        with self.assertRaises(CommandError):
            call_command("enqueue_records", "--prefix", "p")  # --count required

    def test_celery_load_reports_a_bounded_closed_loop(self):
        report = json.loads(run("celery_load", "--kind", "io", "--seconds", "0.2", "--outstanding", "3"))
        self.assertEqual(report["errors"], 0)
        self.assertGreaterEqual(report["completed"], 3)
        self.assertLess(report["seconds"], 5)
        self.assertGreater(report["tasks_per_s"], 0)
        self.assertLessEqual(report["p50_ms"], report["p99_ms"])
        cpu = json.loads(run("celery_load", "--kind", "cpu", "--seconds", "0.1", "--outstanding", "1"))
        self.assertEqual((cpu["kind"], cpu["outstanding"], cpu["errors"]), ("cpu", 1, 0))

    def test_celery_load_counts_failed_tasks_and_rejects_bad_arguments(self):
        with mock.patch.object(tasks.wait, "apply_async") as send:
            send.return_value.get.side_effect = TimeoutError("lost")
            report = json.loads(run("celery_load", "--kind", "io", "--seconds", "0.05", "--outstanding", "2"))
        self.assertEqual(report["completed"], 0)
        self.assertGreaterEqual(report["errors"], 2)
        self.assertIsNone(report["p99_ms"])
        with mock.patch.object(tasks.burn, "apply_async", side_effect=OSError("broker down")):
            with self.assertRaisesMessage(CommandError, "celery load failed: OSError: broker down"):
                run("celery_load", "--kind", "cpu", "--seconds", "1")
        for bad in (["--seconds", "0"], ["--seconds", "601"], ["--seconds", "1", "--outstanding", "0"],
                    ["--seconds", "1", "--timeout", "0"]):
            with self.assertRaises(CommandError):
                run("celery_load", "--kind", "io", *bad)

    def test_celery_roundtrip_eager(self):
        self.assertEqual(run("celery_roundtrip", "--timeout", "5"), "roundtrip ok 5")

    def test_celery_roundtrip_failure_is_a_command_error(self):
        with mock.patch.object(tasks.add, "apply_async", side_effect=OSError("broker down")):
            with self.assertRaisesMessage(CommandError, "roundtrip failed: OSError: broker down"):
                run("celery_roundtrip", "--timeout", "1")
        with self.assertRaises(CommandError):
            run("celery_roundtrip", "--timeout", "0")


class UploadTests(TestCase):
    """/uploads/<name>, the read_upload task and command, through the default storage."""

    def setUp(self):
        self.media = tempfile.TemporaryDirectory()
        self.addCleanup(self.media.cleanup)

    def test_off_unless_asked(self):
        with override_settings(UPLOADS_API=False, MEDIA_ROOT=self.media.name):
            self.assertEqual(self.client.post("/uploads/a.txt", b"x", content_type="text/plain").status_code, 404)

    def test_an_upload_is_stored_read_back_and_read_by_a_task(self):
        with override_settings(UPLOADS_API=True, MEDIA_ROOT=self.media.name, MEDIA_URL="/media/"):
            response = self.client.post("/uploads/page.html", b"<script>1</script>", content_type="text/html")
            self.assertEqual(response.status_code, 201)
            self.assertEqual(response.json(), {"name": "uploads/page.html", "url": "/media/uploads/page.html", "size": 18})
            self.assertTrue(os.path.isfile(os.path.join(self.media.name, "uploads", "page.html")))
            self.assertEqual(self.client.get("/uploads/page.html").content, b"<script>1</script>")
            # Stored again under the same name, not beside it.
            self.assertEqual(self.client.post("/uploads/page.html", b"2", content_type="text/plain").json()["name"],
                             "uploads/page.html")
            report = json.loads(run("read_upload", "page.html", "--timeout", "5"))
            self.assertEqual(report["size"], 1)
            self.assertEqual(self.client.get("/uploads/../x").status_code, 404)
            self.assertEqual(self.client.get("/uploads/missing.txt").status_code, 404)


class BuildStepTests(SimpleTestCase):
    def test_the_page_needs_the_build_step(self):
        with tempfile.TemporaryDirectory() as static_root, override_settings(STATIC_ROOT=static_root):
            self.assertEqual(self.client.get("/built").status_code, 500)
            run("build_assets")
            response = self.client.get("/built")
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.content.decode().strip(), f"built {settings.RELEASE_ID}")
            with self.assertRaisesMessage(CommandError, "asked to fail"):
                run("build_assets", "--fail")


class AsgiTests(TestCase):
    """demo.asgi: Django's views over HTTP and the echo consumer on /ws/echo/, as an ASGI server runs them."""

    def test_async_view_and_websocket_echo(self):
        import asyncio

        from asgiref.testing import ApplicationCommunicator
        from django.test import AsyncClient

        from demo.asgi import application

        async def scenario():
            response = await AsyncClient().get("/async/io")
            self.assertEqual(response.json()["interface"], "asgi")
            # The websocket as an ASGI server speaks it (channels.testing needs daphne).
            socket = ApplicationCommunicator(application, {
                "type": "websocket", "path": "/ws/echo/", "headers": [], "subprotocols": [],
                "query_string": b""})
            await socket.send_input({"type": "websocket.connect"})
            self.assertEqual((await socket.receive_output(5))["type"], "websocket.accept")
            self.assertEqual((await socket.receive_output(5))["text"],
                             f"hello {settings.RELEASE_ID} from {os.path.basename(os.getcwd())}")
            await socket.send_input({"type": "websocket.receive", "text": "ping"})
            self.assertEqual((await socket.receive_output(5))["text"], f"{settings.RELEASE_ID} ping")
            await socket.send_input({"type": "websocket.disconnect", "code": 1000})
            await socket.wait(5)

        with override_settings(RELEASE_ID="rel-9"):
            asyncio.run(scenario())
