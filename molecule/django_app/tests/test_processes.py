"""The app's own processes and scheduled commands (django_app_processes, django_app_timers).

The converge playbook runs `demo_loop` (a long-running command) as two instances and `demo_tick`
(3 s of work) every 2 seconds. These tests run after the others of the scenario, in file order:
the processes run in the live release, restart in each new one, bring a failing release back,
follow a rollback; the timer fires in the live release, never twice at once; taking either out
of the inventory removes its units; bad values are refused before any change. The rollback entry
point and the converge stamp's tests are marked `full` (make test-platforms runs them, make test
leaves them out).
"""

import json
import os
import time

import pytest
import yaml

from conftest import playbook

ROOT = "/srv/demo"
INSTANCES = ("demo-loop@1.service", "demo-loop@2.service")
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def converge(*extra):
    return playbook(os.path.join(SCENARIO, "converge.yml"), "-v", *extra)


def main_pid(host, instance):
    return host.run(f"systemctl show --property=MainPID --value {instance}").stdout.strip()


def release_of(host, instance):
    """The release directory the instance's process runs in and its pid, as the process itself
    wrote them (demo_loop: its pid and the real path of its working directory, every second)."""
    number = instance.split("@")[1].split(".")[0]
    marker = host.file(f"{ROOT}/shared/state/loop-{number}.txt")
    # Read again when caught between the process's truncation and its write.
    for _attempt in range(5):
        words = marker.content_string.split() if marker.exists else []
        if len(words) == 3:
            return words[2], words[1]
        time.sleep(0.3)
    return "", ""


def live(host):
    return host.run(f"readlink -f {ROOT}/current").stdout.strip()


def wait_running(host, seconds=45):
    """Each instance active, and the process systemd runs for it writing from the live release
    (a restart takes a moment, and the marker holds the previous process's line until Django is up)."""
    deadline = time.time() + seconds
    while True:
        states = [host.run(f"systemctl is-active {i}").stdout.strip() for i in INSTANCES]
        seen = {i: (release_of(host, i), main_pid(host, i)) for i in INSTANCES}
        if all(s == "active" for s in states) and all(
                release == live(host) and pid == main for (release, pid), main in seen.values()):
            return
        if time.time() > deadline:
            raise AssertionError(f"instances not running in {live(host)}: {states} {seen}")
        time.sleep(1)


def deploy(release_id, archive="2.0.0"):
    return converge("-e", json.dumps({"demo_release": archive, "django_app_release_id": release_id}))


def test_each_instance_runs_the_live_release_as_the_app_user(host):
    # The state the earlier tests of the scenario left: converge once so the lists are as written.
    rc, out = deploy("2.0.0")
    assert rc == 0, out[-3000:]
    wait_running(host)
    for instance in INSTANCES:
        release, pid = release_of(host, instance)
        assert release == f"{ROOT}/releases/2.0.0"
        # (Its /proc/<pid>/cwd is not readable here: root in the container lacks CAP_SYS_PTRACE.)
        assert host.run(f"ps -o user= -p {pid}").stdout.strip() == "demo"


def test_a_new_release_restarts_every_instance_in_it(host):
    before = {i: release_of(host, i)[1] for i in INSTANCES}
    rc, out = deploy("2.0.1")
    assert rc == 0, out[-3000:]
    wait_running(host)
    for instance in INSTANCES:
        cwd, pid = release_of(host, instance)
        assert cwd == f"{ROOT}/releases/2.0.1" and pid != before[instance]


def test_a_no_change_run_restarts_nothing(host):
    before = {i: release_of(host, i)[1] for i in INSTANCES}
    rc, out = deploy("2.0.1")
    assert rc == 0, out[-3000:]
    assert "changed=0" in out.split("PLAY RECAP")[-1], out[-3000:]
    assert {i: release_of(host, i)[1] for i in INSTANCES} == before


