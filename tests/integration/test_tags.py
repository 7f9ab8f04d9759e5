"""Every role's tasks are tagged by role and by concern, so --tags / --skip-tags pick a part."""

import glob
import os
import re
import subprocess

import pytest
import yaml

from conftest import BIN, ROOT, ansible_env

pytestmark = pytest.mark.integration

ROLES = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
               for p in glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "main.yml")))


def list_tasks(*args):
    out = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "inventories/demo",
                          "playbooks/site.yml", "--list-tasks", *args], cwd=ROOT, env=ansible_env(),
                         capture_output=True, text=True, check=True).stdout
    tasks = re.findall(r"^ {6}(\S.*?)\tTAGS: \[(.*)\]$", out, re.M)
    return [(name, {t.strip() for t in tags.split(",") if t.strip()}) for name, tags in tasks]


def test_tags_nginx_lists_only_nginx_tasks():
    tasks = list_tasks("--tags", "nginx")
    assert tasks
    assert [name for name, tags in tasks if "nginx" not in tags] == []
    names = [name for name, _tags in tasks]
    assert "Put nginx in front of it" in names
    assert "Run nginx with the app's site balanced over the web hosts" in names
    assert "Deploy the release" not in names and "Run the app under uWSGI" not in names


def test_every_task_of_site_yml_has_a_role_tag():
    untagged = [name for name, tags in list_tasks() if not tags & set(ROLES)]
    assert untagged == []


# A role's input checks: its preflight, and uwsgi's accounts (after its converge probe).
CHECKS = ("preflight.yml", "accounts.yml")


@pytest.mark.parametrize("role", ROLES)
def test_role_tasks_are_tagged_by_role_and_concern(role):
    with open(os.path.join(ROOT, "roles", role, "tasks", "main.yml"), encoding="utf-8") as handle:
        tasks = yaml.safe_load(handle)
    includes = [t for block in tasks for t in block.get("block", [block]) if "ansible.builtin.include_tasks" in t]
    assert includes
    for task in includes:
        args = task["ansible.builtin.include_tasks"]
        if args["file"] in CHECKS:
            assert task["tags"] == ["always"] == args["apply"]["tags"], task["name"]
        else:
            concern = f"{role}:{args['file'][:-4]}".replace(":configure", ":config")
            assert task["tags"] == [role, concern] == args["apply"]["tags"], task["name"]
