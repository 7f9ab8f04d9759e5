"""Celery on RabbitMQ in a real container: round trips, beat, sizing and no task lost."""

import json
import os
import re
import time

import pytest

from conftest import playbook, worker_counts

MANAGE = "/srv/demo/bin/manage"
SECRETS = ("molecule-broker-pw-7c1e9a2b4d6f", "MOLECULECOOKIE4F2A9C7E1B3D5F7A9C1E3B5D",
           "molecule-only-secret-8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a")


def worker_children(host):
    main = host.check_output("systemctl show -p MainPID --value celery-demo-worker.service").strip()
    return list(host.process.filter(ppid=int(main)))


def test_the_converge_and_its_rerun_started_the_worker_once(host):
    # First in the file, before any test restarts it: one "Started" job message since boot
    # (systemd's MESSAGE_ID for a unit that finished starting, a restart included).
    started = host.check_output(
        "journalctl --no-pager -o cat -u celery-demo-worker.service MESSAGE_ID=39f53479d3a045ac8e11786248231fbf | wc -l")
    assert int(started) == 1


def test_worker_and_beat_run_and_are_enabled(host):
    for name in ("celery-demo-worker", "celery-demo-beat"):
        service = host.service(name)
        assert service.is_running, name
        assert service.is_enabled, name


def test_worker_runs_as_the_app_user(host):
    main = host.check_output("systemctl show -p MainPID --value celery-demo-worker.service").strip()
    assert host.process.get(pid=int(main)).user == "demo"
    assert {p.user for p in worker_children(host)} == {"demo"}


def test_worker_concurrency_equals_the_plan(host, facts):
    plan = worker_counts(facts, celery=True)
    assert len(worker_children(host)) == plan["celery"]["concurrency"]


def test_task_round_trip_through_rabbitmq(host):
    result = host.run(f"{MANAGE} celery_roundtrip --timeout 60")
    assert result.rc == 0, result.stdout + result.stderr
    assert "roundtrip ok 5" in result.stdout


def test_beat_runs_the_periodic_task(host):
    before = int(host.check_output(f"{MANAGE} heartbeat_count"))
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        time.sleep(5)
        if int(host.check_output(f"{MANAGE} heartbeat_count")) > before:
            return
    raise AssertionError("no heartbeat within 40 s")


def done(host, prefix):
    """How many of the tasks PREFIX-<n> have run (distinct keys), and how often in all."""
    return json.loads(host.check_output(f"{MANAGE} count_records --prefix {prefix}"))


