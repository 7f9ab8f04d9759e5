"""Bad input to the uwsgi role fails before any task touches the host, naming the variable."""

import json

import pytest

from conftest import assert_failed_before_any_change, variables_of

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the uwsgi role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.uwsgi
"""

APP = {"name": "demo", "venv": "/srv/demo/venv", "chdir": "/srv/demo/current", "module": "demo.wsgi:application"}

CASES = {
    "name with a slash": ({"uwsgi_apps": [dict(APP, name="demo/x")]},
                          r"uwsgi_apps\[0\]\.name: 'demo/x' must match"),
    "name with spaces": ({"uwsgi_apps": [dict(APP, name="my demo")]},
                         r"uwsgi_apps\[0\]\.name: 'my demo' must match"),
    "zero processes": ({"uwsgi_apps": [APP], "uwsgi_processes": 0},
                       r"uwsgi_processes: 0 must be at least 1"),
    "negative processes": ({"uwsgi_apps": [APP], "uwsgi_processes": -3},
                           r"uwsgi_processes: -3 must be at least 1"),
    "zero processes in an app": ({"uwsgi_apps": [dict(APP, overrides={"processes": 0})]},
                                 r"uwsgi_apps\[0\]\.overrides\.processes: 0 must be at least 1"),
    "relative venv": ({"uwsgi_apps": [dict(APP, venv="venv")]},
                      r"uwsgi_apps\[0\]\.venv: 'venv' must be an absolute"),
    "app without a name": ({"uwsgi_apps": [{"venv": "/v"}]},
                           r"missing required arguments: name found in uwsgi_apps"),
    "extra app with a bad name": ({"uwsgi_extra_apps": [dict(APP, name="a b")]},
                                  r"uwsgi_extra_apps\[0\]\.name"),
    "processes not a number": ({"uwsgi_apps": [APP], "uwsgi_processes": "many"},
                               r"uwsgi_processes"),
    "unknown profile": ({"uwsgi_worker_profile": "turbo"}, r"uwsgi_worker_profile"),
    "negative wait ratio": ({"uwsgi_worker_wait_ratio": -1}, r"uwsgi_worker_wait_ratio must be 0-1000 \(got -1\)"),
    "wait ratio not a number": ({"uwsgi_worker_wait_ratio": "slow"}, r"uwsgi_worker_wait_ratio"),
    "measurement every 10 s": ({"uwsgi_load_measure_interval": 10},
                               r"uwsgi_load_measure_interval 60-604800 \(got 10\)"),
    "measurement interval not a number": ({"uwsgi_load_measure_interval": "hourly"}, r"uwsgi_load_measure_interval"),
    "no minimum of requests": ({"uwsgi_load_measure_min_requests": 0},
                               r"uwsgi_load_measure_min_requests 1-1000000000 \(got 0\)"),
    "measurement switch not a boolean": ({"uwsgi_load_measure": "sometimes"}, r"uwsgi_load_measure"),
}


@pytest.fixture(scope="module")
def outcomes(run_cases):
    return run_cases(PLAY, variables_of(CASES))


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_change(outcomes, case):
    assert_failed_before_any_change(outcomes[case], CASES[case][1],
                                    "webstack.django.uwsgi : Install",
                                    "webstack.django.uwsgi : Read net.core.somaxconn")


def test_a_missing_account_fails_before_any_change(run_play, tmp_path):
    # Not in check mode (where an earlier task may create the account): the check runs after the
    # converge probe and before the first task that installs anything.
    app = dict(APP, venv=str(tmp_path / "venv"), chdir=str(tmp_path / "app"), user="webstack-nobody-here",
               group="root")
    result = run_play(PLAY, "-e", json.dumps({"uwsgi_apps": [app]}), check=False)
    assert_failed_before_any_change(result, r"uwsgi_apps: user webstack-nobody-here does not exist",
                                    "webstack.django.uwsgi : Install")
    assert "TASK [webstack.django.uwsgi : Read the users and groups" in result.stdout
