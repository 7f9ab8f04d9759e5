"""report.md in --out: the benchmark reports as Markdown tables (pasted into docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import os

from common import load


def platform_of(env):
    """The platform a run was measured on; older reports name only the image."""
    if env.get("os"):
        return f"platform {env.get('platform') or '?'} ({env['os']}, image {env['image']})"
    return f"image {env['image']}"


def sizing_tables(sizing):
    env = sizing["environment"]
    lines = [f"Measured {env['measured_at']} on {env['vcpus']} vCPUs ({env['cpu']}), "
             f"{env['memory_mb']} MB, kernel {env['kernel']}, {platform_of(env)}; mode "
             f"`{sizing['mode']}`: {sizing['settings']['repetitions']} interleaved repetitions of "
             f"{sizing['settings']['duration']} s per configuration and view, "
             f"{sizing['seconds'] // 60} min in all.", ""]
    lines += ["Calibration (`playbooks/calibrate.yml`, uWSGI at "
              f"{sizing['calibration_config'][0]} x {sizing['calibration_config'][1]}):", "",
              "| view | W (ms) | C under load (ms) | W/C | loader |", "| --- | ---: | ---: | ---: | --- |"]
    for view, fact in sizing["calibration"].items():
        lines.append(f"| `{view}` | {fact['wait_ms']} | {fact['compute_ms']} | {fact['wait_ratio']} | "
                     f"{fact.get('loader', '')} |")
    for view, spec in sizing["views"].items():
        rows = [r for r in sizing["summary"] if r["view"] == view]
        best = next(r for r in rows if r["best"])
        lines += [""] + ratio_table(rows, f"`{view}` ({spec['connections']} wrk connections): the sweep's best is "
                                          f"{best['processes']} x {best['threads']} at {best['rps']:.0f} req/s "
                                          f"(p50 {best['p50_ms']} ms, p99 {best['p99_ms']} ms).")
    return lines


def ratio_table(rows, best_note):
    """Each labelled configuration of one view: req/s, its ratio to the best and the tails."""
    lines = [best_note, "", "| configuration | processes x threads | req/s | of best | p50 ms | p99 ms | "
             "p99 / best's | errors |" + (" Celery tasks/s |" if any("celery_tasks_per_s" in r for r in rows) else ""),
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |" +
             (" ---: |" if any("celery_tasks_per_s" in r for r in rows) else "")]
    labelled = sorted(((label, r) for r in rows for label in r["labels"]), key=lambda item: -item[1]["ratio"])
    for label, r in labelled:
        celery = f" {r['celery_tasks_per_s']} |" if "celery_tasks_per_s" in r else ""
        lines.append(f"| {label} | {r['processes']} x {r['threads']} | {r['rps']:.0f} | "
                     f"{r['ratio']:.1%} | {r['p50_ms']} | {r['p99_ms']} | {r['p99_vs_best']} | "
                     f"{r['errors']} |{celery}")
    return lines


def passive_tables(sizing):
    """The passive path: W/C from live traffic next to the active calibration's, and the resize."""
    lines = [f"Passive path (`calibrate.yml` passive mode over {sizing.get('passive_window_s')} s of wrk "
             "traffic, then `web.yml`):", "",
             "| view | requests in the window | W/C passive | W/C active | C passive (ms) | C active (ms) | "
             "in uWSGI (ms) | for a turn (ms) | workers taken | uWSGI before | after `web.yml` |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for view, result in sizing["passive"].items():
        fact, active = result["fact"], sizing["calibration"].get(view, {})
        app = next(iter(fact.get("apps", {}).values()), fact)
        lines.append(f"| `{view}` | {app.get('requests', fact.get('requests', ''))} | {fact['wait_ratio']} | "
                     f"{active.get('wait_ratio', '')} | {fact.get('compute_ms', '')} | {active.get('compute_ms', '')} | "
                     f"{fact.get('latency_ms', '')} | {fact.get('queue_ms', '')} | "
                     f"{'' if fact.get('worker_busy') is None else format(fact['worker_busy'], '.0%')} | "
                     f"{result['before'][0]} x {result['before'][1]} | "
                     f"{result['deployed'][0]} x {result['deployed'][1]} |")
    checks = [f"- after `{view}`: " + ("" if result["plan_check"]["rc"] == 0 else "**differs** ") +
              result["plan_check"]["output"] for view, result in sizing["passive"].items() if "plan_check" in result]
    if checks:
        lines += ["", "The host against `plan.yml` after each converge (`scripts/plan_check.py`):", ""] + checks
    return lines


def loaded_tables(sizing):
    loaded = sizing["loaded"]
    celery = loaded["celery_plan"]
    lines = [f"Under a CPU-bound Celery load ({loaded['outstanding']} `burn` tasks in flight, Celery at the "
             f"plan's concurrency {celery['concurrency']}, {celery['pool']}), over the grid "
             f"{' x '.join(str(list(v)) for v in loaded['grid'].values())} and the web + worker plans:"]
    for view, spec in sizing["views"].items():
        rows = [r for r in loaded["summary"] if r["view"] == view]
        best = next(r for r in rows if r["best"])
        lines += [""] + ratio_table(rows, f"`{view}` under load: the sweep's best is {best['processes']} x "
                                          f"{best['threads']} at {best['rps']:.0f} req/s (p99 {best['p99_ms']} ms, "
                                          f"Celery {best.get('celery_tasks_per_s')} tasks/s meanwhile).")
    return lines


def celery_tables(celery):
    env = celery["environment"]
    lines = [f"Measured {env['measured_at']} on {env['vcpus']} vCPUs, {platform_of(env)}; mode `{celery['mode']}`: "
             f"{celery['settings']['repetitions']} interleaved repetitions of {celery['settings']['seconds']} s; "
             f"the demo deploys concurrency {celery['deployed']}."]
    for kind, spec in celery["kinds"].items():
        rows = [r for r in celery["summary"] if r["kind"] == kind]
        best = next(r for r in rows if r["best"])
        lines += ["", f"`{kind}` tasks ({spec['outstanding']} in flight): the sweep's best is concurrency "
                      f"{best['concurrency']} at {best['tasks_per_s']} tasks/s (p50 {best['p50_ms']} ms, "
                      f"p99 {best['p99_ms']} ms).", "",
                  "| concurrency | plans | tasks/s | of best | p50 ms | p99 ms | p99 / best's | errors |",
                  "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in rows:
            lines.append(f"| {r['concurrency']} | {'; '.join(r['labels'])} | {r['tasks_per_s']} | {r['ratio']:.1%} | "
                         f"{r['p50_ms']} | {r['p99_ms']} | {r['p99_vs_best']} | {r['errors']} |")
    return lines


def provision_tables(provision):
    lines = [f"Measured {provision['environment']['measured_at']} on "
             f"{platform_of(provision['environment'])}, over the "
             f"{provision.get('transport', 'docker')} connection.", ""] if "environment" in provision else []
    proof = (provision.get("settings") or {}).get("mitogen")
    if proof:
        lines += [f"The `-mitogen` steps ran under Mitogen's `mitogen_linear`; in use: {proof['in_use']} (the "
                  f"parent of a shell task was `{proof['output'].splitlines()[-1] if proof['output'] else ''}`).", ""]
    lines += ["| step | wall time (s) | changed | tasks run | skipped | s per task |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for step in provision["steps"]:
        seconds = step["seconds"] if step.get("rc", 0) == 0 else f"failed (rc {step['rc']}) after {step['seconds']}"
        lines.append(f"| {step['step']} | {seconds} | {step['recap']['changed']} | "
                     f"{step.get('tasks', '')} | {step.get('skipped', '')} | "
                     f"{step.get('seconds_per_task') or ''} |")
    lines += ["", "Time per role (profile_roles):", "",
              "| role | " + " | ".join(step["step"] for step in provision["steps"]) + " |",
              "| --- |" + " ---: |" * len(provision["steps"])]
    by_role = {}
    for index, step in enumerate(provision["steps"]):
        for row in step["roles"]:
            by_role.setdefault(row["name"], [""] * len(provision["steps"]))[index] = row["seconds"]
    for name, values in by_role.items():
        if any(value != "" and value >= 1 for value in values):
            lines.append(f"| {name} | " + " | ".join(str(value) for value in values) + " |")
    for step in provision["steps"]:
        lines += ["", f"Slowest tasks of {step['step']} (profile_tasks):", "",
                  "| task | s |", "| --- | ---: |"]
        for row in step["slowest_tasks"][:8]:
            lines.append(f"| {row['name']} | {row['seconds']} |")
    return lines


def transport_table(docker, ssh):
    """The same steps over the docker connection and over SSH, side by side."""
    over_ssh = {step["step"]: step for step in ssh["steps"]}
    lines = ["| step | docker (s) | SSH (s) | SSH / docker | tasks run (docker, SSH) | "
             "s per task (docker, SSH) |", "| --- | ---: | ---: | ---: | --- | --- |"]
    for step in docker["steps"]:
        other = over_ssh.get(step["step"])
        if other:
            lines.append(f"| {step['step']} | {step['seconds']} | {other['seconds']} | "
                         f"{other['seconds'] / step['seconds']:.2f} | {step.get('tasks')}, "
                         f"{other.get('tasks')} | {step.get('seconds_per_task')}, "
                         f"{other.get('seconds_per_task')} |")
    return lines


def fleet_tables(fleet, hosts=100):
    """Wall time per fleet size, the fitted increment per web host and its line at `hosts`."""
    labels = [step["step"] for step in fleet["sizes"][0]["steps"]] if fleet["sizes"] else []
    first = fleet["sizes"][0]["environment"] if fleet["sizes"] else {}
    lines = [f"Measured from {first.get('measured_at', '?')} on {platform_of(first)}: one core "
             "host (lb, db, broker, worker) and N web hosts, each size on fresh containers.", "",
             "| web hosts | " + " | ".join(f"{label} (s)" for label in labels) + " | tasks run (cold, no change) |",
             "| ---: |" + " ---: |" * len(labels) + " --- |"]
    for size in fleet["sizes"]:
        seconds = {step["step"]: step["seconds"] if step["rc"] == 0 else "failed" for step in size["steps"]}
        tasks = [str(step["tasks"]) for step in size["steps"][:2]]
        lines.append(f"| {size['web_hosts']} | " + " | ".join(str(seconds.get(label, "")) for label in labels)
                     + f" | {', '.join(tasks)} |")
    lines += ["", f"Least-squares line over the sizes measured, and where it reaches {hosts} web hosts:", "",
              "| step | fixed (s) | per web host (s) | sizes | "
              f"{hosts} web hosts, on the line (min) |", "| --- | ---: | ---: | --- | ---: |"]
    for label, line in fleet.get("increments", {}).items():
        at = (line["intercept_s"] + line["per_web_host_s"] * hosts) / 60
        lines.append(f"| {label} | {line['intercept_s']} | {line['per_web_host_s']} | "
                     f"{', '.join(str(x) for x in line['sizes'])} | {at:.0f} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    out = parser.parse_args().out
    lines = []
    sizing = load(out, "sizing.json")
    if sizing:
        lines += ["## Worker sizing", ""] + sizing_tables(sizing) + [""]
        if sizing.get("passive"):
            lines += passive_tables(sizing) + [""]
        if sizing.get("loaded"):
            lines += ["## The all-in-one host", ""] + loaded_tables(sizing) + [""]
    celery = load(out, "celery.json")
    if celery:
        lines += ["## Celery concurrency", ""] + celery_tables(celery) + [""]
    provision = load(out, "provision.json")
    if provision:
        lines += ["## Provisioning", ""] + provision_tables(provision) + [""]
    ssh = load(out, "provision-ssh.json")
    if ssh:
        lines += ["## Provisioning over SSH", ""] + provision_tables(ssh) + [""]
    if provision and ssh:
        lines += ["## Docker and SSH", ""] + transport_table(provision, ssh) + [""]
    fleet = load(out, "fleet.json")
    if fleet:
        lines += ["## Fleet scale", ""] + fleet_tables(fleet) + [""]
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    print(f"report: {os.path.join(out, 'report.md')}")


if __name__ == "__main__":
    main()
