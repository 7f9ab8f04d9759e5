"""report.md in --out: the benchmark reports as Markdown tables (pasted into docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import os

from plots import load


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
        lines += ["", f"`{view}` ({spec['connections']} wrk connections): the sweep's best is "
                      f"{best['processes']} x {best['threads']} at {best['rps']:.0f} req/s "
                      f"(p50 {best['p50_ms']} ms, p99 {best['p99_ms']} ms).", "",
                  "| configuration | processes x threads | req/s | of best | p50 ms | p99 ms | p99 / best's | errors |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        labelled = sorted(((label, r) for r in rows for label in r["labels"]),
                          key=lambda item: -item[1]["ratio"])
        for label, r in labelled:
            lines.append(f"| {label} | {r['processes']} x {r['threads']} | {r['rps']:.0f} | "
                         f"{r['ratio']:.1%} | {r['p50_ms']} | {r['p99_ms']} | {r['p99_vs_best']} | "
                         f"{r['errors']} |")
    return lines


def provision_tables(provision):
    lines = [f"Measured {provision['environment']['measured_at']} on "
             f"{platform_of(provision['environment'])}.", ""] if "environment" in provision else []
    lines += ["| step | wall time (s) | changed |", "| --- | ---: | ---: |"]
    for step in provision["steps"]:
        lines.append(f"| {step['step']} | {step['seconds']} | {step['recap']['changed']} |")
    lines += ["", "Cold converge, time per role (profile_roles):", "",
              "| role | s |", "| --- | ---: |"]
    for row in provision["steps"][0]["roles"]:
        if row["seconds"] >= 1:
            lines.append(f"| {row['name']} | {row['seconds']} |")
    lines += ["", "Slowest tasks of the cold converge (profile_tasks):", "",
              "| task | s |", "| --- | ---: |"]
    for row in provision["steps"][0]["slowest_tasks"][:8]:
        lines.append(f"| {row['name']} | {row['seconds']} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    out = parser.parse_args().out
    lines = []
    sizing = load(out, "sizing.json")
    if sizing:
        lines += ["## Worker sizing", ""] + sizing_tables(sizing) + [""]
    provision = load(out, "provision.json")
    if provision:
        lines += ["## Provisioning", ""] + provision_tables(provision) + [""]
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    print(f"report: {os.path.join(out, 'report.md')}")


if __name__ == "__main__":
    main()
