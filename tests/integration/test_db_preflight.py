"""The preflight refuses a database fleet that cannot work, before any host changes.

A fleet of local hosts (web1 in web and worker, db1 and db2 in db) runs site.yml in check
mode: each case must stop the run in the preflight play, naming the variable, with no host
changed and no later play started.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

from conftest import BIN, ROOT, ansible_env

pytestmark = pytest.mark.integration

SECRET = "molecule-only-db-pw-41c9e2"  # 26 characters: strong enough

COMMON = {
    "ansible_connection": "local",
    "ansible_python_interpreter": sys.executable,
    "webstack_private_address": "127.0.0.1",
    "django_app_name": "demo",
    "django_app_secret_key": "Zq8-vN3kL0pR7sT2wX5yB9cD4fG6hJ1mQ_aE8iO3uY7rT2wX5y",
    "django_app_allowed_hosts": ["localhost"],
    "django_app_server_names": ["localhost"],
    "rabbitmq_apps": [],
    "postgresql_apps": [{"name": "demo", "password": SECRET}],
    "postgresql_replication_password": SECRET + "-replication",
}

CASES = {
    "two db hosts without replication password": (
        {"postgresql_replication_password": ""}, r"postgresql_replication_password"),
    "app name not a PostgreSQL identifier": (
        {"postgresql_apps": [{"name": "my-app", "password": SECRET}]}, r"postgresql_apps\[0\]\.name"),
    "short password": ({"postgresql_apps": [{"name": "demo", "password": "short"}]},
                       r"postgresql_apps\[0\]\.password must be at least 16 characters"),
    "private address not an address": ({"webstack_private_address": "web1.example"},
                                       r'webstack_private_address: "web1.example" on \w+ is not an IP address'),
    "no database for the app": ({"postgresql_apps": [{"name": "other", "password": SECRET}]},
                                r'no database for the app "demo" \(django_app_name\)'),
}


def _inventory(tmp_path, overrides):
    inventory = {"all": {"vars": {**COMMON, **overrides}, "children": {
        "web": {"hosts": {"web1": None}}, "worker": {"hosts": {"web1": None}},
        "db": {"hosts": {"db1": None, "db2": None}}}}}
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory))
    return str(path)


@pytest.mark.parametrize("overrides, message", CASES.values(), ids=CASES.keys())
def test_bad_database_input_stops_the_run_in_the_preflight(tmp_path, overrides, message):
    archive = tmp_path / "release.tar.gz"
    subprocess.run(["tar", "-czf", str(archive), "-C", str(tmp_path), "--files-from", "/dev/null"], check=True)
    result = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "-i", _inventory(tmp_path, overrides),
         os.path.join(ROOT, "playbooks", "site.yml"), "--check",
         "-e", f"django_app_release_archive={archive}"],
        cwd=ROOT, env=ansible_env(ANSIBLE_FORKS="4"), capture_output=True, text=True, timeout=600, check=False)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert re.search(message, " ".join(out.split())), out[-3000:]
    assert "PLAY [Run the database]" not in out and "PLAY [Learn the private" not in out, out[-3000:]
    assert not re.search(r"changed=[1-9]", out), out[-3000:]
    assert SECRET not in out
