"""Run ansible-playbook on the controller against localhost, safely (check mode)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def ansible_env(**extra):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".collections"),
        "ANSIBLE_ROLES_PATH": os.path.join(ROOT, "roles"),
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml",
        # localhost runs modules with this Python (discovery could pick a broken shim).
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    env.update(extra)
    return env


@pytest.fixture
def run_play(tmp_path):
    """Write a playbook and run it against localhost in check mode; return the result."""

    def run(play: str, *args: str, check: bool = True, env: dict | None = None):
        path = tmp_path / "play.yml"
        path.write_text(textwrap.dedent(play))
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path), *args]
        if check:
            cmd.append("--check")
        return subprocess.run(cmd, cwd=ROOT, env=ansible_env(**(env or {})), capture_output=True,
                              text=True, timeout=300, check=False)

    return run


def assert_failed_before_any_change(result, message, *tasks_not_reached):
    """The play failed, said `message` (a regex), changed nothing and never reached the tasks
    named in `tasks_not_reached` (the first ones that would touch the host)."""
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert re.search(message, out), out
    assert re.search(r"localhost\s*: ok=\d+\s+changed=0 ", out), out
    for task in tasks_not_reached:
        assert f"TASK [{task}" not in out, out
