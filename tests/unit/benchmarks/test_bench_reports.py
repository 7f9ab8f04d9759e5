"""The benchmark scripts' arithmetic and report writers, without containers."""

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import celery_sweep  # noqa: E402
import common  # noqa: E402
import fleet  # noqa: E402
import report  # noqa: E402
import sizing  # noqa: E402


def run(view, p, t, rps, p99=10.0, errors=0, rep=0):
    return {"view": view, "processes": p, "threads": t, "rps": rps, "p50_ms": p99 / 2,
            "p99_ms": p99, "errors": errors, "repetition": rep}


def test_summary_takes_medians_and_ratios_against_the_best_grid_configuration():
    configs = {(1, 1): ["static 1 x 1"], (2, 1): [], (3, 1): ["plan profile=cpu"], (9, 9): ["plan x"]}
    grid = {(1, 1), (2, 1), (3, 1)}
    runs = []
    for view in sizing.VIEWS:
        for rep, (a, b, c, d) in enumerate([(100, 180, 200, 999), (110, 200, 190, 999), (90, 190, 400, 999)]):
            runs += [run(view, 1, 1, a, rep=rep), run(view, 2, 1, b, rep=rep),
                     run(view, 3, 1, c, p99=20, errors=1, rep=rep), run(view, 9, 9, d, rep=rep)]
    summary = sizing.summarise(runs, configs, grid)
    cpu = {(r["processes"], r["threads"]): r for r in summary if r["view"] == "/cpu"}
    assert cpu[(3, 1)]["rps"] == 200 and cpu[(3, 1)]["best"]
    assert cpu[(2, 1)]["ratio"] == 0.95
    assert cpu[(1, 1)]["ratio"] == 0.5
    assert cpu[(3, 1)]["errors"] == 3
    # Off-grid configurations are compared with the grid's best, never become it.
    assert cpu[(9, 9)]["ratio"] == pytest.approx(4.995) and not cpu[(9, 9)]["best"]
    assert cpu[(2, 1)]["p99_vs_best"] == 0.5


def test_configurations_add_the_plans_and_static_defaults_to_the_grid():
    env = {"vcpus": 2, "memory_mb": 4096}
    calibration = {"/cpu": {"wait_ratio": 0.1}, "/io": {"wait_ratio": 75}}
    configs, grid, plans = sizing.configurations(env, sizing.MODES["quick"], calibration)
    assert all(p * t <= sizing.MAX_SLOTS for p, t in grid)
    assert plans["plan profile=cpu"] == [3, 1]
    assert plans["plan measured W/C /io"] == [4, 38]
    assert "static 2 x vCPU + 1" in configs[(5, 1)]
    assert "static 1 x 1" in configs[(1, 1)]
    assert "plan measured W/C /io" in configs[(4, 38)]


def test_passive_and_loaded_configurations_join_the_sweeps():
    env = {"vcpus": 2, "memory_mb": 16384}
    calibration = {"/cpu": {"wait_ratio": 0.1}, "/io": {"wait_ratio": 38}}
    passive = {"/io": {"fact": {"wait_ratio": 36}, "before": [2, 1], "deployed": [2, 19]}}
    configs, _grid, plans = sizing.configurations(env, sizing.MODES["quick"], calibration, passive)
    # The web-only plan of the passive W/C, and what web.yml deployed on the web + worker host.
    assert plans["plan passive W/C /io"] == [4, 19]  # 2 x (1 + 36) slots
    assert "deployed after passive /io (web + worker)" in configs[(2, 19)]
    loaded, grid, loaded_plans, celery = sizing.loaded_configurations(env, "quick", calibration, passive)
    assert grid == {(p, t) for p in (1, 2, 4) for t in (1, 4, 16, 64)}
    # A web + worker host of 2 vCPUs: uWSGI takes its share, Celery the rest.
    assert loaded_plans["plan web + worker, measured W/C /io"] == [2, 20]
    assert celery["enabled"] and celery["concurrency"] == 1
    assert "deployed after passive /io (web + worker)" in loaded[(2, 19)]


