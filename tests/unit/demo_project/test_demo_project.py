"""Run the demo Django project's own test suite (examples/demo_project).

The suite runs in the demo's own virtualenv, .venv-demo (made by `scripts/setup.sh venv`
from examples/demo_project/requirements.txt), or in WEBSTACK_DEMO_PYTHON when set.
"""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROJECT = ROOT / "examples" / "demo_project"
DEMO_PYTHON = os.environ.get("WEBSTACK_DEMO_PYTHON", str(ROOT / ".venv-demo" / "bin" / "python"))


def test_demo_project_django_test_suite():
    assert os.path.exists(DEMO_PYTHON), f"{DEMO_PYTHON} is missing: run scripts/setup.sh venv"
    assert (PROJECT / "manage.py").is_file(), PROJECT

    # Hermetic: no deployment settings leak in from the caller's environment.
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CELERY_")) and k != "DATABASE_URL"
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["DJANGO_SETTINGS_MODULE"] = "demo.settings_test"
    proc = subprocess.run(
        [DEMO_PYTHON, "manage.py", "test", "--noinput", "-v", "2"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"manage.py test failed (rc {proc.returncode}):\n{output[-8000:]}"
    assert "\nOK" in output, output[-8000:]


def _gnu_tar():
    try:
        out = subprocess.run(["tar", "--version"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return False
    return "GNU tar" in out


@pytest.mark.skipif(not _gnu_tar(), reason="build_release.sh needs GNU tar")
def test_build_release_is_reproducible(tmp_path):
    import tarfile

    sums = []
    for run in ("a", "b"):
        env = dict(os.environ, DIST_DIR=str(tmp_path / run))
        env.pop("SOURCE_DATE_EPOCH", None)
        proc = subprocess.run(
            ["bash", str(PROJECT / "build_release.sh"), "9.9.9-test"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        archive = tmp_path / run / "demo_project-9.9.9-test.tar.gz"
        sums.append((tmp_path / run / (archive.name + ".sha256")).read_text().split()[0])
    assert sums[0] == sums[1]

    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert tar.extractfile("RELEASE").read() == b"9.9.9-test\n"
    assert names == sorted(names)
    for required in ("manage.py", "requirements.txt", "demo/settings.py", "demo/wsgi.py",
                     "core/migrations/0001_initial.py", "core/static/demo/site.css"):
        assert required in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".sqlite3"))
                or n.startswith(("dist/", "staticfiles/"))]
    assert {(m.uid, m.gid, m.mtime) for m in members} == {(0, 0, 946684800)}
