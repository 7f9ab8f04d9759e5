"""Provisioning timings: cold converge, idempotent runs, a new-release deploy, per role; the same
no-change run and deploy with converge stamps (webstack_converge_max_age).

Run by `scripts/bench.sh provision` on a fresh container, once over the docker connection and
once over SSH (--transport ssh: the container's own sshd, with the project's ansible.cfg as
production runs it); writes provision.json and provision.csv (provision-ssh.json and
provision-ssh.csv over SSH) in the output directory and prints a summary.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys

from common import ROOT, ansible_settings, arguments, docker_exec, environment, profiled, write_json

# What Ansible does without the project's ansible.cfg speed settings.
ANSIBLE_DEFAULTS = {"ANSIBLE_PIPELINING": "False", "ANSIBLE_CACHE_PLUGIN": "memory",
                    "ANSIBLE_GATHERING": "implicit"}
# Converge stamps held for a day: a role whose inputs and observed state are unchanged is skipped.
STAMPS = ("-e", "webstack_converge_max_age=86400")
TRANSPORT = ("--transport", {"choices": ("docker", "ssh"), "default": "docker",
                             "help": "how the inventory reaches the container"})
# Mitogen takes over a connection only under its short name (docker, ssh), not the FQCN the
# inventories use; its persistent interpreter names itself "mitogen:<context>" in argv.
MITOGEN_CONNECTIONS = {"community.docker.docker": "docker", "ansible.builtin.ssh": "ssh"}
MITOGEN_PROOF = "ps -o args= -p $PPID"


def mitogen():
    """The environment of a run under mitogen_linear, or None when Mitogen is not installed."""
    try:
        import ansible_mitogen  # noqa: F401 pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    plugins = os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy")
    # ansible-core deprecates every strategy plugin outside ansible.builtin and says so on each
    # run (with no replacement planned); Mitogen is measured here, not adopted, so the benchmark's
    # Mitogen runs leave that one notice out (ANSIBLE_DEPRECATION_WARNINGS, these runs only).
    return {"ANSIBLE_STRATEGY_PLUGINS": plugins, "ANSIBLE_STRATEGY": "mitogen_linear",
            "ANSIBLE_DEPRECATION_WARNINGS": "False"}


def mitogen_inventory(source, dest):
    """A copy of the inventory directory whose hosts name their connection by its short name.

    Not an extra var: that would also rename the connection of tasks delegated to localhost."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest, symlinks=True)
    for folder, _dirs, files in os.walk(dest):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not name.endswith((".yml", ".yaml")):
                continue
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            for long_name, short in MITOGEN_CONNECTIONS.items():
                text = text.replace(f"ansible_connection: {long_name}", f"ansible_connection: {short}")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
    return dest


def mitogen_in_use(args, env):
    """The argv of the process that ran a shell task under Mitogen: proof that it was in use."""
    command = ["ansible", "all", "-i", args.inventory, "-e", f"@{args.secrets}",
               "-m", "ansible.builtin.shell", "-a", MITOGEN_PROOF]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT,
                            env=dict(os.environ, **env), timeout=300)
    return {"command": MITOGEN_PROOF, "rc": result.returncode, "output": result.stdout.strip()[-400:],
            "in_use": result.returncode == 0 and "mitogen:" in result.stdout}


def run(args, prefix, label, name, *extra, env=None, optional=False):
    """One timed playbook run; a failure ends the benchmark, or, when optional, is recorded."""
    step = profiled(args, label, name, *extra, env=env, log=f"{prefix}-{label}.log")
    if step["rc"] != 0:
        message = f"{label}: ansible-playbook {name} failed (rc={step['rc']}); see {prefix}-{label}.log"
        if not optional or not step["recap"]:
            sys.exit(message)
        print(message, flush=True)
    print(f"{label:<28} {step['seconds']:7.1f} s  changed={step['recap']['changed']:<3} "
          f"tasks={step['tasks']:<4} skipped={step['skipped']:<4} "
          f"{step['seconds_per_task']:.2f} s/task", flush=True)
    return step


def main():
    args = arguments(__doc__, TRANSPORT)
    ssh = args.transport == "ssh"
    prefix = "provision-ssh" if ssh else "provision"
    archive = os.path.join(ROOT, "dist", "demo_project-bench2.tar.gz")
    archive3 = os.path.join(ROOT, "dist", "demo_project-bench3.tar.gz")
    steps = [
        run(args, prefix, "cold-converge", "site.yml"),
        run(args, prefix, "second-run", "site.yml"),
        run(args, prefix, "second-run-ansible-defaults", "site.yml", env=ANSIBLE_DEFAULTS),
        # The first run with stamps converges in full and records them; the next one uses them.
        run(args, prefix, "stamps-recorded", "site.yml", *STAMPS),
        run(args, prefix, "second-run-stamps", "site.yml", *STAMPS),
    ]
    # The same no-change runs under Mitogen (before the deploys: site.yml deploys the inventory's release).
    env = mitogen()
    proof = None
    if not env:
        print("mitogen is not installed (requirements/bench.txt): no runs under Mitogen", flush=True)
    else:
        under = argparse.Namespace(**dict(vars(args), inventory=mitogen_inventory(
            args.inventory, args.inventory.rstrip("/") + "-mitogen")))
        proof = mitogen_in_use(under, env)
        print(f"mitogen in use: {proof['in_use']} ({proof['output'][-120:]})", flush=True)
        steps += [run(under, prefix, "second-run-mitogen", "site.yml", env=env, optional=True),
                  run(under, prefix, "second-run-stamps-mitogen", "site.yml", *STAMPS, env=env, optional=True)]
    steps += [
        run(args, prefix, "deploy-new-release", "deploy.yml", "-e", f"django_app_release_archive={archive}"),
        run(args, prefix, "deploy-new-release-stamps", "deploy.yml", *STAMPS,
            "-e", f"django_app_release_archive={archive3}"),
    ]
    settings = {"project": "ansible.cfg: pipelining, jsonfile fact cache, gathering smart, "
                           "hardware facts gathered only where a plan needs them",
                "ansible_config": ansible_settings(), "ansible_defaults": ANSIBLE_DEFAULTS,
                "mitogen": proof}
    if ssh:
        settings["sshd"] = docker_exec(args.container, "dpkg-query -W -f '${Package} ${Version}' "
                                                       "openssh-server")
    report = {"environment": environment(args.container), "transport": args.transport,
              "steps": steps, "settings": settings}
    write_json(os.path.join(args.out, f"{prefix}.json"), report)
    with open(os.path.join(args.out, f"{prefix}.csv"), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["step", "seconds", "changed", "tasks", "skipped", "seconds_per_task"])
        for step in steps:
            writer.writerow([step["step"], step["seconds"], step["recap"]["changed"], step["tasks"],
                             step["skipped"], step["seconds_per_task"]])
    print(f"\nTime per role, cold converge ({args.transport}):")
    for row in steps[0]["roles"][:10]:
        print(f"  {row['name']:<40} {row['seconds']:7.1f} s")


if __name__ == "__main__":
    main()
