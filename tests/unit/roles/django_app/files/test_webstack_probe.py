"""roles/django_app/files/webstack_probe.py: a new release's settings, WSGI callable and Celery app."""
import json
import os

from django_projects import CELERY_PY

SETTINGS = "--settings=django_app_settings_module=mysite.settings"
WSGI = "--wsgi=django_app_wsgi_module=mysite.wsgi:application"
CELERY = "--celery=django_app_celery_module=mysite"


def failure(proc):
    """The one line on stderr of a failed probe."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def success(proc):
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0])


def with_celery(project, in_init=True):
    project.write("mysite/celery.py", CELERY_PY)
    if in_init:
        project.write("mysite/__init__.py", 'from .celery import app as celery_app\n\n__all__ = ("celery_app",)\n')


def test_success_under_the_overlay(project, tmp_path):
    with_celery(project)
    env = project.overlay_env(DATABASE_URL="postgres://u:p@db/mysite", DJANGO_STATE_DIR=str(tmp_path / "state"))
    report = success(project.probe(SETTINGS, WSGI, CELERY, env=env))
    # What the app's processes and timers may run: Django's commands (the project's own among
    # them) and the executables of the venv the probe runs in.
    commands, executables = report.pop("commands"), report.pop("executables")
    assert {"migrate", "clearsessions", "collectstatic"} <= set(commands) and commands == sorted(commands)
    assert "python" in executables or "python3" in executables
    assert report == {
        "debug": False,
        "settings": "webstack_settings",
        "static_root": os.path.join(os.path.realpath(project.dir), "staticfiles"),
        "static_url": "/static/",
        "database_engine": "django.db.backends.postgresql",
        "celery_app": "mysite.celery:app",
        "overlay": True,
    }


def test_success_with_the_app_settings(project):
    report = success(project.probe(SETTINGS, WSGI, env=project.env(DJANGO_SETTINGS_MODULE="mysite.settings")))
    assert report["settings"] == "mysite.settings"
    assert report["debug"] is True
    assert report["overlay"] is False
    assert report["static_root"] is None
    assert report["database_engine"] == "django.db.backends.sqlite3"
    assert report["celery_app"] is None


def test_settings_module_defaults_to_the_settings_option(project):
    assert success(project.probe(SETTINGS, WSGI, env=project.env()))["settings"] == "mysite.settings"


def test_settings_module_missing(project):
    proc = project.probe("--settings=django_app_settings_module=nosuch.settings", WSGI, env=project.overlay_env())
    assert failure(proc) == "django_app_settings_module: cannot import nosuch.settings: ModuleNotFoundError: No module named 'nosuch'"


def test_settings_do_not_load(project):
    proc = project.probe(SETTINGS, WSGI, env=project.overlay_env(DJANGO_SECRET_KEY=""))
    assert failure(proc) == (
        "django_app_settings_module: the settings do not load (DJANGO_SETTINGS_MODULE=webstack_settings): "
        "ImproperlyConfigured: webstack_settings: the environment variable DJANGO_SECRET_KEY is required"
    )


def test_settings_error_does_not_print_the_secrets(project):
    project.add_settings('import os\nraise RuntimeError("cannot reach " + os.environ["DATABASE_URL"] + "\\nsecond line")\n')
    url = "postgres://mysite:s3cr%2Ft-pa55@db.example.com/mysite"
    line = failure(project.probe(SETTINGS, WSGI, env=project.overlay_env(DATABASE_URL=url)))
    assert line == "django_app_settings_module: cannot import mysite.settings: RuntimeError: cannot reach <DATABASE_URL>"


def test_decoded_password_is_masked(project):
    project.add_settings('raise RuntimeError("password s3cr/t-pa55 refused")\n')
    url = "postgres://mysite:s3cr%2Ft-pa55@db.example.com/mysite"
    line = failure(project.probe(SETTINGS, WSGI, env=project.overlay_env(DATABASE_URL=url)))
    assert "s3cr" not in line and "<password>" in line


def test_wsgi_callable_missing(project):
    proc = project.probe(SETTINGS, "--wsgi=django_app_wsgi_module=mysite.wsgi:app", env=project.overlay_env())
    assert failure(proc) == "django_app_wsgi_module: mysite.wsgi has no callable 'app'"


def test_wsgi_attribute_not_callable(project):
    project.write("mysite/wsgi_broken.py", "application = None\n")
    proc = project.probe(SETTINGS, "--wsgi=django_app_wsgi_module=mysite.wsgi_broken", env=project.overlay_env())
    assert failure(proc) == "django_app_wsgi_module: mysite.wsgi_broken has no callable 'application'"


def test_wsgi_module_missing(project):
    proc = project.probe(SETTINGS, "--wsgi=django_app_wsgi_module=mysite.nowsgi:application", env=project.overlay_env())
    assert failure(proc) == "django_app_wsgi_module: cannot import mysite.nowsgi: ModuleNotFoundError: No module named 'mysite.nowsgi'"


def test_the_asgi_callable_of_startproject_passes(project):
    project.write("mysite/asgi.py", "import os\nfrom django.core.asgi import get_asgi_application\n"
                  "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"
                  "application = get_asgi_application()\n")
    assert success(project.probe(SETTINGS, WSGI, "--asgi=django_app_asgi_module=mysite.asgi:application",
                                 env=project.overlay_env()))["settings"] == "webstack_settings"


def test_an_asgi_module_that_does_not_import_is_named(project):
    project.write("mysite/asgi.py", "import channels_missing_here\napplication = None\n")
    proc = project.probe(SETTINGS, WSGI, "--asgi=django_app_asgi_module=mysite.asgi:application", env=project.overlay_env())
    assert failure(proc) == ("django_app_asgi_module: cannot import mysite.asgi: ModuleNotFoundError: "
                             "No module named 'channels_missing_here'")
    project.write("mysite/asgi2.py", "application = 3\n")
    proc = project.probe(SETTINGS, WSGI, "--asgi=django_app_asgi_module=mysite.asgi2", env=project.overlay_env())
    assert failure(proc) == "django_app_asgi_module: mysite.asgi2 has no callable 'application'"


def test_celery_app_missing(project):
    proc = project.probe(SETTINGS, WSGI, CELERY, env=project.overlay_env())
    assert failure(proc) == "django_app_celery_module: no Celery app in mysite (looked for app, celery, mysite.celery:app)"


def test_celery_app_found_in_the_celery_submodule(project):
    with_celery(project, in_init=False)
    assert success(project.probe(SETTINGS, WSGI, CELERY, env=project.overlay_env()))["celery_app"] == "mysite.celery:app"


def test_celery_app_named_by_module_and_attribute(project):
    project.write("mysite/workers.py", 'from celery import Celery\n\nqueue = Celery("mysite")\n')
    report = success(project.probe(SETTINGS, WSGI, "--celery=django_app_celery_module=mysite.workers:queue", env=project.overlay_env()))
    assert report["celery_app"] == "mysite.workers:queue"
    proc = project.probe(SETTINGS, WSGI, "--celery=django_app_celery_module=mysite.workers:app", env=project.overlay_env())
    assert failure(proc) == "django_app_celery_module: no Celery app in mysite.workers (looked for app)"


def test_celery_submodule_that_fails_to_import(project):
    project.write("mysite/celery.py", "import nosuchpackage\n")
    proc = project.probe(SETTINGS, WSGI, CELERY, env=project.overlay_env())
    assert failure(proc) == "django_app_celery_module: cannot import mysite.celery: ModuleNotFoundError: No module named 'nosuchpackage'"


def test_output_of_the_project_is_dropped(project):
    project.add_settings('import sys\nprint("hello from settings")\nprint("warning from settings", file=sys.stderr)\n')
    assert success(project.probe(SETTINGS, WSGI, env=project.overlay_env()))["overlay"] is True


def test_deploy_checks_pass_under_the_overlay_in_the_same_process(project):
    report = success(project.probe(SETTINGS, WSGI, "--check-deploy", env=project.overlay_env()))
    assert report["check"] == {"passed": True, "refused": [], "warnings": [], "output": ""}, report["check"]


def test_deploy_checks_report_each_warning_and_mask_secrets(project):
    # The app's own settings: DEBUG on, a short key, no HTTPS settings. The probe still exits 0
    # (the entry points import); the verdict is the checks'.
    key = "short-but-secret-key"
    project.add_settings(f'SECRET_KEY = "{key}"\n')
    env = project.env(DJANGO_SETTINGS_MODULE="mysite.settings", DJANGO_SECRET_KEY=key)
    report = success(project.probe(SETTINGS, WSGI, "--check-deploy", env=env))
    check = report["check"]
    assert check["passed"] is False
    assert "(security.W018)" in check["output"] and "(security.W009)" in check["output"]
    assert any(line.startswith("(security.W018) ") for line in check["refused"]), check
    assert key not in check["output"]


# Checks of the project's own, registered by its settings: a model warning like models.W042, a
# configuration warning like mail.W001, and an error.
OWN_CHECKS = """
from django.core import checks as _checks


