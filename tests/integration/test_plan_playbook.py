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
HEADER = re.compile(r"host\s+vCPUs\s+memory MB\s+uWSGI p x t\s+Celery\s+nginx\s+DB\s+limited by")


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
    assert re.search(r"localhost\s+\d+\s+\d+\s+\d+ x \d+\s+0\s+\d+\s+-\s+\w+", out), out
    assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=0\s", out), out


def test_plan_takes_its_inputs_from_host_vars(tmp_path):
    result = run_plan(tmp_path, "-e", '{"webstack_celery": true, '
                                      '"webstack_worker_overrides": {"uwsgi": {"processes": 7}}}')
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"localhost\s+\d+\s+\d+\s+7 x \d+\s+[1-9]\d*\s+\d+\s+-\s+override", out), out


def test_plan_gives_each_app_host_its_share_of_the_database(tmp_path):
    """With a db group, the DB column and the uWSGI cap come from the primary's connections:
    max_connections 50 minus 3 reserved for superusers, shared by web1 (uWSGI) and web1 again
    plus worker1 (Celery): 47 // 3 = 15 each."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars:\n    ansible_connection: local\n"
        f"    ansible_python_interpreter: {sys.executable}\n"
        "    webstack_private_address: 127.0.0.1\n"
        "    postgresql_apps: [{name: demo, password: plan-test-only-pw-1}]\n"
        "    postgresql_settings: {max_connections: 50}\n"
        "    webstack_profile: io\n"
        "  children:\n"
        "    web: {hosts: {web1: }}\n"
        "    worker: {hosts: {web1: , worker1: }}\n"
        "    db: {hosts: {db1: }}\n")
    result = run_plan(tmp_path, "-i", str(inventory))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    row = re.search(r"web1\s+\d+\s+\d+\s+(\d+) x (\d+)\s+\d+\s+\d+\s+15\s+\w+", out)
    assert row, out
    assert int(row.group(1)) * int(row.group(2)) <= 15
    assert re.search(r"db1\s+\d+\s+\d+\s+\d+ x \d+\s+\d+\s+\d+\s+-\s+", out), out
    assert "plan-test-only-pw-1" not in out
