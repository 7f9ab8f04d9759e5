"""Throwaway startproject-style Django projects for the tests of roles/django_app/files,
run in the demo's virtualenv (.venv-demo, or WEBSTACK_DEMO_PYTHON), which has Django and Celery."""
import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "roles" / "django_app" / "files"
DEMO_PYTHON = os.environ.get("WEBSTACK_DEMO_PYTHON", str(ROOT / ".venv-demo" / "bin" / "python"))
# 50+ random characters, as check --deploy wants.
SECRET_KEY = "k3R9vQ2mZ8xW4tY7uB1nC6pL0sD5fG3hJ8kA2qE9rT4yU7iO1wX6zV0bN5mM3cQ"

CELERY_PY = """
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

app = Celery("mysite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
"""


class Project:
    """A startproject-style project `mysite` in <tmp>/release, the overlay in <tmp>/config."""

    def __init__(self, base):
        self.dir = base / "release"
        self.config = base / "config"
        self.bin = base / "bin"
        self.settings = self.dir / "mysite" / "settings.py"

    def add_settings(self, text):
        with self.settings.open("a", encoding="utf-8") as handle:
            handle.write("\n" + textwrap.dedent(text))

    def write(self, relative, text):
        path = self.dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")

    def env(self, **extra):
        """A hermetic environment: nothing deployment-specific leaks in from the caller."""
        env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "CELERY_", "WEBSTACK_")) and k not in ("DATABASE_URL", "PYTHONPATH")
        }
        env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(self.config))
        env.update({k: v for k, v in extra.items() if v is not None})
        return env

    def overlay_env(self, **extra):
        base = {
            "DJANGO_SETTINGS_MODULE": "webstack_settings",
            "WEBSTACK_APP_SETTINGS": "mysite.settings",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": "www.example.com,example.com",
        }
        base.update(extra)
        return self.env(**base)

    def run(self, args, env, cwd=None):
        return subprocess.run(
            [DEMO_PYTHON, *args], cwd=cwd or self.dir, env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )

    def overlay(self, cwd=None, **extra):
        """The overlay's settings (UPPERCASE names, as JSON) or the failed process."""
        script = (
            "import json, webstack_settings as s; "
            "print(json.dumps({k: getattr(s, k) for k in dir(s) if k.isupper()}, default=repr))"
        )
        proc = self.run(["-c", script], self.overlay_env(**extra), cwd=cwd)
        return json.loads(proc.stdout) if proc.returncode == 0 else proc

    def probe(self, *args, env):
        return self.run([str(self.bin / "webstack_probe.py"), *args], env)


def make_project(base):
    """startproject mysite in <base>/release; the overlay in <base>/config, the probe in <base>/bin."""
    proj = Project(base)
    proj.dir.mkdir()
    proc = proj.run(["-m", "django", "startproject", "mysite", str(proj.dir)], proj.env())
    assert proc.returncode == 0, proc.stderr
    for directory, name in ((proj.config, "webstack_settings.py"), (proj.bin, "webstack_probe.py")):
        directory.mkdir()
        shutil.copy(FILES / name, directory / name)
    return proj
