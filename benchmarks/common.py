"""Helpers shared by the benchmark scripts (run from scripts/bench.sh)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.webstack.django.plugins.filter.worker_counts import (  # noqa: E402
    worker_counts,
)

__all__ = ["ROOT", "arguments", "docker_exec", "environment", "playbook", "worker_counts",
           "write_json"]


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--container", required=True)
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--secrets", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", choices=("full", "quick"), default="full")
    return parser.parse_args()


def docker_exec(container, command, check=True, timeout=120):
    """Run a shell command in the container; return its stdout."""
    result = subprocess.run(["docker", "exec", container, "sh", "-c", command],
                            capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{command!r} failed in {container}: {result.stderr.strip()}")
    return result.stdout


def playbook(args, name, *extra, env=None):
    """Run a playbook on the bench inventory; return (seconds, returncode, output)."""
    cmd = ["ansible-playbook", "-i", args.inventory, os.path.join(ROOT, "playbooks", name),
           "-e", f"@{args.secrets}", *extra]
    started = time.monotonic()
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT,
                            env=dict(os.environ, ANSIBLE_NOCOLOR="1", COLUMNS="160", **(env or {})))
    return time.monotonic() - started, result.returncode, result.stdout + result.stderr


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


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
