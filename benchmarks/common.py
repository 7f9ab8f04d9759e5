"""Helpers shared by the benchmark scripts (run from scripts/bench.sh)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.webstack.django.plugins.filter.worker_counts import (  # noqa: E402
    worker_counts,
)

__all__ = ["ROOT", "ansible_settings", "arguments", "docker_exec", "environment", "load", "playbook",
           "profiled", "worker_counts", "write_json"]

# The callbacks that time each role and task; their recaps follow the play recap.
PROFILERS = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_roles,ansible.posix.profile_tasks",
             "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "12"}
COUNTERS = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
RECAP = re.compile(r"^(\S+)\s*: (ok=\d+.*)$", re.M)
TIMED = re.compile(r"^(.+?) -+\s+(\d+\.\d+)s$")


def arguments(description, *options):
    """The common command line; each of `options` is (flag, add_argument keywords)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--container", required=True)
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", choices=("full", "quick"), default="full")
    for flag, keywords in options:
        parser.add_argument(flag, **keywords)
    return parser.parse_args()


def docker_exec(container, command, check=True, timeout=120):
    """Run a shell command in the container; return its stdout."""
    result = subprocess.run(["docker", "exec", container, "sh", "-c", command],
                            capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{command!r} failed in {container}: {result.stderr.strip()}")
    return result.stdout


def playbook(args, name, *extra, env=None, timeout=1800):
    """Run a playbook on the bench inventory; return (seconds, returncode, output).

    A run still going after `timeout` seconds is stopped with its whole process group (return
    code -9), so that a benchmark stays bounded in time.
    """
    cmd = ["ansible-playbook", "-i", args.inventory, os.path.join(ROOT, "playbooks", name),
           "-e", f"@{args.secrets}", *extra]
    started = time.monotonic()
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                          start_new_session=True,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", COLUMNS="160", **(env or {}))) as process:
        try:
            output, _ignored = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ignored = process.communicate()
            output += f"\nstopped after {timeout} s\n"
    return time.monotonic() - started, process.returncode, output


def recap(output):
    """The play recap: the counters summed over the hosts, and each host's."""
    hosts = {}
    for match in RECAP.finditer(output):
        counts = {name: int(value) for name, value in re.findall(r"(\w+)=(\d+)", match.group(2))}
        hosts[match.group(1)] = {name: counts.get(name, 0) for name in COUNTERS}
    if not hosts:
        return None, {}
    return {name: sum(counts[name] for counts in hosts.values()) for name in COUNTERS}, hosts


def section(output, banner):
    """The 'name ---- 1.23s' lines that follow a recap banner of the profilers."""
    lines = output.splitlines()
    rows = []
    for index, line in enumerate(lines):
        if line.startswith(banner):
            for following in lines[index + 1:]:
                match = TIMED.match(following.strip())
                if match and match.group(1).strip() != "total":
                    rows.append({"name": match.group(1).strip(), "seconds": float(match.group(2))})
                elif following.startswith(("PLAY RECAP", "ROLES RECAP", "TASKS RECAP")):
                    break
    return rows


def profiled(args, label, name, *extra, env=None, log=None):
    """Run a playbook with the profilers; its output goes to the log file `log` in --out.

    Returns the step: wall time, the recap (summed over the hosts, and per host), the tasks
    run (ok, which counts the changed ones, plus failed) and skipped, the wall time per task
    run, the time per role and the slowest tasks, and the return code.
    """
    seconds, rc, output = playbook(args, name, *extra, env=dict(PROFILERS, **(env or {})))
    with open(os.path.join(args.out, log or f"{label}.log"), "w", encoding="utf-8") as handle:
        handle.write(output)
    total, hosts = recap(output)
    tasks = total["ok"] + total["failed"] if total else 0
    return {"step": label, "playbook": name, "rc": rc, "seconds": round(seconds, 1),
            "recap": total, "hosts": hosts, "tasks": tasks,
            "skipped": total["skipped"] if total else 0,
            "seconds_per_task": round(seconds / tasks, 3) if tasks else None,
            "roles": section(output, "ROLES RECAP"), "slowest_tasks": section(output, "TASKS RECAP")}


def ansible_settings(env=None):
    """The Ansible settings that differ from Ansible's defaults, as the runs see them."""
    result = subprocess.run(["ansible-config", "dump", "--only-changed"], capture_output=True,
                            text=True, check=False, cwd=ROOT,
                            env=dict(os.environ, ANSIBLE_NOCOLOR="1", **(env or {})))
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def environment(container):
    """What the numbers were measured on."""
    vcpus = int(docker_exec(container, "nproc").strip())
    mem_kb = int(docker_exec(container, "awk '/MemTotal/ {print $2}' /proc/meminfo").strip())
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "vcpus": vcpus,
        "memory_mb": mem_kb // 1024,
        "cpu": cpu,
        "kernel": platform.release(),
        # scripts/lib.sh exports both; the OS is read from the container itself.
        "platform": os.environ.get("WEBSTACK_PLATFORM", ""),
        "image": os.environ.get("WEBSTACK_IMAGE", ""),
        "os": docker_exec(container, ". /etc/os-release && echo \"$PRETTY_NAME\"").strip(),
    }


def load(out, name):
    """The JSON report `name` in directory `out`, or None when that benchmark has not run."""
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
