"""What the app contract refuses before any host changes (docs/app-contract.md).

Each case is one run of playbooks/preflight.yml over one local host in the broker, web and
worker groups, with a release archive laid out like a `startproject` project (or one thing
missing from it): the run fails naming the variable, and nothing changes.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from conftest import ROOT
from test_preflight import PROJECT, _archive, _inventory, _run

pytestmark = pytest.mark.integration


def _without(name, replacement=None):
    members = [(n, d) for n, d in PROJECT if n != name]
    return members + ([(name, replacement)] if replacement is not None else [])


# case id: (host variables, archive members, what the failure must say)
CASES = {
    "settings module not in the archive": (
        {"django_app_settings_module": "mysite.nosuch"}, PROJECT,
        r"django_app_settings_module: no module mysite\.nosuch in the release archive"),
    "wsgi callable not there": (
        {}, _without("mysite/wsgi.py", b"app = object()\n"),
        r"django_app_wsgi_module: mysite/wsgi\.py defines no 'application'"),
    "wsgi module not there": (
        {"django_app_wsgi_module": "mysite.asgi:application"}, PROJECT,
        r"django_app_wsgi_module: no module mysite\.asgi in the release archive"),
    "celery app module not there": (
        {"django_app_celery_module": "mysite.tasks"}, PROJECT,
        r"django_app_celery_module: no module mysite\.tasks in the release archive"),
    "no celery.py for a worker": (
        {}, _without("mysite/celery.py"),
        r"django_app_celery_module: the release archive has no celery\.py beside the settings"),
    "manage.py names no settings": (
        {}, _without("manage.py", b"import sys\n"),
        r"django_app_settings_module is empty and the release archive does not name it"),
    "broker app named otherwise": (
        {"rabbitmq_apps": [{"name": "demo", "password": "broker-pw-4e8a1c7d9b2f"}]}, PROJECT,
        r"django_app_name: \"mysite\" matches no rabbitmq_apps entry of the broker group \(it declares demo\)"),
    "empty health status list": (
        {"django_app_healthcheck_status": []}, PROJECT,
        r"django_app_healthcheck_status: must be a non-empty list of HTTP statuses"),
    "health status not a status": (
        {"django_app_healthcheck_status": [200, 999]}, PROJECT,
        r"django_app_healthcheck_status\[1\]: 999 is not an HTTP status"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_the_contract_is_checked_before_any_change(tmp_path, case):
    host_vars, members, message = CASES[case]
    archive = _archive(tmp_path / "release.tar.gz", members)
    common = {"django_app_name": "mysite", "django_app_release_archive": archive,
              "rabbitmq_apps": [{"name": "mysite", "password": "broker-pw-4e8a1c7d9b2f"}]}
    inventory = _inventory(tmp_path, {"h": host_vars}, common)
    result = _run(os.path.join(ROOT, "playbooks", "preflight.yml"), inventory)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert re.search(message, re.sub(r"\s+", " ", out).replace("''", "'")), out[-3000:]
    assert re.search(r"^h\s*: ok=\d+\s+changed=0 ", out, re.M), out[-3000:]


def test_a_startproject_archive_passes_with_nothing_named(tmp_path):
    """Settings, WSGI application and Celery app all come from the archive."""
    archive = _archive(tmp_path / "release.tar.gz")
    common = {"django_app_name": "mysite", "django_app_release_archive": archive,
              "rabbitmq_apps": [{"name": "mysite", "password": "broker-pw-4e8a1c7d9b2f"}]}
    inventory = _inventory(tmp_path, {"h": {}}, common)
    result = _run(os.path.join(ROOT, "playbooks", "preflight.yml"), inventory, "-v")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "mysite.wsgi:application" in out and "mysite.celery" in out, out[-3000:]


# rollback.yml sets webstack_preflight_archive: false; given on the command line it is a string,
# which must mean the same.
@pytest.mark.parametrize("no_archive", ['{"webstack_preflight_archive": false}', "webstack_preflight_archive=false"])
def test_a_run_that_reads_no_archive_uses_the_entry_points_recorded_on_the_host(tmp_path, no_archive):
    """rollback.yml reads no archive: the entry points come from the last switch's record."""
    root = tmp_path / "srv" / "mysite"
    (root / "shared" / "config").mkdir(parents=True)
    (root / "releases").mkdir()
    (root / "shared" / "config" / "entry-points.json").write_text(json.dumps(
        {"settings_module": "mysite.settings", "wsgi_module": "mysite.wsgi:application",
         "celery_module": "mysite.celery"}))
    common = {"django_app_name": "mysite", "django_app_root": str(root),
              "django_app_allowed_roots": [str(tmp_path / "srv")],
              "django_app_release_archive": str(tmp_path / "gone.tar.gz"),
              "rabbitmq_apps": [{"name": "mysite", "password": "broker-pw-4e8a1c7d9b2f"}]}
    inventory = _inventory(tmp_path, {"h": {}}, common)
    result = _run(os.path.join(ROOT, "playbooks", "preflight.yml"), inventory,
                  "-e", no_archive, "-v")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert re.search(r"\bapp: mysite\.celery\b", out) and re.search(r"\bmodule: mysite\.wsgi:application\b", out), out[-3000:]
