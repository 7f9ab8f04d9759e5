"""Run webstack.django.django_release through ansible ad-hoc against a tmp app root."""

import json
import os
import subprocess

import pytest

from conftest import BIN, ROOT, ansible_env

pytestmark = pytest.mark.integration


def adhoc(args, *extra):
    """Run the module on localhost with the json callback; return (returncode, result)."""
    cmd = [os.path.join(BIN, "ansible"), "localhost", "-i", "localhost,", "-c", "local",
           "-m", "webstack.django.django_release", "-a", json.dumps(args), *extra]
    env = ansible_env(ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    out = json.loads(proc.stdout)
    (play,) = out["plays"]
    (task,) = play["tasks"]
    return proc.returncode, task["hosts"]["localhost"]


@pytest.fixture
def app_root(tmp_path):
    for release in ("r1", "r2"):
        (tmp_path / "releases" / release).mkdir(parents=True)
    return tmp_path


def test_deploy_then_check_diff_switch(app_root):
    rc, result = adhoc({"root": str(app_root), "release": "r1", "state": "current"})
    assert rc == 0, result
    assert result["changed"] is True and result["current"] == "r1"
    assert os.readlink(str(app_root / "current")) == "releases/r1"
    history = json.loads((app_root / "releases.json").read_text())
    assert [(e["id"], e["state"], e["previous"]) for e in history] == [("r1", "deployed", None)]

    rc, again = adhoc({"root": str(app_root), "release": "r1", "state": "current"})
    assert rc == 0 and again["changed"] is False

    rc, result = adhoc({"root": str(app_root), "release": "r2", "state": "current"},
                       "--check", "--diff")
    assert rc == 0, result
    assert result["changed"] is True
    assert (result["current"], result["previous"]) == ("r2", "r1")
    assert result["diff"] == {"before": "current -> r1\n", "after": "current -> r2\n"}
    assert os.readlink(str(app_root / "current")) == "releases/r1"
    assert json.loads((app_root / "releases.json").read_text()) == history


def test_missing_release_fails_with_message(app_root):
    rc, result = adhoc({"root": str(app_root), "release": "r9", "state": "current"})
    assert rc != 0
    assert result["failed"] is True and "release r9 does not exist" in result["msg"]


def test_module_documentation_renders():
    proc = subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", "module",
                           "webstack.django.django_release"], cwd=ROOT, env=ansible_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    for word in ("root", "release", "keep", "rollback_target", "EXAMPLES", "RETURN VALUES"):
        assert word in proc.stdout, word
