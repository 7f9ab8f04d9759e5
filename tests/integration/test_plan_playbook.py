"""playbooks/plan.yml prints the worker plan table for localhost and changes nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
HEADER = re.compile(r"host\s+vCPUs\s+memory MB\s+uWSGI p x t\s+Celery\s+nginx\s+limited by")


def run_plan(tmp_path, *args):
    """Run playbooks/plan.yml against localhost with a local connection; return the result."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".collections"),
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(tmp_path / "facts"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    cmd = [os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", "plan.yml"),
           "-i", "localhost,", "-c", "local", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def test_plan_prints_the_table_and_changes_nothing(tmp_path):
    result = run_plan(tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert HEADER.search(out), out
    assert re.search(r"localhost\s+\d+\s+\d+\s+\d+ x \d+\s+0\s+\d+\s+\w+", out), out
    assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=0\s", out), out


def test_plan_takes_its_inputs_from_host_vars(tmp_path):
    result = run_plan(tmp_path, "-e", '{"webstack_celery": true, '
                                      '"webstack_worker_overrides": {"uwsgi": {"processes": 7}}}')
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"localhost\s+\d+\s+\d+\s+7 x \d+\s+[1-9]\d*\s+\d+\s+override", out), out
