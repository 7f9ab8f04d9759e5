"""Worker sizing: uWSGI processes x threads swept with wrk through nginx, against the plans.

Run by `scripts/bench.sh sizing` on a container with the demo stack. Steps:

1. Stop the Celery units (the web tier is measured alone) and install wrk in the container
   for the calibration.
2. The passive path, on the plan site.yml deployed (the host is in the web and worker groups):
   for /io, then /cpu, a bounded wrk load runs while playbooks/calibrate.yml's passive mode
   measures W/C from the traffic uWSGI serves, then playbooks/web.yml resizes uWSGI from it; the
   resized (deployed) plan and the web-only plan of that W/C join the configurations.
3. Calibrate: with uWSGI at CALIBRATION (enough slots that the CPU, not the slots, limits),
   run playbooks/calibrate.yml in its active mode for /cpu and for /io and read the recorded W/C.
4. Configurations: the processes x threads grid of the mode, the worker_counts plans (by
   profile, the default `mixed`, and with each view's measured W/C, for a web-only host of
   these vCPUs and memory) and the common static defaults (2 x vCPU + 1 and vCPU + 1
   single-threaded processes, 1 x 1).
5. Repetitions, interleaved: each repetition visits every configuration in a new random
   order; a configuration is applied by setting `processes` and `threads` in the ini the
   uwsgi role rendered and restarting the unit, then each view gets a 1 s warm-up and a
   measured wrk run from the controller to nginx in the container. After each wrk run the
   requests it left queued in uWSGI drain before the next one starts.
6. Medians per configuration and view; each as a ratio of the best grid configuration.
7. The all-in-one host: Celery started again at its plan, a bounded CPU-bound Celery load
   (core.tasks.burn, LOAD_OUTSTANDING in flight) runs during every wrk run, over a smaller grid
   and the plans of a web + worker host; the ratios are against that sweep's own best, and
   each configuration's Celery tasks/s meanwhile is recorded.

Writes sizing.json and sizing.csv in the output directory and prints the ratios.
"""

from __future__ import annotations

import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request

from common import ROOT, arguments, docker_exec, environment, playbook, worker_counts, write_json

VIEWS = {"/cpu": {"profile": "cpu", "connections": 32}, "/io": {"profile": "io", "connections": 256}}
MODES = {
    "full": {"processes": (1, 2, 3, 4, 6, 8), "threads": (1, 2, 4, 8, 16, 32, 64, 128),
             "repetitions": 3, "duration": 4, "calibration_seconds": 10},
    "quick": {"processes": (1, 2, 3, 4, 8), "threads": (1, 4, 16, 64),
              "repetitions": 2, "duration": 3, "calibration_seconds": 6},
}
# The grid swept again under a Celery load (the all-in-one host), smaller to stay bounded.
LOADED_GRID = {"full": {"processes": (1, 2, 3, 4, 6), "threads": (1, 4, 16, 32, 64)},
               "quick": {"processes": (1, 2, 4), "threads": (1, 4, 16, 64)}}
LOAD_OUTSTANDING = 8          # CPU-bound Celery tasks kept in flight during the loaded sweep
PASSIVE_WINDOW = 20           # seconds of traffic the passive measurement covers
PASSIVE_MIN_REQUESTS = 300    # requests the window needs (calibrate.yml's minimum)
MANAGE = "/srv/demo/bin/manage"
CELERY_UNITS = "celery-demo-worker celery-demo-beat"
MAX_SLOTS = 512
CALIBRATION = (4, 64)
INI = "/etc/uwsgi/demo.ini"
SERVICE = "uwsgi-demo.service"
HOST_HEADER = "localhost"
LUA = os.path.join(ROOT, "benchmarks", "wrk_report.lua")
SEED = 20261124


def container_ip(container):
    out = subprocess.run(["docker", "inspect", "-f",
                          "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container],
                         capture_output=True, text=True, check=True).stdout
    return out.split()[0]


def wait_healthy(ip, timeout=120):
    """Wait for a 200 from /healthz. It queues behind every request already in uWSGI's listen
    queue, so its answer also means that queue has drained: the requests a finished wrk run
    left behind (nginx gave them to uWSGI; their clients are gone) never reach the next run."""
    request = urllib.request.Request(f"http://{ip}/healthz", headers={"Host": HOST_HEADER})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"/healthz did not answer 200 within {timeout} s")


def apply(container, ip, processes, threads):
    docker_exec(container, f"sed -i -E 's/^processes = .*/processes = {processes}/; "
                           f"s/^threads = .*/threads = {threads}/' {INI} && "
                           f"systemctl restart {SERVICE}")
    wait_healthy(ip)