def test_loaded_summary_keeps_the_celery_rate_and_the_report_shows_it():
    configs = {(1, 1): [], (2, 1): ["plan web + worker, profile=mixed"]}
    runs = [dict(run(view, p, 1, 100 * p, rep=rep), celery={"tasks_per_s": 10.0 * rep + p, "errors": 0})
            for view in sizing.VIEWS for p in (1, 2) for rep in (0, 1)]
    summary = sizing.summarise(runs, configs, set(configs))
    row = next(r for r in summary if r["view"] == "/io" and r["processes"] == 2)
    assert row["celery_tasks_per_s"] == 7.0 and row["celery_errors"] == 0 and row["best"]
    text = "\n".join(report.loaded_tables({
        "views": sizing.VIEWS, "loaded": {"summary": summary, "outstanding": 8, "grid": {"processes": [1, 2]},
                                          "celery_plan": {"concurrency": 1, "pool": "prefork"}}}))
    assert "| plan web + worker, profile=mixed | 2 x 1 | 200 | 100.0% | 5.0 | 10.0 | 1.0 | 0 | 7.0 |" in text
    assert "Celery at the plan's concurrency 1" in text


def test_celery_sweep_ratios_against_the_grid_and_the_plans_concurrency():
    env = {"vcpus": 2, "memory_mb": 8192}
    plan = celery_sweep.plans(env)
    assert plan["plan worker only, profile=cpu"] == 2 and plan["plan web + worker, profile=cpu"] == 1
    configs = celery_sweep.points({"cpu": (1, 2), "io": (1, 8)}, {"plan x": 3})
    assert configs == {"cpu": {1: [], 2: [], 3: ["plan x"]}, "io": {1: [], 8: [], 3: ["plan x"]}}
    runs = [{"kind": kind, "concurrency": c, "tasks_per_s": rate, "p50_ms": 10.0, "p99_ms": 20.0 * c,
             "errors": 0, "repetition": rep}
            for rep in (0, 1) for kind, c, rate in [("cpu", 1, 50), ("cpu", 2, 90), ("cpu", 3, 200),
                                                    ("io", 1, 20), ("io", 8, 160), ("io", 3, 60)]]
    summary = celery_sweep.summarise(runs, configs, {"cpu": (1, 2), "io": (1, 8)})
    cpu = {r["concurrency"]: r for r in summary if r["kind"] == "cpu"}
    # Off-grid plans are measured against the grid's best, never become it.
    assert cpu[2]["best"] and not cpu[3]["best"] and cpu[3]["ratio"] == pytest.approx(2.222)
    io = {r["concurrency"]: r for r in summary if r["kind"] == "io"}
    assert io[3]["ratio"] == 0.375 and io[3]["p99_vs_best"] == 0.38
    text = "\n".join(report.celery_tables({
        "environment": {"measured_at": "now", "vcpus": 2, "image": "img"}, "mode": "quick",
        "settings": {"repetitions": 2, "seconds": 6}, "kinds": celery_sweep.KINDS, "deployed": 1,
        "summary": summary}))
    assert "| 3 | plan x | 60.0 | 37.5% | 10.0 | 60.0 | 0.38 | 0 |" in text


def test_provision_parsers_read_the_recap_and_the_profilers():
    output = "\n".join([
        "PLAY RECAP *****",
        "webstack-bench             : ok=120  changed=0    unreachable=0    failed=0    skipped=30",
        "webstack-bench-web1        : ok=80   changed=2    unreachable=0    failed=0    skipped=10   rescued=0    ignored=1",
        "ROLES RECAP *****",
        "Tuesday 24 November 2026  10:00:00 +0000 (0:00:01.000)       0:01:00.000 ******",
        "===============================================================================",
        "webstack.django.rabbitmq ------------------------------------------------ 30.25s",
        "webstack.django.nginx ---------------------------------------------------- 5.00s",
        "TASKS RECAP *****",
        "webstack.django.rabbitmq : Install RabbitMQ ----------------------------- 20.10s",
    ])
    total, hosts = common.recap(output)
    assert total == {"ok": 200, "changed": 2, "unreachable": 0, "failed": 0, "skipped": 40, "rescued": 0,
                     "ignored": 1}
    assert hosts["webstack-bench"]["skipped"] == 30 and hosts["webstack-bench"]["ignored"] == 0
    assert common.recap("no recap here") == (None, {})
    assert common.section(output, "ROLES RECAP") == [
        {"name": "webstack.django.rabbitmq", "seconds": 30.25},
        {"name": "webstack.django.nginx", "seconds": 5.0}]
    assert common.section(output, "TASKS RECAP")[0]["name"] == "webstack.django.rabbitmq : Install RabbitMQ"


