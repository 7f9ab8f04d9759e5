"""Run ansible-playbook on the controller against localhost, safely (check mode)."""

from __future__ import annotations

import json
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
    # Ansible prints an [ERROR] once a run: a case of a shared run whose message another case
    # printed first shows it only in its result, wrapped and quoted as YAML.
    assert re.search(message, out) or re.search(message, re.sub(r"\s+", " ", out).replace("''", "'")), out
    assert re.search(r"localhost\s*: ok=\d+\s+changed=0 ", out), out
    for task in tasks_not_reached:
        assert f"TASK [{task}" not in out, out


# Many cases, one run: each case is one host of a local inventory, its variables that host's
# variables, and each host fails (or passes) on its own. What a case's test reads is what a run
# of that case alone prints: the play's output cut to that host's tasks, results and errors, the
# host called localhost, and a return code from its line of the recap. An ansible-playbook run
# costs seconds of CPU before its first task; the validation tables hold hundreds of cases.
_HEADER = re.compile(r"^(?:PLAY|TASK|RUNNING HANDLER) \[|^PLAY RECAP ")
_RESULT = re.compile(r"^(?:ok|changed|fatal|failed|skipping|unreachable): \[(?P<host>[^\]\s]+)")
_INCLUDED = re.compile(r"^included: .* for (?P<hosts>[\w, -]+)$")
_RECAP = re.compile(r"^(?P<host>\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)")
_MESSAGE = re.compile(r"^\[(?P<kind>ERROR|WARNING|DEPRECATION WARNING)\]")


def _blocks(out):
    """The output as blocks: (kind, hosts, text); a block runs to the next line that starts one."""
    blocks = []
    for line in out.splitlines(keepends=True):
        if _HEADER.match(line):
            blocks.append(["header", set(), line])
        elif match := _RESULT.match(line):
            blocks.append(["result", {match["host"]}, line])
        elif match := _INCLUDED.match(line.rstrip("\n")):
            blocks.append(["result", {h.strip() for h in match["hosts"].split(",")}, line])
        elif match := _RECAP.match(line):
            blocks.append(["recap", {match["host"]}, line])
        elif match := _MESSAGE.match(line):
            blocks.append(["error" if match["kind"] == "ERROR" else "message", set(), line])
        elif blocks:
            blocks[-1][2] += line
        else:
            blocks.append(["message", set(), line])
    return blocks


def host_views(out, hosts):
    """What `out` shows of each host: host -> (text, return code), or (None, None) for a host
    without a recap line. A task header shows above a result of the host, an error before the
    host's failure; play headers and warnings show for every host; the host is named localhost."""
    blocks = _blocks(out)
    # Each block's hosts, None for every host: a task header's are those of the results below
    # it, an error's those of the result it precedes. One pass over the output for every host.
    owners, header, waiting = [], None, []
    for kind, hosts_of, block in blocks:
        if kind == "header":
            header, waiting = (None, []) if block.startswith(("PLAY [", "PLAY RECAP")) else (set(), [])
            owners.append(header)
        elif kind == "error":
            waiting.append(set())
            owners.append(waiting[-1])
        elif kind == "message":
            owners.append(None)
        else:
            owners.append(hosts_of)
            for owner in ([header] if header is not None else []) + waiting:
                owner |= hosts_of
            waiting = []
    views = {}
    for host in hosts:
        text = [block for (_kind, _hosts, block), owner in zip(blocks, owners) if owner is None or host in owner]
        recap = next((_RECAP.match(block) for (kind, hosts_of, block) in blocks if kind == "recap" and host in hosts_of),
                     None)
        if recap is None:
            views[host] = (None, None)
            continue
        views[host] = (re.sub(rf"\b{re.escape(host)}\b", "localhost", "".join(text)),
                       2 if int(recap["failed"]) or int(recap["unreachable"]) else 0)
    return views


def variables_of(table, common=None):
    """A validation table (case id -> (variables, the message it must fail with)) as run_cases
    takes it: case id -> the variables of that case's host, over `common`."""
    return {case: {**(common or {}), **variables} for case, (variables, _message) in table.items()}


@pytest.fixture(scope="module")
def run_cases(tmp_path_factory):
    """Run a play once over one host per case (case id -> that host's variables, as -e would
    give them; a play for localhost runs on every host); return case id -> a result as run_play
    returns it, for that case alone."""

    def run(play: str, cases: dict, *args: str, check: bool = True, env: dict | None = None):
        tmp_path = tmp_path_factory.mktemp("cases")
        names = {case: f"case{index:03d}" for index, case in enumerate(cases)}
        path = tmp_path / "play.yml"
        path.write_text(re.sub(r"^  hosts: localhost$", "  hosts: all", textwrap.dedent(play), flags=re.M))
        inventory = {"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                             "hosts": {names[case]: variables for case, variables in cases.items()}}}
        (tmp_path / "hosts.json").write_text(json.dumps(inventory))
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", str(tmp_path / "hosts.json"), str(path), *args]
        if check:
            cmd.append("--check")
        whole = subprocess.run(cmd, cwd=ROOT, env=ansible_env(ANSIBLE_FORKS="8", **(env or {})), capture_output=True,
                               text=True, timeout=900, check=False)
        views = host_views(whole.stdout, names.values())
        results = {}
        for case, name in names.items():
            view, returncode = views[name]
            if view is None:  # the run never reached the host's recap: show all of it
                view, returncode = whole.stdout, whole.returncode or 1
            results[case] = subprocess.CompletedProcess(cmd, returncode, view, whole.stderr)
        return results

    return run
