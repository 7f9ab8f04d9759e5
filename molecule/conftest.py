"""Helpers shared by the testinfra suites of every molecule scenario."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest

# Import the collection's plugins the same way Ansible does, from the checkout.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.webstack.django.plugins.filter.worker_counts import (  # noqa: E402
    worker_counts,
)


# Every test runs (WEBSTACK_TEST_DEPTH=full, the default: molecule test, make test-platforms) but
# in make test, which sets WEBSTACK_TEST_DEPTH=commit to fit its hour and leaves out the slowest
# negative and variant tests, marked `full` (docs/testing.md, "What each run covers").
DEPTH = os.environ.get("WEBSTACK_TEST_DEPTH", "full")


def pytest_collection_modifyitems(config, items):
    if DEPTH != "commit":
        return
    skip = pytest.mark.skip(reason="slow: left out of make test (WEBSTACK_TEST_DEPTH=commit), run by make test-platforms")
    for item in items:
        if item.get_closest_marker("full"):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def facts(host):
    """The hardware facts Ansible sees on the instance."""
    return host.ansible("setup", "gather_subset=!all,min,hardware")["ansible_facts"]


@pytest.fixture(scope="module")
def plan(facts):
    """The worker plan the roles compute for this instance with default inputs."""
    return worker_counts(facts)


def curl(host, url, *args):
    """Fetch a URL from inside the instance; return (status, headers, body).

    Extra curl arguments are passed as separate words, e.g. ("-H", "Host: app.test").
    """
    words = ["curl", "-sS", "-k", "--max-time", "20", "-o", "/tmp/curl.body",
             "-D", "/tmp/curl.head", "-w", "%{http_code}", *args, url]
    cmd = host.run(" ".join(shlex.quote(w) for w in words) + " && cat /tmp/curl.body")
    assert cmd.rc == 0, cmd.stderr
    status = int(cmd.stdout[:3])
    headers = host.file("/tmp/curl.head").content_string
    return status, headers, cmd.stdout[3:]


def playbook(path, *args, timeout=900, cwd=None, **env):
    """Run ansible-playbook on the scenario's inventory; return (returncode, output).

    Keyword arguments other than timeout and cwd are added to the environment,
    e.g. ANSIBLE_FORKS="8".
    """
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **env)
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], path, *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                            env=env, cwd=cwd)
    return result.returncode, result.stdout + result.stderr


def header(headers, name):
    """The value of a response header (last one wins), or None."""
    value = None
    for line in headers.splitlines():
        key, _ignored, rest = line.partition(":")
        if key.strip().lower() == name.lower():
            value = rest.strip()
    return value


def dump(data):
    return json.dumps(data, indent=2, sort_keys=True)
