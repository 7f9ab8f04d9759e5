"""inventories/prod: the example fleet lists, checks and decrypts as documented."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
INVENTORY = os.path.join(ROOT, "inventories", "prod")
EXAMPLE_PASSWORD = os.path.join(ROOT, "inventories", "prod-vault-password.example")


def run(tool, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_VAULT")}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".collections"),
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    return subprocess.run([os.path.join(BIN, tool), *args], capture_output=True, text=True,
                          timeout=300, check=False, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)


def test_graph_needs_no_vault_password():
    result = run("ansible-inventory", "-i", INVENTORY, "--graph")
    assert result.returncode == 0, result.stderr
    for group in ("@lb", "@web", "@worker", "@broker", "@db", "@storage"):
        assert group in result.stdout


def test_fleet_shape():
    result = run("ansible-inventory", "-i", INVENTORY, "--list", "--export")
    assert result.returncode == 0, result.stderr
    groups = json.loads(result.stdout)
    assert {g: len(groups[g]["hosts"]) for g in ("lb", "web", "worker", "broker", "db", "storage")} == {
        "lb": 1, "web": 3, "worker": 2, "broker": 3, "db": 2, "storage": 1}
    assert groups.get("ungrouped", {}).get("hosts", []) == []


@pytest.mark.parametrize("playbook", ["site.yml", "deploy.yml", "rollback.yml", "plan.yml"])
def test_syntax_check_needs_no_vault_password(playbook):
    result = run("ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", playbook),
                 "--syntax-check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_secrets_decrypt_with_the_documented_password():
    # debug runs on the controller: no connection to the example hosts is made.
    result = run("ansible", "-i", INVENTORY, "broker2.example.internal", "-m", "ansible.builtin.debug",
                 "-a", "msg={{ (vault_rabbitmq_erlang_cookie is match('^[A-Za-z0-9]{20,}$')) and "
                       "(django_app_secret_key | length >= 50) and "
                       "(rabbitmq_apps | webstack.django.weak_secrets('rabbitmq_apps', min_length=16, single_line=true)"
                       " + postgresql_apps | webstack.django.weak_secrets('postgresql_apps', min_length=16)"
                       " + postgresql_replication_password | webstack.django.weak_secrets('r', min_length=16)"
                       " + seaweedfs_buckets | webstack.django.weak_secrets('seaweedfs_buckets', min_length=16,"
                       " key='secret_key', single_line=true)) == [] }}",
                 "--vault-password-file", EXAMPLE_PASSWORD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r'"?msg"?: true', result.stdout), result.stdout


def test_secrets_need_the_password_when_used():
    result = run("ansible", "-i", INVENTORY, "broker2.example.internal", "-m", "ansible.builtin.debug",
                 "-a", "msg={{ django_app_secret_key | length }}")
    assert result.returncode != 0
    assert "vault" in (result.stdout + result.stderr).lower()
