"""Celery concurrency: a sweep of the worker's prefork concurrency for a CPU-bound and an IO-bound
task, against the concurrency of the worker_counts plans.

Run by `scripts/bench.sh sizing` (after benchmarks/sizing.py) on the container with the demo
stack. uWSGI stays up but takes no requests. Steps:

1. The tasks: core.tasks.burn (about 20 ms of pure-Python CPU) and core.tasks.wait (50 ms of
   sleep standing in for a call to another service, then a little CPU), sent by the demo's
   `manage celery_load`: a closed loop that keeps OUTSTANDING tasks in flight for a bounded
   time, from a process in the container, through RabbitMQ, results over the rpc backend.
2. Concurrencies: each kind's grid plus the plans' concurrency (this host as web + worker, as
   the demo deploys it, and as a worker-only host; the `cpu` and `io` Celery profiles). A
   concurrency is applied by setting `--concurrency` in the unit the celery role rendered and
   restarting it; a round trip must answer before the load starts.
3. Repetitions, interleaved in a new random order each; medians of tasks/s and of the end-to-end
   latency (sent to finished) p50 and p99; each as a ratio of the grid's best tasks/s.

Writes celery.json and celery.csv in the output directory and prints the ratios.
"""

from __future__ import annotations

import csv
import json
import os
import random
import statistics
import time

from common import arguments, docker_exec, environment, worker_counts, write_json

UNIT = "/etc/systemd/system/celery-demo-worker.service"
SERVICE = "celery-demo-worker.service"
MANAGE = "/srv/demo/bin/manage"
KINDS = {"cpu": {"profile": "cpu", "outstanding": 32}, "io": {"profile": "io", "outstanding": 96}}
MODES = {
    "full": {"cpu": (1, 2, 3, 4, 6, 8), "io": (1, 2, 4, 8, 16, 32, 48), "repetitions": 3, "seconds": 8},
    "quick": {"cpu": (1, 2, 3, 4, 8), "io": (1, 2, 4, 8, 16, 32), "repetitions": 2, "seconds": 6},
}
SEED = 20261204


def plans(env):
    """The concurrency each plan gives this host, by label."""
    host = {"vcpus": env["vcpus"], "memory_mb": env["memory_mb"]}
    result = {}
    for profile in ("cpu", "mixed", "io"):
        result[f"plan web + worker, profile={profile}"] = worker_counts(
            host, celery=True, celery_profile=profile)["celery"]["concurrency"]
        result[f"plan worker only, profile={profile}"] = worker_counts(
            host, web=False, celery=True, celery_profile=profile)["celery"]["concurrency"]
    return result


def points(settings, plan):
    """{kind: {concurrency: [labels]}}: the grid of each kind and the plans' concurrencies."""
    result = {}
    for kind in KINDS:
        result[kind] = {c: [] for c in settings[kind]}
        for label, concurrency in plan.items():
            result[kind].setdefault(concurrency, []).append(label)
    return result


def apply(container, concurrency):
    docker_exec(container, f"sed -i -E 's/--concurrency [0-9]+/--concurrency {concurrency}/' {UNIT} && "
                           f"systemctl daemon-reload && systemctl restart {SERVICE}", timeout=180)
    docker_exec(container, f"{MANAGE} celery_roundtrip --timeout 60", timeout=90)


def load(container, kind, seconds):
    out = docker_exec(container, f"{MANAGE} celery_load --kind {kind} --seconds {seconds} "
                                 f"--outstanding {KINDS[kind]['outstanding']}", timeout=seconds + 180)
    return json.loads(out.strip().splitlines()[-1])


def summarise(runs, configs, settings):
    """Medians per kind and concurrency; ratios against the best concurrency of each kind's grid."""
    summary = []
    for kind in KINDS:
        rows = []
        for concurrency, labels in sorted(configs[kind].items()):
            mine = [r for r in runs if r["kind"] == kind and r["concurrency"] == concurrency]
            rows.append({"kind": kind, "concurrency": concurrency, "labels": labels,
                         "grid": concurrency in settings[kind],
                         "tasks_per_s": round(statistics.median(r["tasks_per_s"] for r in mine), 1),
                         "p50_ms": round(statistics.median(r["p50_ms"] for r in mine), 1),
                         "p99_ms": round(statistics.median(r["p99_ms"] for r in mine), 1),
                         "errors": sum(r["errors"] for r in mine), "repetitions": len(mine)})
        best = max((r for r in rows if r["grid"]), key=lambda r: r["tasks_per_s"])
        for row in rows:
            row["ratio"] = round(row["tasks_per_s"] / best["tasks_per_s"], 3) if best["tasks_per_s"] else None
            row["p99_vs_best"] = round(row["p99_ms"] / best["p99_ms"], 2) if best["p99_ms"] else None
            row["best"] = row is best
        summary.extend(rows)
    return summary


def print_ratios(summary):
    for kind in KINDS:
        rows = [r for r in summary if r["kind"] == kind]
        best = next(r for r in rows if r["best"])
        print(f"\n{kind}: sweep best concurrency {best['concurrency']} = {best['tasks_per_s']} tasks/s "
              f"(p50 {best['p50_ms']} ms, p99 {best['p99_ms']} ms)")
        for row in rows:
            for label in row["labels"] or [""]:
                print(f"  {label:<36} {row['concurrency']:>4} {row['tasks_per_s']:>9} tasks/s "
                      f"{row['ratio']:>7.1%} p50 {row['p50_ms']:>8} p99 {row['p99_ms']:>8} errors {row['errors']}")


def main():
    args = arguments(__doc__)
    settings = MODES[args.mode]
    container = args.container
    env = environment(container)
    deployed = int(docker_exec(container, f"grep -oE -- '--concurrency [0-9]+' {UNIT}").split()[1])
    plan = plans(env)
    configs = points(settings, plan)
    rng = random.Random(SEED)
    runs = []
    started = time.monotonic()
    order = sorted({c for kind in KINDS for c in configs[kind]})
    print(f"Celery: {len(order)} concurrencies x {settings['repetitions']} repetitions, "
          f"{settings['seconds']} s per kind", flush=True)
    for rep in range(settings["repetitions"]):
        rng.shuffle(order)
        for concurrency in order:
            apply(container, concurrency)
            for kind in (KINDS if rep % 2 == 0 else reversed(list(KINDS))):
                if concurrency not in configs[kind]:
                    continue
                result = load(container, kind, settings["seconds"])
                runs.append(dict(result, concurrency=concurrency, repetition=rep))
                print(f"rep {rep + 1} concurrency {concurrency} {kind}: {result['tasks_per_s']} tasks/s, "
                      f"p99 {result['p99_ms']} ms ({time.monotonic() - started:.0f} s)", flush=True)
    apply(container, deployed)
    summary = summarise(runs, configs, settings)
    report = {"environment": env, "mode": args.mode, "settings": settings, "kinds": KINDS, "plans": plan,
              "deployed": deployed, "seconds": round(time.monotonic() - started), "summary": summary,
              "runs": runs}
    write_json(os.path.join(args.out, "celery.json"), report)
    with open(os.path.join(args.out, "celery.csv"), "w", newline="", encoding="utf-8") as handle:
        fields = ["kind", "concurrency", "labels", "tasks_per_s", "ratio", "p50_ms", "p99_ms",
                  "p99_vs_best", "errors", "repetitions"]
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in summary:
            writer.writerow(dict(row, labels="; ".join(row["labels"])))
    print_ratios(summary)


if __name__ == "__main__":
    main()
