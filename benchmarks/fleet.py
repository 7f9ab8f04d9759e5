"""Fleet scale: site.yml cold and with no change, and deploy.yml, over N web hosts.

Run by `scripts/bench.sh fleet` once per fleet size, on fresh containers: one core host (the
lb, db, broker and worker groups) and --web-hosts web-only hosts on one docker network, with
the forks of ansible.cfg and deploy.yml's serial (webstack_deploy_serial, default 1 host).
Adds this size to fleet.json in the output directory (a size measured again replaces its
entry), with the least-squares increment per web host of each step over the sizes measured,
and rewrites fleet.csv from it.
"""

from __future__ import annotations

import csv
import json
import os
import statistics

from common import ROOT, ansible_settings, arguments, environment, profiled, write_json

WEB_HOSTS = ("--web-hosts", {"type": int, "required": True, "help": "web hosts in the inventory"})
STEPS = ("cold-converge", "no-change", "deploy-new-release")


def fit(points):
    """Least-squares line through (x, y) points: (intercept, slope); None for fewer than 2 x."""
    if len({x for x, _y in points}) < 2:
        return None
    line = statistics.linear_regression([x for x, _y in points], [y for _x, y in points])
    return line.intercept, line.slope


def increments(sizes):
    """Per step: the fitted intercept and seconds per web host over the sizes that passed."""
    result = {}
    for label in STEPS:
        points = [(size["web_hosts"], step["seconds"]) for size in sizes for step in size["steps"]
                  if step["step"] == label and step["rc"] == 0]
        line = fit(points)
        if line:
            result[label] = {"intercept_s": round(line[0], 1), "per_web_host_s": round(line[1], 2),
                             "sizes": sorted(x for x, _y in points)}
    return result


def main():
    args = arguments(__doc__, WEB_HOSTS)
    archive = os.path.join(ROOT, "dist", "demo_project-bench2.tar.gz")
    runs = (("cold-converge", "site.yml", ()),
            ("no-change", "site.yml", ()),
            ("deploy-new-release", "deploy.yml", ("-e", f"django_app_release_archive={archive}")))
    steps = []
    for label, name, extra in runs:
        step = profiled(args, label, name, *extra, log=f"fleet-{args.web_hosts}-{label}.log")
        steps.append(step)
        print(f"{args.web_hosts} web hosts  {label:<20} {step['seconds']:7.1f} s  rc={step['rc']}  "
              f"changed={(step['recap'] or {}).get('changed')}  tasks={step['tasks']}  "
              f"skipped={step['skipped']}", flush=True)
        if step["rc"] != 0:
            print(f"  failed: see fleet-{args.web_hosts}-{label}.log; the next steps are not run")
            break
    path = os.path.join(args.out, "fleet.json")
    report = {"sizes": []}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    sizes = [size for size in report["sizes"] if size["web_hosts"] != args.web_hosts]
    sizes.append({"web_hosts": args.web_hosts, "hosts": args.web_hosts + 1,
                  "environment": environment(args.container), "steps": steps})
    sizes.sort(key=lambda size: size["web_hosts"])
    report.update(sizes=sizes, increments=increments(sizes), settings={
        "ansible_config": ansible_settings(),
        "deploy_serial": "webstack_deploy_serial default (1 web host per batch)",
        "topology": "one core host (lb, db, broker, worker) and N web-only hosts, docker connection"})
    write_json(path, report)
    with open(os.path.join(args.out, "fleet.csv"), "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["web_hosts", "step", "seconds", "rc", "changed", "tasks", "skipped", "seconds_per_task"])
        for size in sizes:
            for step in size["steps"]:
                writer.writerow([size["web_hosts"], step["step"], step["seconds"], step["rc"],
                                 (step["recap"] or {}).get("changed"), step["tasks"], step["skipped"],
                                 step["seconds_per_task"]])
    if any(step["rc"] != 0 for step in steps):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