def fleet_size(web_hosts, cold, no_change, deploy, failed=False):
    steps = [{"step": "cold-converge", "seconds": cold, "rc": 0, "tasks": 200 * web_hosts},
             {"step": "no-change", "seconds": no_change, "rc": 2 if failed else 0, "tasks": 150 * web_hosts},
             {"step": "deploy-new-release", "seconds": deploy, "rc": 0, "tasks": 50 * web_hosts}]
    return {"web_hosts": web_hosts, "hosts": web_hosts + 1, "steps": steps,
            "environment": {"measured_at": "2026-12-03T18:00:00Z", "image": "webstack/debian12-systemd:latest"}}


def test_fleet_increment_is_the_least_squares_slope_over_the_sizes_that_passed():
    assert fleet.fit([(1, 10.0)]) is None
    assert fleet.fit([(1, 12.0), (2, 14.0), (4, 18.0)]) == pytest.approx((10.0, 2.0))
    sizes = [fleet_size(1, 100, 40, 30), fleet_size(2, 110, 45, 50), fleet_size(4, 130, 99, 90, failed=True)]
    lines = fleet.increments(sizes)
    assert lines["cold-converge"] == {"intercept_s": 90.0, "per_web_host_s": 10.0, "sizes": [1, 2, 4]}
    # The failed no-change run at 4 hosts is left out of its line.
    assert lines["no-change"]["sizes"] == [1, 2] and lines["no-change"]["per_web_host_s"] == 5.0
    table = "\n".join(report.fleet_tables({"sizes": sizes, "increments": lines}, hosts=100))
    assert "| 4 | 130 | failed | 90 |" in table
    # 90 s + 100 x 10 s = 1090 s, about 18 min.
    assert "| cold-converge | 90.0 | 10.0 | 1, 2, 4 | 18 |" in table


def test_transport_table_puts_the_same_steps_side_by_side():
    docker = {"steps": [{"step": "second-run", "seconds": 20.0, "tasks": 100, "seconds_per_task": 0.2},
                        {"step": "second-run-ansible-defaults", "seconds": 30.0}]}
    ssh = {"steps": [{"step": "second-run", "seconds": 25.0, "tasks": 100, "seconds_per_task": 0.25}]}
    lines = report.transport_table(docker, ssh)
    assert lines[2] == "| second-run | 20.0 | 25.0 | 1.25 | 100, 100 | 0.2, 0.25 |"
    assert len(lines) == 3


def test_plots_are_written_from_the_reports(tmp_path):
    pytest.importorskip("matplotlib")
    import plots

    configs = {(1, 1): ["static 1 x 1"], (2, 1): ["plan profile=cpu"], (2, 2): []}
    runs = [run(view, p, t, 100 * p * t) for view in sizing.VIEWS for (p, t) in configs]
    report = {"views": sizing.VIEWS, "summary": sizing.summarise(runs, configs, set(configs))}
    (tmp_path / "sizing.json").write_text(json.dumps(report))
    step = {"step": "cold-converge", "seconds": 100.0, "roles": [{"name": "webstack.django.nginx", "seconds": 9.0}]}
    (tmp_path / "provision.json").write_text(json.dumps({"steps": [step]}))
    (tmp_path / "provision-ssh.json").write_text(json.dumps({"steps": [dict(step, seconds=110.0)]}))
    sizes = [fleet_size(1, 100, 40, 30), fleet_size(2, 110, 45, 50)]
    (tmp_path / "fleet.json").write_text(json.dumps({"sizes": sizes, "increments": fleet.increments(sizes)}))
    sys.argv = ["plots.py", "--out", str(tmp_path)]
    plots.main()
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "fleet.png", "provision.png", "sizing-cpu.png", "sizing-io.png", "sizing-latency.png", "sizing-ratios.png"]