def wrk(ip, view, connections, seconds):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
           "-s", LUA, f"http://{ip}{view}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env=dict(os.environ, BENCH_HOST_HEADER=HOST_HEADER)).stdout
    data = json.loads(out.strip().splitlines()[-1])
    seconds_run = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors",
                                   "status_errors", "timeouts"))
    return {"rps": data["requests"] / seconds_run, "requests": data["requests"],
            "errors": errors, "p50_ms": data["p50_us"] / 1000, "p99_ms": data["p99_us"] / 1000,
            "max_ms": data["max_us"] / 1000}


def deployed_plan(container):
    """(processes, threads) in the ini the uwsgi role rendered."""
    values = dict(line.split(" = ", 1) for line in docker_exec(
        container, f"grep -E '^(processes|threads) = ' {INI}").splitlines())
    return int(values["processes"]), int(values["threads"])


def read_fact(container):
    return json.loads(docker_exec(container, "cat /etc/ansible/facts.d/webstack_calibration.fact"))


def passive_path(args, container, ip):
    """Live traffic, a passive measurement, a converge: what an operator's hosts do on their own.

    For /io first (the host is on the plan site.yml deployed), then /cpu (on the plan the /io
    measurement resized): a wrk load through nginx outlasts a PASSIVE_WINDOW-second
    calibrate.yml in its passive mode (no load of its own), then playbooks/web.yml converges
    and the ini shows the plan it deployed.
    """
    results = {}
    for view in ("/io", "/cpu"):
        before = deployed_plan(container)
        load = subprocess.Popen(
            ["wrk", "-t2", f"-c{VIEWS[view]['connections']}", f"-d{PASSIVE_WINDOW + 15}s", "--timeout", "10s",
             "-s", LUA, f"http://{ip}{view}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, BENCH_HOST_HEADER=HOST_HEADER))
        try:
            time.sleep(2)
            seconds, rc, output = playbook(
                args, "calibrate.yml", "-e", "webstack_calibrate_mode=passive",
                "-e", f"webstack_calibrate_window={PASSIVE_WINDOW}",
                "-e", f"webstack_calibrate_min_requests={PASSIVE_MIN_REQUESTS}", timeout=300)
        finally:
            load.wait(timeout=120)
        if rc != 0:
            raise SystemExit(f"calibrate.yml (passive) {view} failed:\n{output[-3000:]}")
        fact = read_fact(container)
        wait_healthy(ip)
        converge_s, rc, output = playbook(args, "web.yml", timeout=900)
        if rc != 0:
            raise SystemExit(f"web.yml after the passive measurement of {view} failed:\n{output[-3000:]}")
        wait_healthy(ip)
        after = deployed_plan(container)
        # What the host now runs, setting by setting, against what plan.yml prints for it.
        check = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "plan_check.py"),
                                "--inventory", args.inventory, "--host", container, "--container", container,
                                "-e", f"@{args.secrets}"], capture_output=True, text=True, timeout=900, check=False)
        results[view] = {"fact": fact, "before": list(before), "deployed": list(after),
                         "measure_s": round(seconds, 1), "converge_s": round(converge_s, 1),
                         "plan_check": {"rc": check.returncode, "output": (check.stdout + check.stderr).strip()}}
        print(f"passive {view}: W/C {fact['wait_ratio']} from {fact.get('requests')} requests over "
              f"{fact.get('window_s')} s; uWSGI {before[0]} x {before[1]} -> {after[0]} x {after[1]} "
              f"(web.yml {converge_s:.0f} s); plan check: {results[view]['plan_check']['output']}", flush=True)
    return results


