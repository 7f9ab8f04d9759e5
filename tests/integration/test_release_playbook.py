"""playbooks/release.yml builds a reproducible release archive of a plain project on the
controller, one that webstack.django.release_archive accepts, and refuses a project without
its lock file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT, ansible_env

pytestmark = pytest.mark.integration

PLAIN = os.path.join(ROOT, "examples", "plain_project")


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "mysite"
    shutil.copytree(PLAIN, path, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    return path


def release(*extra):
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "playbooks/release.yml"]
    for var in extra:
        cmd += ["-e", var]
    return subprocess.run(cmd, cwd=ROOT, env=ansible_env(), capture_output=True, text=True,
                          timeout=300, check=False)


def test_release_builds_an_archive_release_archive_accepts(project, tmp_path, run_play):
    dest = tmp_path / "dist"
    result = release(f"release_project={project}", "release_version=1.4.0", f"release_dest={dest}")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    archive = dest / "mysite-1.4.0.tar.gz"
    digest = (dest / "mysite-1.4.0.tar.gz.sha256").read_text().split()[0]
    assert f"archive: {archive}" in out and f"sha256: {digest}" in out, out
    assert re.search(r"localhost\s*: ok=3\s+changed=1 ", out), out

    checked = run_play(f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - webstack.django.release_archive:
                path: {archive}
                required: [requirements.txt, manage.py, RELEASE, mysite/settings.py]
              register: checked
            - ansible.builtin.assert:
                that: checked.sha256 == '{digest}'
        """, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    again = release(f"release_project={project}", "release_version=1.4.0", f"release_dest={dest}")
    assert again.returncode == 0 and re.search(r"localhost\s*: ok=3\s+changed=0 ", again.stdout), again.stdout


def test_release_names_the_missing_lock(project, tmp_path):
    (project / "requirements.txt").unlink()
    result = release(f"release_project={project}", "release_version=1.4.0", f"release_dest={tmp_path / 'dist'}")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "no lock file requirements.txt in" in out and "pin every package" in out, out
    assert not (tmp_path / "dist").exists()


def test_release_requires_the_project(tmp_path):
    result = release(f"release_dest={tmp_path / 'dist'}")
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "release_project is required" in out, out
