"""Bad input to the celery role fails before any task touches the host, naming the variable."""

import pytest

from conftest import assert_failed_before_any_change, variables_of

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the celery role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.celery
"""

APP = {"name": "demo", "app": "demo", "chdir": "/srv/demo/current", "venv": "/srv/demo/current/venv"}

CASES = {
    "concurrency 0": ({"celery_apps": [APP], "celery_concurrency": 0}, r"celery_concurrency is 0"),
    "unknown pool": ({"celery_apps": [APP], "celery_pool": "fibers"}, r"celery_pool"),
    "relative venv": ({"celery_apps": [{**APP, "venv": "venv"}]}, r"celery_apps\[0\].*absolute"),
    "name with a space": ({"celery_apps": [{**APP, "name": "de mo"}]}, r"celery_apps\[0\]: name"),
    "app missing": ({"celery_apps": [{k: v for k, v in APP.items() if k != "app"}]},
                    r"missing required arguments: app"),
    "restart after 0 s": ({"celery_apps": [APP], "celery_restart_sec": 0},
                          r"celery_restart_sec: 0 is out of range 1-3600 \(seconds\)"),
    "restart after -1 s": ({"celery_apps": [APP], "celery_restart_sec": -1},
                           r"celery_restart_sec: -1 is out of range 1-3600"),
    "restart after a day": ({"celery_apps": [APP], "celery_restart_sec": 86400},
                            r"celery_restart_sec: 86400 is out of range 1-3600"),
    "converge max age a year": ({"celery_apps": [APP], "celery_converge_max_age": 31536000},
                                r"celery_converge_max_age: 31536000 is out of range 0-2592000"),
    "memory per child beyond the host": ({"celery_apps": [APP], "celery_max_memory_per_child": 1073741824},
                                         r"celery_max_memory_per_child: 1073741824 is out of range 1-\d+ \(KiB; at most this host's"),
}


@pytest.fixture(scope="module")
def outcomes(run_cases):
    return run_cases(PLAY, variables_of(CASES))


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_change(outcomes, case):
    assert_failed_before_any_change(outcomes[case], CASES[case][1],
                                    "webstack.django.celery : Write")