def wait_for(probe, timeout, what):
    """Call probe every second until it returns something true; return that, or fail naming what."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(1)


# Logged by the worker for each task whose pool process died while running it (the task is
# then requeued: task_reject_on_worker_lost).
WORKER_LOST = "Task handler raised error: WorkerLostError"
LIST_QUEUE = "rabbitmqctl -q list_queues -p demo name messages_ready messages_unacknowledged --formatter json"


def celery_queue(listing):
    """The app's task queue in LIST_QUEUE's output ({} when it is not listed)."""
    return next((q for q in json.loads(listing) if q["name"] == "celery"), {})


def unacknowledged(host):
    """Messages of the task queue delivered to the worker and not acknowledged (0 while the
    broker does not answer)."""
    listing = host.run(LIST_QUEUE)
    return celery_queue(listing.stdout).get("messages_unacknowledged", 0) if listing.rc == 0 else 0


def worker_lost_count(host):
    return int(host.check_output(
        "journalctl --no-pager -o cat -u celery-demo-worker.service"
        f" | grep -cF '{WORKER_LOST}' || true"))


def test_no_task_lost_when_broker_restarts_and_a_worker_is_killed(host):
    """500 tasks of 100 ms each; the broker restarts, then a worker process is killed with
    SIGKILL. Each fault comes only once tasks are seen in flight, and the test shows they were."""
    lost_before = worker_lost_count(host)
    enqueue = host.run(f"{MANAGE} enqueue_records --prefix lost --count 500 --delay 0.1")
    assert enqueue.rc == 0, enqueue.stderr
    wait_for(lambda: done(host, "lost")["distinct"] > 0, 60, "no task ran")
    # The queue the moment before the restart: tasks delivered and not acknowledged (acks_late:
    # the worker holds or runs them) and tasks still waiting.
    out = host.check_output(f"{LIST_QUEUE} && systemctl restart rabbitmq-server")
    queue = celery_queue(out)
    assert queue.get("messages_unacknowledged", 0) > 0 and queue.get("messages_ready", 0) > 0, out
    assert done(host, "lost")["distinct"] < 500, "every task had run before the broker restarted"
    # The worker consumes again from the restarted broker (it holds tasks delivered by it)
    # before its process is killed.
    wait_for(lambda: unacknowledged(host) > 0, 120, "the worker took no task from the restarted broker")
    # A kill between two tasks hits an idle process; the worker logs a lost task only when
    # the process was running one (after worker_lost_wait, 10 s). Kill again until one was.
    hit = False
    for _attempt in range(3):
        children = worker_children(host)
        assert children, "no worker process to kill"
        host.run_expect([0], f"kill -9 {children[0].pid}")
        assert done(host, "lost")["distinct"] < 500, "every task had run before the kill"
        deadline = time.monotonic() + 25
        while not hit and time.monotonic() < deadline:
            time.sleep(2)
            hit = worker_lost_count(host) > lost_before
        if hit:
            break
    assert hit, "no kill hit a worker process running a task"
    counts = {}
    deadline = time.monotonic() + 300
    while counts.get("distinct") != 500 and time.monotonic() < deadline:
        time.sleep(5)
        counts = done(host, "lost")
    assert counts.get("distinct") == 500, counts
    # The task is idempotent: redelivered messages may run it again, never create a second row.
    assert counts["executions"] >= 500


def test_converge_output_shows_no_secret(host):
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rc, out = playbook(os.path.join(scenario, "converge.yml"), "-vvv")
    assert rc == 0, out[-3000:]
    assert [s for s in SECRETS if s in out] == []


# The ping runs as a task or as a handler ("RUNNING HANDLER [...]").
PING = re.compile(r"^(?:TASK|RUNNING HANDLER) \[webstack\.django\.celery : Ping each worker through the broker\]", re.M)


# A worker stopped by hand costs make test a converge more: left to make test-platforms.
@pytest.mark.parametrize("how", ["new unit", pytest.param("stopped by hand", marks=pytest.mark.full)])
def test_a_worker_the_run_starts_answers_one_ping(host, how):
    """A worker whose unit the run writes (as on a first converge: the restart handler starts it,
    the start task enables it) or that was stopped by hand is started once and pinged once."""
    unit = "/etc/systemd/system/celery-demo-worker.service"
    if how == "new unit":
        host.run_expect([0], f"systemctl disable --now celery-demo-worker && rm {unit} && systemctl daemon-reload")
    else:
        host.run_expect([0], "systemctl stop celery-demo-worker")
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rc, out = playbook(os.path.join(scenario, "converge.yml"))
    assert rc == 0, out[-3000:]
    assert host.service("celery-demo-worker").is_running and host.service("celery-demo-worker").is_enabled
    assert len(PING.findall(out)) == 1, out[-3000:]


def test_a_restarted_worker_that_cannot_reach_the_broker_fails_the_play_with_its_log(host, tmp_path):
    """The worker gate: a worker that started but does not answer through the broker fails the play."""
    # A later EnvironmentFile= overrides the app's: the worker alone gets a wrong broker password.
    dropin = "/etc/systemd/system/celery-demo-worker.service.d/broken.conf"
    broken_env = "/etc/celery-demo-broken.env"
    play = tmp_path / "restart.yml"
    play.write_text("""
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: webstack.django.celery
        tasks_from: restart
      vars:
        celery_gate_timeout: 10
        celery_apps:
          - {name: demo, app: demo, user: demo, group: demo, chdir: /srv/demo/current,
             venv: /srv/demo/current/venv, env_file: /srv/demo/shared/app.env}
""")
    host.run_expect([0], f"echo CELERY_BROKER_URL=amqp://demo:wrong@127.0.0.1:5672/demo > {broken_env}"
                         f" && mkdir -p {os.path.dirname(dropin)}"
                         f" && printf '[Service]\\nEnvironmentFile={broken_env}\\n' > {dropin}"
                         " && systemctl daemon-reload")
    try:
        rc, out = playbook(str(play))
    finally:
        host.run_expect([0], f"rm -f {dropin} {broken_env} && systemctl daemon-reload"
                             " && systemctl restart celery-demo-worker")
    assert rc != 0, out[-3000:]
    assert "The Celery worker of demo (celery-demo-worker.service) did not answer a ping" in out, out[-3000:]
    assert "ACCESS_REFUSED" in out or "Cannot connect" in out, out[-3000:]
    # Back to a worker that answers: the same restart passes the gate.
    rc, out = playbook(str(play))
    assert rc == 0, out[-3000:]
    assert [s for s in SECRETS if s in out] == []
