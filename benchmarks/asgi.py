"""ASGI against uWSGI on the same async view, with wrk through nginx.

The demo's async view (core.views.aio: 20 ms awaited, a little CPU) is served twice by one
deployment: by uvicorn at /async/io (django_app_asgi_locations, one worker per vCPU) and by
uWSGI at /aio (the same view; Django runs it in an event loop of its own per request, with the
uWSGI processes and threads of the host's plan). The sync view /io (20 ms in time.sleep) under
uWSGI is the reference. Each view is loaded at each connection count for the mode's duration,
in turn, repeated; the medians of requests/s and p99 go to asgi.json and asgi.csv (with the
date and the commit), docs/benchmarks.md cites them.

    python benchmarks/asgi.py --container webstack-bench --inventory ... --secrets ... --out dist/bench
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import statistics
import subprocess
import time

from common import ROOT, arguments, docker_exec, environment, playbook, write_json
from sizing import CELERY_UNITS, container_ip, wait_healthy, wrk

VIEWS = {"asgi": "/async/io", "uwsgi": "/aio", "uwsgi-sync": "/io"}
MODES = {"full": {"connections": [16, 64, 256], "seconds": 20, "repetitions": 3},
         "quick": {"connections": [64], "seconds": 8, "repetitions": 1}}
LOCATIONS = ["/ws/", "/async/"]


def commit():
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=False).stdout.strip() or "unknown"


def main():
    args = arguments(__doc__)
    settings = MODES[args.mode]
    container = args.container
    extra = json.dumps({"django_app_asgi_locations": LOCATIONS})
    seconds, rc, output = playbook(args, "web.yml", "-e", extra)
    if rc != 0:
        raise RuntimeError(f"web.yml with the ASGI server failed (rc {rc}):\n{output[-3000:]}")
    ip = container_ip(container)
    env = environment(container)
    vcpus = int(docker_exec(container, "nproc").strip())
    docker_exec(container, f"systemctl stop {CELERY_UNITS}", check=False)
    wait_healthy(ip)
    runs = []
    for repetition in range(settings["repetitions"]):
        for connections in settings["connections"]:
            for server, view in VIEWS.items():
                wrk(ip, view, connections, 1)  # warm: each worker imported and connected
                result = wrk(ip, view, connections, settings["seconds"])
                runs.append(dict(result, server=server, view=view, connections=connections, repetition=repetition))
                print(f"{server:10} {view:10} c={connections:<4} {result['rps']:8.1f} req/s "
                      f"p99 {result['p99_ms']:8.1f} ms errors {result['errors']}", flush=True)
                wait_healthy(ip)
                time.sleep(1)
    docker_exec(container, f"systemctl start {CELERY_UNITS}", check=False)
    summary = []
    for connections in settings["connections"]:
        for server, view in VIEWS.items():
            mine = [r for r in runs if r["server"] == server and r["connections"] == connections]
            summary.append({"server": server, "view": view, "connections": connections,
                            "rps": round(statistics.median(r["rps"] for r in mine), 1),
                            "p99_ms": round(statistics.median(r["p99_ms"] for r in mine), 1),
                            "errors": sum(r["errors"] for r in mine), "repetitions": len(mine)})
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = {"date": date, "commit": commit(), "environment": env, "mode": args.mode, "settings": settings,
              "vcpus": vcpus, "asgi_workers": vcpus, "converge_seconds": round(seconds), "summary": summary,
              "runs": runs}
    write_json(os.path.join(args.out, "asgi.json"), report)
    with open(os.path.join(args.out, "asgi.csv"), "w", newline="", encoding="utf-8") as handle:
        fields = ["date", "commit", "mode", "vcpus", "server", "view", "connections", "rps", "p99_ms", "errors",
                  "repetitions"]
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in summary:
            writer.writerow(dict(row, date=date, commit=report["commit"], mode=args.mode, vcpus=vcpus))


if __name__ == "__main__":
    main()
