"""webstack_deploy_serial: a batch that would take every web host out of rotation at once (0, a
negative number, 100 %, as many hosts as the group) or a value that is no batch size is refused
by preflight.yml, which deploy.yml and rollback.yml run before any host changes."""

import json
import os
import re

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.integration

TASKS = os.path.join(ROOT, "playbooks", "tasks", "deploy_serial.yml")
PLAY = f"""
- name: Check the deploy batches
  hosts: all
  gather_facts: false
  tasks:
    - name: Check
      ansible.builtin.include_tasks: {TASKS}
"""


@pytest.fixture
def check(run_play, tmp_path):
    """Run the check on an inventory of three web hosts (and a worker), with extra args."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": {"ansible_connection": "local"},
        "children": {"web": {"hosts": {"web1": None, "web2": None, "web3": None}},
                     "worker": {"hosts": {"worker1": None}}}}}))

    def run(serial=None, *args):
        extra = [] if serial is None else ["-e", json.dumps({"webstack_deploy_serial": serial})]
        result = run_play(PLAY, "-i", str(inventory), *extra, *args)
        return result.returncode, result.stdout + result.stderr

    return run


REFUSED = {
    "0": (0, r'webstack_deploy_serial: 0 takes every web host at once \(0 and less mean all\): the allowed range is 1-2 hosts'),
    "-1": (-1, r"webstack_deploy_serial: -1 takes every web host at once"),
    "100%": ("100%", r'webstack_deploy_serial: "100%" takes 3 of the 3 web hosts out of rotation at once'),
    "3 of 3": (3, r"webstack_deploy_serial: 3 takes 3 of the 3 web hosts out of rotation at once: the allowed range is 1-2 hosts or 1%-99%"),
    "10 of 3": ("10", r'webstack_deploy_serial: "10" takes 10 of the 3 web hosts'),
    "a list ending in all": ([1, "100%"], r'webstack_deploy_serial: "100%" takes 3 of the 3'),
    "a word": ("all", r'webstack_deploy_serial: "all" is not a whole number of hosts nor a percentage'),
    "a fraction": ("50.5%", r'webstack_deploy_serial: "50.5%" is not a whole number'),
}


@pytest.mark.parametrize("serial, message", REFUSED.values(), ids=REFUSED.keys())
def test_a_batch_of_every_web_host_is_refused(check, serial, message):
    rc, out = check(serial)
    assert rc != 0, out
    assert re.search(message, " ".join(out.split())), out


@pytest.mark.parametrize("serial", [None, 1, "2", "50%", "99%", "0%", [1, 2, "66%"]],
                         ids=["default", "1", "2", "50%", "99%", "0% (one host)", "a list"])
def test_a_batch_that_leaves_a_host_serving_passes(check, serial):
    rc, out = check(serial)
    assert rc == 0, out


def test_the_batch_is_a_share_of_the_hosts_of_this_run_and_the_rest_keeps_serving(check):
    # --limit to two web hosts: 100% of them is 2, and the third keeps serving.
    rc, out = check("100%", "--limit", "web1,web2")
    assert rc == 0, out


def test_deploy_and_rollback_check_before_any_host_changes():
    with open(os.path.join(ROOT, "playbooks", "preflight.yml"), encoding="utf-8") as handle:
        preflight = yaml.safe_load(handle)
    first = preflight[0]["tasks"][0]["ansible.builtin.include_tasks"]
    assert first["file"] == "tasks/deploy_serial.yml"
    for name in ("deploy.yml", "rollback.yml"):
        with open(os.path.join(ROOT, "playbooks", name), encoding="utf-8") as handle:
            plays = yaml.safe_load(handle)
        assert plays[0]["ansible.builtin.import_playbook"] == "preflight.yml", name
        serials = [play["serial"] for play in plays if "serial" in play]
        assert serials == ["{{ webstack_deploy_serial | default(1) }}"], name
