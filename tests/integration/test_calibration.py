"""playbooks/calibrate.yml parses and refuses bad input before it loads or changes anything; the
uwsgi role sizes from a recorded calibration unless uwsgi_worker_wait_ratio says otherwise."""

import json
import os
import re
import subprocess

import pytest

import slow_app
from conftest import BIN, ROOT, ansible_env, assert_failed_before_any_change

pytestmark = pytest.mark.integration

PLAYBOOK = os.path.join(ROOT, "playbooks", "calibrate.yml")
NOT_REACHED = ("Measure the wait/compute ratio", "Create the local facts directory", "Record the measurement")


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
}


@pytest.mark.parametrize("extra_vars, message", CASES.values(), ids=CASES.keys())
def test_bad_input_fails_before_any_change(tmp_path, extra_vars, message):
    extra = dict({"django_app_name": "demo"} if extra_vars else {}, **extra_vars)
    assert_failed_before_any_change(run_calibrate(tmp_path, "-e", json.dumps(extra)), message, *NOT_REACHED)


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
            tmp_path, "-e", json.dumps({"django_app_name": "demo", "webstack_calibrate_url": "http://127.0.0.1:%d/io" % port,
                                        "webstack_calibrate_duration": 2, "webstack_calibrate_warmup": 0,
                                        "webstack_calibrate_concurrency": 8}),
            PATH=os.pathsep.join([str(tmp_path / "bin"), BIN, os.environ["PATH"]]))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert re.search(r"W/C \d+(\.\d+)?: C [\d.]+ ms, W [\d.]+ ms, [\d.]+ req/s \(\d+ requests, 0 errors, "
                     r"8 clients x 2 s, (wrk|python)\) http://127.0.0.1:%d/io" % port, " ".join(out.split())), out
    assert re.search(r"TASK \[Record the measurement as a local fact\] \*+\nchanged: \[localhost\]", out), out
    assert os.path.exists(fact) == existed


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
