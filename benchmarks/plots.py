"""PNG figures from the benchmark reports (sizing.json, provision*.json, fleet.json) in --out."""

from __future__ import annotations

import argparse
import os

from common import load

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def heatmaps(sizing, out):
    for view in sizing["views"]:
        rows = [r for r in sizing["summary"] if r["view"] == view and r["grid"]]
        procs = sorted({r["processes"] for r in rows})
        threads = sorted({r["threads"] for r in rows})
        grid = [[float("nan")] * len(threads) for _ignored in procs]
        for r in rows:
            grid[procs.index(r["processes"])][threads.index(r["threads"])] = r["rps"]
        fig, ax = plt.subplots(figsize=(1.1 * len(threads) + 2, 0.6 * len(procs) + 1.8))
        image = ax.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
        ax.set_xticks(range(len(threads)), [str(t) for t in threads])
        ax.set_yticks(range(len(procs)), [str(p) for p in procs])
        ax.set_xlabel("threads per process")
        ax.set_ylabel("processes")
        best = next(r for r in sizing["summary"] if r["view"] == view and r["best"])
        for r in rows:
            y, x = procs.index(r["processes"]), threads.index(r["threads"])
            mark = "*" if r["best"] else ""
            ax.text(x, y, f"{r['rps']:.0f}{mark}", ha="center", va="center", fontsize=7,
                    color="white" if r["rps"] < 0.6 * best["rps"] else "black")
        ax.set_title(f"{view}: median req/s through nginx (* best)")
        fig.colorbar(image, ax=ax, label="req/s")
        fig.tight_layout()
        fig.savefig(os.path.join(out, f"sizing-{view.strip('/')}.png"), dpi=110)
        plt.close(fig)


def ratios(sizing, out):
    views = list(sizing["views"])
    fig, axes = plt.subplots(1, len(views), figsize=(6 * len(views), 3.6), sharex=True)
    for ax, view in zip(axes, views):
        labelled = [(label, r) for r in sizing["summary"] if r["view"] == view for label in r["labels"]]
        labelled.sort(key=lambda item: item[1]["ratio"])
        names = [f"{label} ({r['processes']} x {r['threads']})" for label, r in labelled]
        values = [r["ratio"] * 100 for _ignored, r in labelled]
        colours = ["tab:blue" if label.startswith("plan") else "tab:grey" for label, _ignored in labelled]
        ax.barh(names, values, color=colours)
        ax.axvline(95, color="tab:red", linestyle="--", linewidth=1)
        for y, value in enumerate(values):
            ax.text(value + 1, y, f"{value:.0f} %", va="center", fontsize=8)
        ax.set_xlim(0, 115)
        ax.set_xlabel("% of the sweep's best median req/s (red: 95 %)")
        ax.set_title(view)
        ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "sizing-ratios.png"), dpi=110)
    plt.close(fig)


def latency(sizing, out):
    views = list(sizing["views"])
    fig, axes = plt.subplots(1, len(views), figsize=(6 * len(views), 3.8))
    for ax, view in zip(axes, views):
        rows = [r for r in sizing["summary"] if r["view"] == view]
        ax.scatter([r["rps"] for r in rows if r["grid"]], [r["p99_ms"] for r in rows if r["grid"]],
                   s=12, color="tab:grey", label="grid")
        for r in rows:
            for label in r["labels"]:
                ax.scatter([r["rps"]], [r["p99_ms"]], s=30,
                           color="tab:blue" if label.startswith("plan") else "tab:orange")
                ax.annotate(label.replace("plan ", "").replace("static ", ""), (r["rps"], r["p99_ms"]),
                            fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_yscale("log")
        ax.set_xlabel("median req/s")
        ax.set_ylabel("median p99 latency, ms (log)")
        ax.set_title(f"{view}: throughput against p99")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "sizing-latency.png"), dpi=110)
    plt.close(fig)


def provisioning(provision, ssh, out):
    steps = provision["steps"]
    over_ssh = {s["step"]: s["seconds"] for s in (ssh or {}).get("steps", [])}
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.6 + 0.4 * bool(over_ssh)))
    height = 0.4 if over_ssh else 0.8
    left.barh([y - height / 2 * bool(over_ssh) for y in range(len(steps))], [s["seconds"] for s in steps],
              height=height, color="tab:blue", label="docker connection")
    for y, s in enumerate(steps):
        left.text(s["seconds"] + 1, y - height / 2 * bool(over_ssh), f"{s['seconds']:.0f} s", va="center", fontsize=8)
        if s["step"] in over_ssh:
            left.barh([y + height / 2], [over_ssh[s["step"]]], height=height, color="tab:orange",
                      label="SSH" if y == 0 else None)
            left.text(over_ssh[s["step"]] + 1, y + height / 2, f"{over_ssh[s['step']]:.0f} s", va="center", fontsize=8)
    left.set_yticks(range(len(steps)), [s["step"] for s in steps])
    left.invert_yaxis()
    left.set_xlabel("wall time, s")
    left.set_title("Provisioning one host (playbooks/site.yml, deploy.yml)")
    if over_ssh:
        left.legend(fontsize=8, loc="lower right")
    roles = sorted(steps[0]["roles"], key=lambda r: r["seconds"], reverse=True)[:8]
    right.barh([r["name"].replace("webstack.django.", "") for r in roles],
               [r["seconds"] for r in roles], color="tab:green")
    right.invert_yaxis()
    right.set_xlabel("s (profile_roles)")
    right.set_title("Cold converge, time per role")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "provision.png"), dpi=110)
    plt.close(fig)


def fleet_scale(fleet, out):
    """Wall time of each step against the number of web hosts, with the fitted lines."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    sizes = [size["web_hosts"] for size in fleet["sizes"]]
    labels = [step["step"] for step in fleet["sizes"][0]["steps"]]
    for label, colour in zip(labels, ("tab:red", "tab:blue", "tab:green")):
        points = [(size["web_hosts"], step["seconds"]) for size in fleet["sizes"]
                  for step in size["steps"] if step["step"] == label and step["rc"] == 0]
        line = fleet.get("increments", {}).get(label)
        legend = label if not line else f"{label}: {line['per_web_host_s']:+.1f} s per web host"
        ax.plot([x for x, _y in points], [y for _x, y in points], "o", color=colour, label=legend)
        if line:
            ends = [min(sizes), max(sizes)]
            ax.plot(ends, [line["intercept_s"] + line["per_web_host_s"] * x for x in ends], "--",
                    color=colour, linewidth=1)
    ax.set_xticks(sizes)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("web hosts (and one core host: lb, db, broker, worker)")
    ax.set_ylabel("wall time, s")
    ax.set_title("site.yml and deploy.yml over a fleet (forks 10, deploy serial 1)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "fleet.png"), dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    out = parser.parse_args().out
    sizing = load(out, "sizing.json")
    if sizing:
        heatmaps(sizing, out)
        ratios(sizing, out)
        latency(sizing, out)
    provision = load(out, "provision.json")
    if provision:
        provisioning(provision, load(out, "provision-ssh.json"), out)
    fleet = load(out, "fleet.json")
    if fleet and fleet["sizes"]:
        fleet_scale(fleet, out)
    written = sorted(f for f in os.listdir(out) if f.endswith(".png"))
    print("figures: " + ", ".join(written))


if __name__ == "__main__":
    main()
