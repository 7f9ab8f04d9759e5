"""scripts/plan_check.py: what a host runs against what plan.yml prints, without containers."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

import plan_check  # noqa: E402
from ansible_collections.webstack.django.plugins.filter.worker_counts import worker_counts  # noqa: E402

INI = """[uwsgi]
listen = {listen}
processes = {processes}
threads = {threads}
harakiri = {harakiri}
reload-on-rss = {reload_on_rss}
"""


def files(plan, **changed):
    """The files the roles render for `plan`, with `changed` settings as the host runs them."""
    uwsgi = dict(plan["uwsgi"], **{k: v for k, v in changed.items() if k in plan["uwsgi"]})
    return {
        "/etc/uwsgi/demo.ini": INI.format(**uwsgi),
        "/etc/nginx/nginx.conf": f"user www-data;\nworker_processes {plan['nginx']['worker_processes']};\n",
        "/etc/nginx/sites-available/demo.conf":
            f"    location / {{\n        uwsgi_read_timeout {plan['nginx']['uwsgi_read_timeout']}s;\n",
        "/etc/systemd/system/celery-demo-worker.service":
            f"ExecStart=/srv/demo/venv/bin/celery -A demo worker \\\n    --concurrency "
            f"{changed.get('concurrency', plan['celery']['concurrency'])} \\\n    --max-memory-per-child "
            f"{plan['celery']['max_memory_per_child']}\n",
        "/etc/rabbitmq/rabbitmq.conf":
            f"vm_memory_high_watermark.absolute = {plan['rabbitmq']['vm_memory_high_watermark_mb']}MiB\n",
    }


def test_the_demo_host_running_its_plan_has_no_difference():
    plan = worker_counts({"vcpus": 4, "memory_mb": 8192}, celery=True, colocated=["rabbitmq"])
    deployed = plan_check.deployed_settings(files(plan).get, "demo")
    assert deployed["uwsgi.processes"] == plan["uwsgi"]["processes"]
    assert deployed["rabbitmq.vm_memory_high_watermark_mb"] == plan["rabbitmq"]["vm_memory_high_watermark_mb"]
    assert plan_check.differences(plan, deployed) == []
    line = plan_check.summary(plan, deployed)
    assert f"uWSGI {plan['uwsgi']['processes']} x {plan['uwsgi']['threads']}" in line
    assert f"Celery {plan['celery']['concurrency']}" in line


def test_each_setting_that_differs_is_named():
    plan = worker_counts({"vcpus": 4, "memory_mb": 8192}, celery=True)
    running = files(plan, processes=plan["uwsgi"]["processes"] + 1, concurrency=9)
    wrong = plan_check.differences(plan, plan_check.deployed_settings(running.get, "demo"))
    assert ("uwsgi.processes", plan["uwsgi"]["processes"], plan["uwsgi"]["processes"] + 1) in wrong
    assert ("celery.concurrency", plan["celery"]["concurrency"], 9) in wrong
    assert len(wrong) == 2


def test_a_service_the_plan_leaves_out_or_one_that_is_missing_is_a_difference():
    web_only = worker_counts({"vcpus": 2, "memory_mb": 4096})
    deployed = plan_check.deployed_settings(files(worker_counts({"vcpus": 2, "memory_mb": 4096}, celery=True)).get,
                                            "demo")
    assert ("celery.concurrency", "not planned (the host runs no celery)", deployed["celery.concurrency"]) \
        in plan_check.differences(web_only, deployed)
    no_uwsgi = {k: v for k, v in files(web_only).items() if "uwsgi" not in k}
    assert ("uwsgi", "planned", "not deployed") in plan_check.differences(
        web_only, plan_check.deployed_settings(no_uwsgi.get, "demo"))