def test_a_process_that_exits_at_once_fails_the_deploy_and_the_previous_release_returns(host):
    rc, out = deploy("2.0.0-crash")
    assert rc != 0
    assert "did not stay up" in out and "Rolled back to release 2.0.1" in out, out[-3000:]
    assert live(host) == f"{ROOT}/releases/2.0.1"
    wait_running(host)
    # And they stay up there: the same processes a few seconds later.
    pids = {i: release_of(host, i)[1] for i in INSTANCES}
    time.sleep(4)
    assert {i: release_of(host, i)[1] for i in INSTANCES} == pids


@pytest.mark.full
def test_a_rollback_returns_the_processes_to_the_release_it_names(host, tmp_path):
    # The rollback entry point with the converge playbook's own inputs.
    with open(os.path.join(SCENARIO, "converge.yml"), encoding="utf-8") as handle:
        play = yaml.safe_load(handle)[0]
    rollback = [{"name": "Roll back", "hosts": "all",
                 "vars": dict(play["vars"], django_app_rollback_release="2.0.0"),
                 "tasks": [{"name": "Roll the app back", "ansible.builtin.include_role": {
                     "name": "webstack.django.django_app", "tasks_from": "rollback"}}]}]
    path = tmp_path / "rollback.yml"
    path.write_text(yaml.safe_dump(rollback))
    rc, out = playbook(str(path), "-v")
    assert rc == 0, out[-3000:]
    assert live(host) == f"{ROOT}/releases/2.0.0"
    wait_running(host)


@pytest.mark.full
def test_a_stamped_run_sees_a_stopped_instance_and_starts_it_again(host):
    stamped = ("-e", json.dumps({"demo_release": "2.0.0", "django_app_release_id": "2.0.0",
                                 "django_app_converge_max_age": 3600}))
    for _run in range(2):
        rc, out = converge(*stamped)
        assert rc == 0, out[-3000:]
    assert "TASK [webstack.django.django_app : Run the app's processes and timers in the live release]" not in out
    host.run("systemctl stop demo-loop@1.service")
    rc, out = converge(*stamped)
    assert rc == 0, out[-3000:]
    assert "demo-loop@1.service is inactive" in out, out[-3000:]
    wait_running(host)


def ticks(host):
    log = host.file(f"{ROOT}/shared/state/ticks.log")
    return [line.split() for line in log.content_string.splitlines()] if log.exists else []


def test_the_timer_fires_in_the_live_release_one_run_at_a_time(host):
    # 3 s runs every 2 s: each next run starts only after the one before ended.
    release = os.path.basename(live(host))
    deadline = time.time() + 60
    while len([t for t in ticks(host) if t[0] == "end" and t[1] == release]) < 3 and time.time() < deadline:
        time.sleep(2)
    lines = ticks(host)
    assert len([t for t in lines if t[0] == "end" and t[1] == release]) >= 3, lines[-10:]
    kinds = [t[0] for t in lines]
    # Runs never overlap: start and end alternate (a run cut short by a test's restart may end
    # its log with a start).
    assert all(a != b for a, b in zip(kinds, kinds[1:])), lines
    assert all(float(e[2]) - float(s[2]) >= 3 for s, e in zip(lines[::2], lines[1::2])), lines
    assert host.run("systemctl is-failed demo-tick.service").stdout.strip() != "failed"
    timer = host.run("systemctl show --property=ActiveState,UnitFileState --value demo-tick.timer").stdout.split()
    assert timer == ["active", "enabled"]


def test_a_failed_run_shows_in_systemctl_failed(host):
    # One run by hand, the timer stopped: the next run it would start 2 s later clears the
    # failed state, which a busy machine's polling could miss.
    host.run("systemctl stop demo-tick.timer")
    host.run(f"chattr +i {ROOT}/shared/state/ticks.log || chmod 0444 {ROOT}/shared/state/ticks.log")
    try:
        run = host.run("systemctl start demo-tick.service")
        assert run.rc != 0, run.stdout + run.stderr
        assert "demo-tick.service" in host.run("systemctl --failed --no-legend").stdout
        journal = host.run("journalctl -u demo-tick.service --no-pager -n 30").stdout
        assert "Failed with result 'exit-code'" in journal, journal
    finally:
        host.run(f"chattr -i {ROOT}/shared/state/ticks.log; chmod 0640 {ROOT}/shared/state/ticks.log")
        host.run("systemctl reset-failed demo-tick.service; systemctl start demo-tick.timer")
    assert host.run("systemctl is-active demo-tick.timer").stdout.strip() == "active"


