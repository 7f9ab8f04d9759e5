"""Provisioning timings: cold converge, idempotent runs, a new-release deploy, per role.

Run by `scripts/bench.sh provision` on a fresh container; writes provision.json and
provision.csv in the output directory and prints a summary.
"""

from __future__ import annotations

import csv
import os
import re
import sys

from common import ROOT, arguments, environment, playbook, write_json

PROFILERS = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_roles,ansible.posix.profile_tasks",
             "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "12"}
# What Ansible does without the project's ansible.cfg speed settings.
ANSIBLE_DEFAULTS = {"ANSIBLE_PIPELINING": "False", "ANSIBLE_CACHE_PLUGIN": "memory",
                    "ANSIBLE_GATHERING": "implicit"}
RECAP = re.compile(r"^\S+\s*: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
TIMED = re.compile(r"^(.+?) -+\s+(\d+\.\d+)s$")


def recap(output):
    match = RECAP.search(output)
    if not match:
        return None
    ok, changed, unreachable, failed = (int(g) for g in match.groups())
    return {"ok": ok, "changed": changed, "unreachable": unreachable, "failed": failed}


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


def run(args, label, name, *extra, env=None):
    seconds, rc, output = playbook(args, name, *extra, env=dict(PROFILERS, **(env or {})))
    with open(os.path.join(args.out, f"provision-{label}.log"), "w", encoding="utf-8") as log:
        log.write(output)
    if rc != 0:
        sys.exit(f"{label}: ansible-playbook {name} failed (rc={rc}); see provision-{label}.log")
    step = {"step": label, "playbook": name, "seconds": round(seconds, 1), "recap": recap(output),
            "roles": section(output, "ROLES RECAP"), "slowest_tasks": section(output, "TASKS RECAP")}
    print(f"{label:<28} {seconds:7.1f} s  changed={step['recap']['changed']}", flush=True)
    return step


def main():
    args = arguments(__doc__)
    archive = os.path.join(ROOT, "dist", "demo_project-bench2.tar.gz")
    steps = [
        run(args, "cold-converge", "site.yml"),
        run(args, "second-run", "site.yml"),
        run(args, "second-run-ansible-defaults", "site.yml", env=ANSIBLE_DEFAULTS),
        run(args, "deploy-new-release", "deploy.yml", "-e", f"django_app_release_archive={archive}"),
    ]
    report = {"environment": environment(args.container), "steps": steps,
              "settings": {"project": "ansible.cfg: pipelining, jsonfile fact cache, gathering smart, "
                                      "hardware facts gathered only where a plan needs them",
                           "ansible_defaults": ANSIBLE_DEFAULTS}}
    write_json(os.path.join(args.out, "provision.json"), report)
    with open(os.path.join(args.out, "provision.csv"), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["step", "seconds", "changed"])
        for step in steps:
            writer.writerow([step["step"], step["seconds"], step["recap"]["changed"]])
    print("\nTime per role, cold converge:")
    for row in steps[0]["roles"][:10]:
        print(f"  {row['name']:<40} {row['seconds']:7.1f} s")


if __name__ == "__main__":
    main()