def start_celery_load(container, seconds):
    """A bounded CPU-bound Celery load in the background (core.tasks.burn)."""
    return subprocess.Popen(
        ["docker", "exec", container, MANAGE, "celery_load", "--kind", "cpu", "--seconds", str(seconds),
         "--outstanding", str(LOAD_OUTSTANDING)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_celery_load(process):
    out, err = process.communicate(timeout=180)
    if process.returncode != 0:
        raise RuntimeError(f"celery_load failed: {err.strip()[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def calibrate(args, container, ip, settings):
    apply(container, ip, *CALIBRATION)
    docker_exec(container, "command -v wrk >/dev/null || "
                           "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
                           "apt-get install -y -qq wrk >/dev/null)", check=False, timeout=600)
    results = {}
    for view, spec in VIEWS.items():
        seconds, rc, output = playbook(
            args, "calibrate.yml",
            "-e", "webstack_calibrate_mode=active",
            "-e", f"webstack_calibrate_path={view}",
            "-e", f"webstack_calibrate_duration={settings['calibration_seconds']}",
            "-e", f"webstack_calibrate_concurrency={spec['connections']}")
        if rc != 0:
            raise SystemExit(f"calibrate.yml {view} failed:\n{output[-3000:]}")
        fact = json.loads(docker_exec(container, "cat /etc/ansible/facts.d/webstack_calibration.fact"))
        results[view] = fact
        print(f"calibration {view}: W/C {fact['wait_ratio']} (W {fact['wait_ms']} ms, "
              f"C {fact['compute_ms']} ms) in {seconds:.0f} s", flush=True)
    return results


def configurations(env, settings, calibration, passive=None):
    vcpus, memory = env["vcpus"], env["memory_mb"]
    host = {"vcpus": vcpus, "memory_mb": memory}
    configs = {}

    def add(processes, threads, label):
        configs.setdefault((processes, threads), []).extend([label] if label else [])

    for p in settings["processes"]:
        for t in settings["threads"]:
            if p * t <= MAX_SLOTS:
                add(p, t, "")
    plans = {}
    for profile in ("cpu", "mixed", "io"):
        plans[f"plan profile={profile}"] = worker_counts(host, profile=profile)["uwsgi"]
    for view, fact in calibration.items():
        plans[f"plan measured W/C {view}"] = worker_counts(
            host, wait_ratio=float(fact["wait_ratio"]))["uwsgi"]
    for view, result in (passive or {}).items():
        plans[f"plan passive W/C {view}"] = worker_counts(
            host, wait_ratio=float(result["fact"]["wait_ratio"]))["uwsgi"]
        plans[f"deployed after passive {view} (web + worker)"] = dict(
            zip(("processes", "threads"), result["deployed"]))
    for label, plan in plans.items():
        add(plan["processes"], plan["threads"], label)
    add(2 * vcpus + 1, 1, "static 2 x vCPU + 1")
    add(vcpus + 1, 1, "static vCPU + 1")
    add(1, 1, "static 1 x 1")
    grid = {(p, t) for p in settings["processes"] for t in settings["threads"] if p * t <= MAX_SLOTS}
    return configs, grid, {k: [v["processes"], v["threads"]] for k, v in plans.items()}


def loaded_configurations(env, mode, calibration, passive=None):
    """The all-in-one host's sweep: a smaller grid and the plans of a web + worker host."""
    host = {"vcpus": env["vcpus"], "memory_mb": env["memory_mb"]}
    grid = {(p, t) for p in LOADED_GRID[mode]["processes"] for t in LOADED_GRID[mode]["threads"]
            if p * t <= MAX_SLOTS}
    configs = {config: [] for config in grid}
    plans = {"plan web + worker, profile=mixed": worker_counts(host, celery=True)["uwsgi"]}
    for view, fact in calibration.items():
        plans[f"plan web + worker, measured W/C {view}"] = worker_counts(
            host, celery=True, wait_ratio=float(fact["wait_ratio"]))["uwsgi"]
    for view, result in (passive or {}).items():
        plans[f"deployed after passive {view} (web + worker)"] = dict(
            zip(("processes", "threads"), result["deployed"]))
    for label, plan in plans.items():
        configs.setdefault((plan["processes"], plan["threads"]), []).append(label)
    celery = worker_counts(host, celery=True)["celery"]
    return configs, grid, {k: [v["processes"], v["threads"]] for k, v in plans.items()}, celery


def sweep(container, ip, configs, settings, loaded=False):
    """Every configuration in each repetition, in a new random order; with `loaded`, a bounded
    Celery load runs through each view's warm-up and measured run."""
    order = sorted(configs)
    rng = random.Random(SEED + (1 if loaded else 0))
    runs = []
    total = len(order) * settings["repetitions"]
    started = time.monotonic()
    print(f"{'under a Celery load: ' if loaded else ''}{len(order)} configurations x "
          f"{settings['repetitions']} repetitions x {len(VIEWS)} views, {settings['duration']} s each", flush=True)
    for rep in range(settings["repetitions"]):
        rng.shuffle(order)
        views = list(VIEWS) if rep % 2 == 0 else list(reversed(VIEWS))
        for index, (p, t) in enumerate(order):
            apply(container, ip, p, t)
            for view in views:
                connections = VIEWS[view]["connections"]
                celery = start_celery_load(container, settings["duration"] + 6) if loaded else None
                if celery:
                    time.sleep(2)
                wrk(ip, view, connections, 1)
                wait_healthy(ip)
                result = wrk(ip, view, connections, settings["duration"])
                if celery:
                    result["celery"] = finish_celery_load(celery)
                wait_healthy(ip)
                runs.append(dict(result, view=view, processes=p, threads=t, repetition=rep))
            done = rep * len(order) + index + 1
            print(f"[{done}/{total}] rep {rep + 1} {p} x {t}: " + ", ".join(
                f"{r['view']} {r['rps']:.0f} req/s" + (f" ({r['celery']['tasks_per_s']} tasks/s)" if loaded else "")
                for r in runs[-len(views):]) + f"  ({time.monotonic() - started:.0f} s)", flush=True)
    return runs, round(time.monotonic() - started)


def summarise(runs, configs, grid):
    summary = []
    for view in VIEWS:
        rows = []
        for (p, t), labels in sorted(configs.items()):
            mine = [r for r in runs if r["view"] == view and (r["processes"], r["threads"]) == (p, t)]
            rows.append({
                "view": view, "processes": p, "threads": t, "labels": labels, "grid": (p, t) in grid,
                "rps": round(statistics.median(r["rps"] for r in mine), 1),
                "p50_ms": round(statistics.median(r["p50_ms"] for r in mine), 2),
                "p99_ms": round(statistics.median(r["p99_ms"] for r in mine), 2),
                "errors": sum(r["errors"] for r in mine),
                "repetitions": len(mine),
            })
            if mine and all("celery" in r for r in mine):
                rows[-1]["celery_tasks_per_s"] = round(statistics.median(
                    r["celery"]["tasks_per_s"] or 0 for r in mine), 1)
                rows[-1]["celery_errors"] = sum(r["celery"]["errors"] for r in mine)
        best = max((r for r in rows if r["grid"]), key=lambda r: r["rps"])
        for row in rows:
            row["ratio"] = round(row["rps"] / best["rps"], 3)
            row["p99_vs_best"] = round(row["p99_ms"] / best["p99_ms"], 2) if best["p99_ms"] else None
            row["best"] = row is best
        summary.extend(rows)
    return summary


def print_ratios(summary):
    for view in VIEWS:
        rows = [r for r in summary if r["view"] == view]
        best = next(r for r in rows if r["best"])
        print(f"\n{view}: sweep best {best['processes']} x {best['threads']} = {best['rps']:.0f} req/s "
              f"(p50 {best['p50_ms']} ms, p99 {best['p99_ms']} ms)")
        print(f"  {'configuration':<30} {'p x t':>8} {'req/s':>8} {'ratio':>6} {'p50 ms':>8} "
              f"{'p99 ms':>8} {'errors':>6}")
        for row in rows:
            for label in row["labels"]:
                verdict = ""
                if label.startswith("plan"):
                    verdict = "  >= 95 %" if row["ratio"] >= 0.95 else "  below 95 %"
                print(f"  {label:<30} {row['processes']:>3} x {row['threads']:<3} {row['rps']:>8.0f} "
                      f"{row['ratio']:>6.1%} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
                      f"{row['errors']:>6}{verdict}")


def main():
    args = arguments(__doc__)
    settings = MODES[args.mode]
    container = args.container
    ip = container_ip(container)
    env = environment(container)
    docker_exec(container, f"systemctl stop {CELERY_UNITS}", check=False)
    started = time.monotonic()
    passive = passive_path(args, container, ip)
    deployed = deployed_plan(container)
    calibration = calibrate(args, container, ip, settings)
    configs, grid, plans = configurations(env, settings, calibration, passive)
    runs, _seconds = sweep(container, ip, configs, settings)
    summary = summarise(runs, configs, grid)
    # The all-in-one host: Celery back at its plan, a CPU-bound load during every wrk run.
    docker_exec(container, f"systemctl start {CELERY_UNITS}")
    docker_exec(container, f"{MANAGE} celery_roundtrip --timeout 60", timeout=90)
    loaded_configs, loaded_grid, loaded_plans, celery_plan = loaded_configurations(
        env, args.mode, calibration, passive)
    loaded_runs, _seconds = sweep(container, ip, loaded_configs, settings, loaded=True)
    loaded_summary = summarise(loaded_runs, loaded_configs, loaded_grid)
    apply(container, ip, *deployed)
    report = {"environment": env, "mode": args.mode, "settings": settings, "views": VIEWS,
              "calibration_config": CALIBRATION, "calibration": calibration, "plans": plans,
              "passive": passive, "passive_window_s": PASSIVE_WINDOW,
              "seconds": round(time.monotonic() - started), "summary": summary, "runs": runs,
              "loaded": {"grid": LOADED_GRID[args.mode], "outstanding": LOAD_OUTSTANDING,
                         "celery_plan": celery_plan, "plans": loaded_plans, "summary": loaded_summary,
                         "runs": loaded_runs}}
    write_json(os.path.join(args.out, "sizing.json"), report)
    with open(os.path.join(args.out, "sizing.csv"), "w", newline="", encoding="utf-8") as handle:
        fields = ["load", "view", "processes", "threads", "labels", "rps", "ratio", "p50_ms", "p99_ms",
                  "p99_vs_best", "errors", "repetitions", "celery_tasks_per_s"]
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for load, rows in (("none", summary), ("celery cpu", loaded_summary)):
            for row in rows:
                writer.writerow(dict(row, load=load, labels="; ".join(row["labels"])))
    print_ratios(summary)
    print("\nUnder a CPU-bound Celery load (the all-in-one host):")
    print_ratios(loaded_summary)


if __name__ == "__main__":
    main()
