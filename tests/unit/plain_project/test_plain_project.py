"""The plain example project (examples/plain_project) passes Django's checks and its migrations
match its models.

It runs in the demo's virtualenv, .venv-demo (Django 5.2 and Celery), or in
WEBSTACK_DEMO_PYTHON when set, on a copy of the project so that the SQLite file Django opens
stays out of the checkout.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROJECT = ROOT / "examples" / "plain_project"
DEMO_PYTHON = os.environ.get("WEBSTACK_DEMO_PYTHON", str(ROOT / ".venv-demo" / "bin" / "python"))

pytestmark = pytest.mark.skipif(not os.path.exists(DEMO_PYTHON),
                                reason=f"{DEMO_PYTHON} is missing: run scripts/setup.sh venv")


@pytest.mark.parametrize("command", [["check"], ["makemigrations", "--check", "--dry-run"]],
                         ids=["check", "makemigrations"])
def test_manage_py(tmp_path, command):
    project = tmp_path / "plain_project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run([DEMO_PYTHON, "manage.py", *command], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
