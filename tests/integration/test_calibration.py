"""playbooks/calibrate.yml parses and refuses bad input before it loads or changes anything,
measures from live traffic (passive, the default) or under load (active) in check mode without
recording; the uwsgi role sizes from a recorded calibration unless uwsgi_worker_wait_ratio says
otherwise."""

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

import slow_app
from conftest import BIN, ROOT, ansible_env, assert_failed_before_any_change

pytestmark = pytest.mark.integration

PLAYBOOK = os.path.join(ROOT, "playbooks", "calibrate.yml")
NOT_REACHED = ("Measure the wait/compute ratio", "Create the local facts directory", "Record the measurement")
PROGRAM = os.path.join(ROOT, "roles", "uwsgi", "files", "usr", "local", "libexec", "webstack", "uwsgi-load-measure")
FACT = "/etc/ansible/facts.d/webstack_calibration.fact"


def run_calibrate(tmp_path, *args, **env):
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", "--check",
           "-e", "webstack_web_hosts=localhost", PLAYBOOK, *args]
    return subprocess.run(cmd, cwd=ROOT, env=ansible_env(ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp_path / "facts"), **env),
                          capture_output=True, text=True, timeout=300, check=False)


def test_syntax_check():
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "--syntax-check", "-i", "localhost,", PLAYBOOK],
                            cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


CASES = {
    "zero duration": ({"webstack_calibrate_duration": 0},
                      r"webstack_calibrate_duration: 0 must be a whole number of seconds, at least 1"),
    "fractional duration": ({"webstack_calibrate_duration": "2.5"}, r"webstack_calibrate_duration: 2.5 must be"),
    "negative warmup": ({"webstack_calibrate_warmup": -1}, r"webstack_calibrate_warmup: -1 must be"),
    "zero concurrency": ({"webstack_calibrate_concurrency": 0}, r"webstack_calibrate_concurrency: 0 must be"),
    "unknown loader": ({"webstack_calibrate_loader": "ab"}, r"webstack_calibrate_loader: ab is not one of"),
    "relative path": ({"webstack_calibrate_path": "io"}, r"webstack_calibrate_path: io must start with /"),
    "not an http URL": ({"webstack_calibrate_url": "127.0.0.1/io"},
                        r"webstack_calibrate_url: 127.0.0.1/io must be an http:// or https:// URL"),
    "no app name": ({}, r"webstack_calibrate_service: no uWSGI unit to measure; set it, or django_app_name"),
    "unknown mode": ({"webstack_calibrate_mode": "load"}, r"webstack_calibrate_mode: load is not one of passive, active"),
    "zero window": ({"webstack_calibrate_window": 0}, r"webstack_calibrate_window: 0 must be a whole number of seconds, 1-86400"),
    "window over a day": ({"webstack_calibrate_window": 86401}, r"webstack_calibrate_window: 86401 must be"),
    "fractional window": ({"webstack_calibrate_window": "1.5"}, r"webstack_calibrate_window: 1.5 must be"),
    "zero minimum": ({"webstack_calibrate_min_requests": 0}, r"webstack_calibrate_min_requests: 0 must be a whole number"),
    "relative stats socket": ({"webstack_calibrate_stats": "run/uwsgi/demo/stats.sock"},
                              r"webstack_calibrate_stats: run/uwsgi/demo/stats.sock must be an absolute path"),
    "stats socket with a space": ({"webstack_calibrate_stats": "/run/a b.sock"}, r"webstack_calibrate_stats: /run/a b.sock must be"),
    "unit the measurement cannot name": ({"webstack_calibrate_service": "uwsgi-a b.service"},
                                         r"webstack_calibrate_service: uwsgi-a b.service is not a unit name"),
}


@pytest.fixture(scope="module")
def outcomes(run_cases, tmp_path_factory):
    """Every case in one run of calibrate.yml, one local host each."""
    play = f"- name: Calibrate\n  ansible.builtin.import_playbook: {PLAYBOOK}\n"
    cases = {case: dict({"django_app_name": "demo"} if extra_vars else {}, **extra_vars)
             for case, (extra_vars, _message) in CASES.items()}
    facts = tmp_path_factory.mktemp("facts")
    return run_cases(play, cases, "-e", "webstack_web_hosts=all", env={"ANSIBLE_CACHE_PLUGIN_CONNECTION": str(facts)})


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_change(outcomes, case):
    assert_failed_before_any_change(outcomes[case], CASES[case][1], *NOT_REACHED)


