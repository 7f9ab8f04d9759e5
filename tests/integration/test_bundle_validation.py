"""Bad input to the bundle role fails before any task touches a host, naming the variable;
without a bundle the offline play does nothing."""

import json
import os
import re
import subprocess

import pytest

from conftest import BIN, ROOT, ansible_env, assert_failed_before_any_change, variables_of

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the bundle role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.bundle
"""

BUILD_PLAY = """
- name: Build a bundle with bad input
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Build the bundle
      ansible.builtin.include_role:
        name: webstack.django.bundle
        tasks_from: build
"""

GOOD_FILE = os.path.join(ROOT, "galaxy.yml")
A_PUBLIC_KEY = os.path.join(ROOT, "molecule", "airgap", "tests", "other-key.pub.asc")

CASES = {
    "bundle missing on the controller": ({"bundle_archive": "/nonexistent/webstack-bundle.tar.gz"},
                                         r'bundle_archive: "/nonexistent/webstack-bundle.tar.gz" is not a file on the controller'),
    "another tarball than expected": ({"bundle_archive": GOOD_FILE, "bundle_archive_sha256": "0" * 64},
                                      r"but bundle_archive_sha256 expects 0{64} \(not the bundle that was built\)"),
    "relative bundle directory": ({"bundle_archive": GOOD_FILE, "bundle_dir": "bundle"},
                                  r'bundle_dir: "bundle" must be an absolute path'),
    "apt_exclusive not a bool": ({"bundle_archive": GOOD_FILE, "bundle_apt_exclusive": "maybe"},
                                 r"bundle_apt_exclusive"),
    "no public key": ({"bundle_archive": GOOD_FILE},
                      r"bundle_public_key is empty: give the public key the bundle was signed with"),
    "public key not found": ({"bundle_archive": GOOD_FILE, "bundle_public_key": "/nonexistent/key.asc"},
                             r'bundle_public_key: "/nonexistent/key.asc" is neither an armored public key nor a file'),
    "unsigned bundle": ({"bundle_archive": GOOD_FILE, "bundle_public_key": A_PUBLIC_KEY},
                        r"is not trusted, nothing on this host was changed: the bundle is not signed"),
}

BUILD_CASES = {
    "nothing given": ({}, r"bundle_output_dir: \"\" must be an absolute path on the controller.*"
                          r"bundle_release_archive: \"\" is not a file on the controller"),
    "bad name": ({"bundle_output_dir": "/tmp/out", "bundle_release_archive": GOOD_FILE,
                  "bundle_collection_archive": GOOD_FILE, "bundle_name": "a b"},
                 r'bundle_name: "a b" may hold only letters'),
    "signing key not found": ({"bundle_output_dir": "/tmp/out", "bundle_release_archive": GOOD_FILE,
                               "bundle_collection_archive": GOOD_FILE, "bundle_signing_key": "/nonexistent/key.asc"},
                              r'bundle_signing_key: "/nonexistent/key.asc" is not a file on the controller'),
}

NOT_REACHED = ("webstack.django.bundle : Create", "webstack.django.bundle : Copy",
               "webstack.django.bundle : Record", "webstack.django.bundle : Download")


@pytest.fixture(scope="module")
def outcomes(run_cases):
    # The role reads the bundle and its key once a run (run_once): the cases that name the same
    # ones share a run.
    cases = variables_of(CASES)
    results = {}
    for files in {(v["bundle_archive"], v.get("bundle_public_key")) for v in cases.values()}:
        results.update(run_cases(PLAY, {case: v for case, v in cases.items()
                                        if (v["bundle_archive"], v.get("bundle_public_key")) == files}))
    return results


@pytest.fixture(scope="module")
def second_outcomes(run_cases):
    return run_cases(BUILD_PLAY, variables_of(BUILD_CASES))


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_change(outcomes, case):
    assert_failed_before_any_change(outcomes[case], CASES[case][1], *NOT_REACHED)


@pytest.mark.parametrize("case", BUILD_CASES)
def test_bad_build_input_fails_before_any_change(second_outcomes, case):
    assert_failed_before_any_change(second_outcomes[case], BUILD_CASES[case][1], *NOT_REACHED)


def test_missing_collection_fails_before_any_change(run_play):
    # A check run accepts a collection the playbook has yet to build; a real run does not.
    extra = {"bundle_output_dir": "/tmp/out", "bundle_release_archive": GOOD_FILE,
             "bundle_collection_archive": "/nonexistent/webstack-django-0.1.0.tar.gz"}
    result = run_play(BUILD_PLAY, "-e", json.dumps(extra), check=False)
    assert_failed_before_any_change(
        result, r'bundle_collection_archive: "/nonexistent/webstack-django-0.1.0.tar.gz" is not a file on the controller',
        *NOT_REACHED)


def test_role_without_a_bundle_does_nothing(run_play):
    result = run_play(PLAY)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"localhost\s*: ok=\d+\s+changed=0 ", out), out
    assert "TASK [webstack.django.bundle : Find the bundle" not in out


def test_offline_play_without_a_bundle_does_nothing():
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "--check",
                             "-e", "webstack_broker_hosts=localhost", "-e", "webstack_web_hosts=localhost",
                             "-e", "webstack_worker_hosts=localhost", "playbooks/offline.yml"],
                            cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"localhost\s*: ok=0\s+changed=0 .*skipped=2", out), out


def test_every_group_of_the_stack_gets_the_bundle(tmp_path):
    """A host in one group only, each group of the stack: every one is a host of the offline play
    (an air-gapped PostgreSQL host installs its packages from the bundle too)."""
    groups = ("lb", "broker", "web", "worker", "db")
    (tmp_path / "hosts.yml").write_text(json.dumps({"all": {"children": {
        group: {"hosts": {f"only-{group}": None}} for group in groups + ("other",)}}}))
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"), "--list-hosts",
                             "playbooks/offline.yml"],
                            cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    listed = set(re.findall(r"^\s+(only-\w+)$", out, re.M))
    assert listed == {f"only-{group}" for group in groups}, out