@_checks.register(deploy=True)
def _own_checks(app_configs, **kwargs):
    return [_checks.Warning("Auto-created primary key used", hint="Set DEFAULT_AUTO_FIELD.", obj="shop.Order", id="models.W042"),
            _checks.Warning("Email is not configured", id="mail.W001")] + (
        [_checks.Error("The project is broken", id="mysite.E001")] if __import__("os").environ.get("OWN_ERROR") else [])
"""


def test_warnings_of_the_project_are_reported_and_do_not_refuse_by_default(project):
    project.add_settings(OWN_CHECKS)
    check = success(project.probe(SETTINGS, WSGI, "--check-deploy", env=project.overlay_env()))["check"]
    assert check["passed"] is True, check
    assert check["refused"] == []
    assert check["warnings"] == ["shop.Order: (models.W042) Auto-created primary key used HINT: Set DEFAULT_AUTO_FIELD.",
                                 "(mail.W001) Email is not configured"]


def test_a_security_warning_refuses_by_default_and_only_errors_at_error_level(project):
    # The app's own settings run with DEBUG on: security.W018.
    env = project.env(DJANGO_SETTINGS_MODULE="mysite.settings")
    check = success(project.probe(SETTINGS, WSGI, "--check-deploy", env=env))["check"]
    assert check["passed"] is False and any("(security.W018)" in line for line in check["refused"]), check
    check = success(project.probe(SETTINGS, WSGI, "--check-deploy", "--check-fail-level", "error", env=env))["check"]
    assert check["passed"] is True and check["refused"] == [], check
    assert any("(security.W018)" in line for line in check["warnings"]), check


def test_every_warning_refuses_at_warning_level_and_an_error_at_every_level(project):
    project.add_settings(OWN_CHECKS)
    strict = success(project.probe(SETTINGS, WSGI, "--check-deploy", "--check-fail-level", "warning",
                                   env=project.overlay_env()))["check"]
    assert strict["passed"] is False and len(strict["refused"]) == 2 and strict["warnings"] == [], strict
    for level in ("error", "security", "warning"):
        check = success(project.probe(SETTINGS, WSGI, "--check-deploy", "--check-fail-level", level,
                                      env=project.overlay_env(OWN_ERROR="1")))["check"]
        assert check["passed"] is False and "(mysite.E001) The project is broken" in check["refused"], (level, check)


def test_a_silenced_check_is_neither_refused_nor_reported(project):
    project.add_settings(OWN_CHECKS)
    check = success(project.probe(SETTINGS, WSGI, "--check-deploy", "--check-fail-level", "warning",
                                  env=project.overlay_env(DJANGO_SILENCED_CHECKS="models.W042,mail.W001")))["check"]
    assert check == {"passed": True, "refused": [], "warnings": [], "output": ""}, check


def test_without_check_deploy_no_check_runs(project):
    assert "check" not in success(project.probe(SETTINGS, WSGI, env=project.overlay_env()))