def test_every_problem_is_named_at_once(tmp_path):
    result = run_calibrate(tmp_path, "-e", json.dumps({"django_app_name": "demo", "webstack_calibrate_duration": 0,
                                                       "webstack_calibrate_concurrency": "many"}))
    assert_failed_before_any_change(result, r"webstack_calibrate_duration: 0 .*; webstack_calibrate_concurrency: many",
                                    *NOT_REACHED)


def test_check_run_measures_and_records_nothing(tmp_path):
    fact = "/etc/ansible/facts.d/webstack_calibration.fact"
    existed = os.path.exists(fact)
    # An app that waits 10 ms and computes 0.5 ms per request, in place of nginx and uWSGI.
    with slow_app.running(0.01) as (pid, port):
        # systemctl answers with the app's pid for the MainPID of any unit.
        (tmp_path / "bin").mkdir()
        (tmp_path / "bin" / "systemctl").write_text("#!/bin/sh\necho %d\n" % pid)
        (tmp_path / "bin" / "systemctl").chmod(0o755)
        result = run_calibrate(
            tmp_path, "-e", json.dumps({"django_app_name": "demo", "webstack_calibrate_mode": "active",
                                        "webstack_calibrate_url": "http://127.0.0.1:%d/io" % port,
                                        "webstack_calibrate_duration": 2, "webstack_calibrate_warmup": 0,
                                        "webstack_calibrate_concurrency": 8}),
            PATH=os.pathsep.join([str(tmp_path / "bin"), BIN, os.environ["PATH"]]))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"W/C \d+(\.\d+)?: C [\d.]+ ms, W [\d.]+ ms, [\d.]+ req/s \(\d+ requests, 0 errors, "
                     r"8 clients x 2 s, (wrk|python)\) http://127.0.0.1:%d/io" % port, " ".join(out.split())), out
    assert re.search(r"TASK \[Record the measurement as a local fact\] \*+\nchanged: \[localhost\]", out), out
    assert os.path.exists(fact) == existed


WORKERS = 10