@pytest.mark.parametrize("processes, timers, expected", [
    ([{"name": "loop", "command": ["manage.py", "no_such_command"]}], [],
     "django_app_processes[0].command: the release has no management command 'no_such_command'"),
    ([], [{"name": "tick", "command": ["manage.py", "demo_tick"], "on_calendar": "every day at noon"}],
     "django_app_timers[0].on_calendar:"),
    ([{"name": "loop", "command": ["manage.py", "demo_loop"], "count": 0}], [],
     "django_app_processes[0].count: 0 must be from 1 to 64"),
    ([{"name": "loop", "command": ["manage.py", "demo_loop"], "count": 1000000000}], [],
     "django_app_processes[0].count: 1000000000 must be from 1 to 64"),
    # A unit of the same name the role did not write (the test plants it).
    ([{"name": "planted", "command": ["manage.py", "demo_loop"]}], [],
     "/etc/systemd/system/demo-planted@.service already exist"),
])
def test_bad_values_are_refused_before_any_change(host, processes, timers, expected):
    units_before = host.run("ls -l --time-style=full-iso /etc/systemd/system").stdout
    host.run("printf '[Service]\\nExecStart=/bin/true\\n' > /etc/systemd/system/demo-planted@.service")
    current = live(host)
    rc, out = converge("-e", json.dumps({"demo_release": "2.0.0", "django_app_release_id": "2.0.0",
                                         "django_app_processes": processes, "django_app_timers": timers}))
    host.run("rm -f /etc/systemd/system/demo-planted@.service")
    assert rc != 0 and expected in out, out[-3000:]
    assert live(host) == current
    assert host.run("ls -l --time-style=full-iso /etc/systemd/system").stdout == units_before
    wait_running(host)


def test_taking_them_out_of_the_inventory_removes_their_units(host):
    # The ASGI server too (its socket unit and its process), and nginx's locations for it.
    rc, out = converge("-e", json.dumps({"demo_release": "2.0.0", "django_app_release_id": "2.0.0",
                                         "django_app_processes": [], "django_app_timers": [],
                                         "django_app_asgi_locations": []}))
    assert rc == 0, out[-3000:]
    for name in ("demo-loop@.service", "demo-tick.service", "demo-tick.timer", "demo-asgi@.service", "demo-asgi.socket"):
        assert not host.file(f"/etc/systemd/system/{name}").exists
    assert host.run("pgrep -f [d]emo_loop").rc == 1
    assert host.run("pgrep -f [u]vicorn").rc == 1
    assert not host.file("/run/asgi/demo.sock").exists
    assert "/ws/" not in host.file("/etc/nginx/sites-available/demo.conf").content_string
    assert host.run("systemctl list-units --all --no-legend 'demo-*'").stdout.strip() == ""
    # And back as the converge playbook lists them.
    rc, out = converge("-e", json.dumps({"demo_release": "2.0.0", "django_app_release_id": "2.0.0"}))
    assert rc == 0, out[-3000:]
    wait_running(host)


@pytest.mark.parametrize("unit", ["demo-loop@1.service", "demo-tick.service", "demo-asgi@1.service"])
def test_the_units_are_sandboxed(host, unit):
    report = host.run(f"systemd-analyze security --no-pager {unit}").stdout
    exposure = float(report.split(f"Overall exposure level for {unit}: ")[1].split()[0])
    assert exposure <= 3.0, report
    # Read-only but for the app's state (and its uploads, when they exist).
    shown = dict(line.split("=", 1) for line in host.run(
        f"systemctl show --property=ProtectSystem,ReadWritePaths,User {unit}").stdout.splitlines() if "=" in line)
    assert shown["ProtectSystem"] == "strict" and shown["User"] == "demo", shown
    assert f"{ROOT}/shared/state" in shown["ReadWritePaths"], shown
