"""Check that a host runs the worker plan that playbooks/plan.yml prints for it.

    python scripts/plan_check.py --inventory inventories/demo --host webstack-demo \
        --container webstack-demo [-e @secrets.yml] [--app demo]

Runs plan.yml (its whole plan per host, at -v, through the json callback), reads what the roles
deployed in the container (the uWSGI ini, the nginx configuration, the Celery unit, RabbitMQ's
configuration) and compares them setting by setting. Prints one line and exits 0 when they are
equal, else names each difference and exits 1. Used by `make demo` (scripts/demo.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def printed_plan(inventory, host, extra=()):
    """The host's plan as plan.yml prints it."""
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")
    result = subprocess.run(["ansible-playbook", "-i", inventory, os.path.join(ROOT, "playbooks", "plan.yml"),
                             "-v", "-e", f"webstack_plan_hosts={host}", *extra],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise SystemExit(f"plan.yml failed (rc {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
    report, _end = json.JSONDecoder().raw_decode(result.stdout[result.stdout.index("{"):])
    tasks = [task for play in report["plays"] for task in play["tasks"]]
    whole = next(t for t in tasks if t["task"]["name"] == "Print this host's whole plan")
    return whole["hosts"][host]["webstack_plan"]


def ini_values(text):
    """`key = value` lines of an ini file (the last one of a repeated key)."""
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^([\w-]+) = (.*)$", text, re.M)}


def deployed_settings(read, app):
    """What the roles rendered, from `read(path)` (the file's text, or None when it is absent)."""
    found = {}
    ini = read(f"/etc/uwsgi/{app}.ini")
    if ini is not None:
        values = ini_values(ini)
        for key, name in (("processes", "processes"), ("threads", "threads"), ("harakiri", "harakiri"),
                          ("listen", "listen"), ("reload_on_rss", "reload-on-rss")):
            found[f"uwsgi.{key}"] = int(values[name])
    nginx = read("/etc/nginx/nginx.conf")
    if nginx is not None:
        found["nginx.worker_processes"] = int(re.search(r"^worker_processes (\d+);", nginx, re.M).group(1))
    site = read(f"/etc/nginx/sites-available/{app}.conf")
    timeout = re.search(r"uwsgi_read_timeout (\d+)s;", site or "")
    if timeout:
        found["nginx.uwsgi_read_timeout"] = int(timeout.group(1))
    unit = read(f"/etc/systemd/system/celery-{app}-worker.service")
    if unit is not None:
        found["celery.concurrency"] = int(re.search(r"--concurrency (\d+)", unit).group(1))
        memory = re.search(r"--max-memory-per-child (\d+)", unit)
        found["celery.max_memory_per_child"] = int(memory.group(1)) if memory else None
    rabbitmq = read("/etc/rabbitmq/rabbitmq.conf")
    if rabbitmq is not None:
        watermark = re.search(r"^vm_memory_high_watermark\.absolute = (\d+)MiB", rabbitmq, re.M)
        found["rabbitmq.vm_memory_high_watermark_mb"] = int(watermark.group(1)) if watermark else None
    return found


def differences(plan, deployed):
    """[(setting, planned, deployed)] for each deployed setting the plan decides otherwise."""
    result = []
    for setting, value in sorted(deployed.items()):
        section, key = setting.split(".", 1)
        if section in ("uwsgi", "celery") and not plan[section]["enabled"]:
            result.append((setting, "not planned (the host runs no " + section + ")", value))
            continue
        planned = plan[section].get(key)
        if planned != value:
            result.append((setting, planned, value))
    for section in ("uwsgi", "celery"):
        if plan[section]["enabled"] and f"{section}.{'processes' if section == 'uwsgi' else 'concurrency'}" not in deployed:
            result.append((section, "planned", "not deployed"))
    return result


def summary(plan, deployed):
    parts = []
    if "uwsgi.processes" in deployed:
        parts.append(f"uWSGI {deployed['uwsgi.processes']} x {deployed['uwsgi.threads']} "
                     f"(harakiri {deployed['uwsgi.harakiri']} s, reload-on-rss {deployed['uwsgi.reload_on_rss']} MB)")
    if "nginx.worker_processes" in deployed:
        parts.append(f"nginx {deployed['nginx.worker_processes']} workers"
                     + (f", read timeout {deployed['nginx.uwsgi_read_timeout']} s"
                        if "nginx.uwsgi_read_timeout" in deployed else ""))
    if "celery.concurrency" in deployed:
        parts.append(f"Celery {deployed['celery.concurrency']}")
    if deployed.get("rabbitmq.vm_memory_high_watermark_mb"):
        parts.append(f"RabbitMQ watermark {deployed['rabbitmq.vm_memory_high_watermark_mb']} MiB")
    return "; ".join(parts) + f" (W/C {plan['budget']['wait_ratio']}, {plan['budget']['profile']})"


def docker_reader(container):
    def read(path):
        result = subprocess.run(["docker", "exec", container, "cat", path], capture_output=True, text=True,
                                timeout=60, check=False)
        return result.stdout if result.returncode == 0 else None
    return read


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--container", required=True)
    parser.add_argument("--app", default="demo")
    parser.add_argument("-e", dest="extra", action="append", default=[], help="extra vars for plan.yml")
    args = parser.parse_args(argv)
    plan = printed_plan(args.inventory, args.host, [item for value in args.extra for item in ("-e", value)])
    deployed = deployed_settings(docker_reader(args.container), args.app)
    wrong = differences(plan, deployed)
    if wrong:
        for setting, planned, value in wrong:
            print(f"{setting}: plan.yml prints {planned}, the host runs {value}")
        return 1
    print(f"as plan.yml prints: {summary(plan, deployed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