def test_passive_table_sets_the_live_measurement_beside_the_active_one():
    sizing_report = {
        "passive_window_s": 20,
        "calibration": {"/io": {"wait_ratio": 38.27, "compute_ms": 0.533}},
        "passive": {"/io": {"fact": {"wait_ratio": 36.1, "compute_ms": 0.55, "latency_ms": 20.9, "queue_ms": 0.4,
                                     "worker_busy": 0.452, "apps": {"demo": {"requests": 4000}}},
                            "before": [2, 1], "deployed": [2, 19],
                            "plan_check": {"rc": 0, "output": "as plan.yml prints: uWSGI 2 x 19"}},
                    "/cpu": {"fact": {"wait_ratio": 0.05, "requests": 9000}, "before": [2, 19], "deployed": [2, 1],
                             "plan_check": {"rc": 1, "output": "uwsgi.threads: plan.yml prints 1, the host runs 19"}}}}
    text = "\n".join(report.passive_tables(sizing_report))
    assert "| `/io` | 4000 | 36.1 | 38.27 | 0.55 | 0.533 | 20.9 | 0.4 | 45% | 2 x 1 | 2 x 19 |" in text
    assert "| `/cpu` | 9000 | 0.05 |  |  |  |  |  |  | 2 x 19 | 2 x 1 |" in text
    assert "- after `/io`: as plan.yml prints: uWSGI 2 x 19" in text
    assert "- after `/cpu`: **differs** uwsgi.threads" in text


def test_mitogen_runs_take_over_the_short_connection_names(tmp_path):
    import provision  # noqa: E402  pylint: disable=import-outside-toplevel
    source = tmp_path / "inventory"
    (source / "host_vars").mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (source / "group_vars").symlink_to(tmp_path / "shared")
    (source / "hosts.yml").write_text("all:\n  hosts:\n    h:\n      ansible_connection: community.docker.docker\n")
    (source / "host_vars" / "h.yml").write_text("ansible_connection: ansible.builtin.ssh\nansible_port: 22\n")
    dest = provision.mitogen_inventory(str(source), str(tmp_path / "copy"))
    assert "ansible_connection: docker\n" in (tmp_path / "copy" / "hosts.yml").read_text()
    assert (tmp_path / "copy" / "host_vars" / "h.yml").read_text() == "ansible_connection: ssh\nansible_port: 22\n"
    assert os.path.islink(os.path.join(dest, "group_vars"))
    assert "community.docker.docker" in (source / "hosts.yml").read_text()  # the source is left as it was
    pytest.importorskip("ansible_mitogen")
    env = provision.mitogen()
    assert env["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert os.path.isfile(os.path.join(env["ANSIBLE_STRATEGY_PLUGINS"], "mitogen_linear.py"))


def test_the_provision_report_says_whether_mitogen_was_in_use():
    step = {"step": "second-run-mitogen", "seconds": 12.0, "recap": {"changed": 0}, "tasks": 100, "skipped": 9,
            "seconds_per_task": 0.12, "roles": [], "slowest_tasks": []}
    proof = {"in_use": True, "output": "webstack-bench | CHANGED | rc=0 >>\n/usr/bin/python3(mitogen:root@bench:1)"}
    text = "\n".join(report.provision_tables({"steps": [step], "settings": {"mitogen": proof}}))
    assert "in use: True (the parent of a shell task was `/usr/bin/python3(mitogen:root@bench:1)`)" in text
    assert "| second-run-mitogen | 12.0 | 0 | 100 | 9 | 0.12 |" in text
    assert "Mitogen" not in "\n".join(report.provision_tables({"steps": [step], "settings": {}}))