@contextlib.contextmanager
def uwsgi_stand_in(tmp_path, per_sample=1000):
    """A uWSGI stand-in: a busy process (the unit's MainPID, its CPU time counted through /proc), a
    systemctl on PATH naming it, and a stats socket whose counters grow by `per_sample` requests
    (10 ms each in uWSGI) at every read, spread over WORKERS workers so that a request waits for
    no turn (fewer than one at a time in each). Yields (the stats socket, the environment for the
    run)."""
    busy = subprocess.Popen([sys.executable, "-c", "while True: sum(range(1000))"])
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "systemctl").write_text("#!/bin/sh\nprintf 'MainPID=%d\\nControlGroup=\\n'\n" % busy.pid)
    (tmp_path / "bin" / "systemctl").chmod(0o755)
    path = str(tmp_path / "stats.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    served = [0]

    def serve():
        while True:
            try:
                conn, _ignored = server.accept()
            except OSError:
                return
            served[0] += 1
            requests = served[0] * per_sample
            doc = {"pid": busy.pid, "workers": [{"id": i + 1, "pid": busy.pid, "requests": requests // WORKERS,
                                                 "running_time": requests // WORKERS * 10000} for i in range(WORKERS)]}
            conn.sendall(json.dumps(doc).encode())
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield path, {"PATH": os.pathsep.join([str(tmp_path / "bin"), BIN, os.environ["PATH"]])}
    finally:
        server.close()
        busy.terminate()
        busy.wait(10)


def passive_vars(stats, **more):
    return json.dumps(dict({"django_app_name": "demo", "webstack_calibrate_window": 2, "webstack_calibrate_stats": stats,
                            "__webstack_calibrate_program": PROGRAM}, **more))


def test_passive_check_run_measures_live_traffic_and_records_nothing(tmp_path):
    existed = os.path.exists(FACT)
    with uwsgi_stand_in(tmp_path) as (stats, env):
        began = time.monotonic()
        result = run_calibrate(tmp_path, "-e", passive_vars(stats), **env)
        elapsed = time.monotonic() - began
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    flat = " ".join(out.split())
    assert "Measuring uwsgi-demo.service from its live traffic for 2 s (no load is sent; at least 500 requests, " \
           "stats %s)" % stats in flat, out
    # 1000 requests of 10 ms each in uWSGI; C is the busy process's CPU time per request. W is the
    # rest but for the time the busy process waited for a core (D). Bounds that hold however busy
    # the machine is: the window is at least the 2 s asked for and at most the whole run; C + D
    # is at most the busy process's wall time per request (the window over 1000 requests: in ms,
    # the window's seconds), so C + W is at least 10 ms less that, and at most 10 ms; W/C is W
    # over C.
    match = re.search(r"W/C ([\d.]+): C ([\d.]+) ms, W ([\d.]+) ms, ([\d.]+) req/s \(1000 requests of live traffic in "
                      r"([\d.]+) s, passive\) uwsgi-demo.service", flat)
    assert match, out
    ratio, compute, wait, rate, window = (float(match.group(n)) for n in range(1, 6))
    assert 2 <= window <= elapsed, (window, elapsed, out)
    assert rate == pytest.approx(1000 / window, rel=0.05), out
    assert 0 < compute <= window + 0.1, out
    assert 10 - window - 0.1 <= compute + wait <= 10.01, out
    assert ratio == pytest.approx(wait / compute, rel=0.02, abs=0.01), out
    assert re.search(r"TASK \[Measure the wait/compute ratio under load\] \*+\nskipping: \[localhost\]", out), out
    assert re.search(r"TASK \[Record the measurement as a local fact\] \*+\nchanged: \[localhost\]", out), out
    assert os.path.exists(FACT) == existed


def test_passive_window_with_too_few_requests_records_nothing(tmp_path):
    with uwsgi_stand_in(tmp_path, per_sample=20) as (stats, env):
        result = run_calibrate(tmp_path, "-e", passive_vars(stats), **env)
    assert_failed_before_any_change(
        result, r"nothing recorded, the last result stays: demo: window refused: 20 requests in 2 s, at least 500 are needed",
        "Create the local facts directory", "Record the measurement")


def test_passive_mode_needs_the_program_the_uwsgi_role_installs(tmp_path):
    result = run_calibrate(tmp_path, "-e", passive_vars("/run/uwsgi/demo/stats.sock",
                                                        __webstack_calibrate_program=str(tmp_path / "missing")))
    assert_failed_before_any_change(
        result, r"missing is missing: converge the web hosts with this collection's uwsgi role first",
        "Measure the wait/compute ratio from live traffic", "Record the measurement")


# The uwsgi role's plan, from local facts read out of a directory of the test (the role finds
# them gathered already and does not gather again).
WIRING_PLAY = """
- name: Compute the uwsgi role's plan with a recorded calibration
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Gather the facts, local ones from the test's directory
      ansible.builtin.setup:
        gather_subset: ["!all", min, hardware]
        fact_path: {facts_d}

    - name: Run the role's preflight
      ansible.builtin.include_role:
        name: webstack.django.uwsgi
        tasks_from: preflight
      vars:
        uwsgi_apps:
          - name: demo
            venv: /srv/demo/venv
            chdir: /srv/demo/current
            module: demo.wsgi:application

    - name: Show the sizing
      ansible.builtin.debug:
        msg: "sizing {{{{ __uwsgi_apps[0].settings.processes }}}} x {{{{ __uwsgi_apps[0].settings.threads }}}}"
"""


def plan_threads(run_play, tmp_path, fact, *args):
    facts_d = tmp_path / "facts.d"
    facts_d.mkdir(exist_ok=True)
    if fact is not None:
        (facts_d / "webstack_calibration.fact").write_text(json.dumps(fact))
    result = run_play(WIRING_PLAY.format(facts_d=facts_d), *args,
                      env={"ANSIBLE_CACHE_PLUGIN_CONNECTION": str(tmp_path / "facts")})
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"localhost\s*: ok=\d+\s+changed=0 ", out), out
    return tuple(int(n) for n in re.search(r"sizing (\d+) x (\d+)", out).groups())


def test_uwsgi_plan_follows_the_recorded_calibration(run_play, tmp_path):
    _ignored, threads = plan_threads(run_play, tmp_path, {"wait_ratio": 75, "compute_ms": 0.3, "wait_ms": 22.5})
    assert threads > 1


def test_uwsgi_worker_wait_ratio_wins_over_the_calibration(run_play, tmp_path):
    _ignored, threads = plan_threads(run_play, tmp_path, {"wait_ratio": 75}, "-e", '{"uwsgi_worker_wait_ratio": 0}')
    assert threads == 1


def test_without_calibration_the_profile_sizes(run_play, tmp_path):
    assert plan_threads(run_play, tmp_path, None, "-e", "uwsgi_worker_profile=cpu")[1] == 1
    assert plan_threads(run_play, tmp_path, None, "-e", "uwsgi_worker_profile=io")[1] > 1
