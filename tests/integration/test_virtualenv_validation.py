"""Bad input to the virtualenv role fails before any task touches the host, naming the variable."""

import pytest

from conftest import assert_failed_before_any_change, variables_of

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the virtualenv role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.virtualenv
"""

WHEELHOUSE_PLAY = """
- name: Build a wheelhouse with bad input
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Build the wheelhouse
      ansible.builtin.include_role:
        name: webstack.django.virtualenv
        tasks_from: wheelhouse
"""

CASES = {
    "relative venv path": ({"virtualenv_path": "venv"},
                           r'virtualenv_path: "venv" must be an absolute path'),
    "missing venv path": ({}, r"missing required arguments: virtualenv_path"),
    "relative requirements": ({"virtualenv_path": "/opt/v", "virtualenv_requirements": "requirements.txt"},
                              r'virtualenv_requirements: "requirements.txt" must be an absolute path'),
    "relative wheelhouse": ({"virtualenv_path": "/opt/v", "virtualenv_wheelhouse": "wheels"},
                            r'virtualenv_wheelhouse: "wheels" must be an absolute path'),
    "wheelhouse with an index": ({"virtualenv_path": "/opt/v", "virtualenv_wheelhouse": "/srv/wheels",
                                  "virtualenv_index_url": "https://example.invalid/simple"},
                                 r"virtualenv_wheelhouse: installs offline"),
    "packages without hashes": ({"virtualenv_path": "/opt/v", "virtualenv_require_hashes": True,
                                 "virtualenv_packages": ["six"]},
                                r"virtualenv_packages: must be empty with virtualenv_require_hashes"),
    "packages not a list": ({"virtualenv_path": "/opt/v", "virtualenv_packages": {"six": 1}},
                            r"virtualenv_packages"),
    # A system directory would be written over and chowned to the venv's owner.
    "venv a system directory": ({"virtualenv_path": "/usr/local"},
                                r"virtualenv_path: '/usr/local' is a system directory"),
    "venv in a system tree": ({"virtualenv_path": "/etc/venv"},
                              r"virtualenv_path: '/etc/venv' is in the system tree /etc"),
    "venv not normalised": ({"virtualenv_path": "/srv/demo/../../usr"},
                            r"virtualenv_path: '/srv/demo/../../usr' is not normalised"),
    "uv in a system tree": ({"virtualenv_path": "/opt/v", "virtualenv_installer": "uv",
                             "virtualenv_uv_dir": "/usr/bin"},
                            r"virtualenv_uv_dir: '/usr/bin' is a system directory"),
    "uv dir relative": ({"virtualenv_path": "/opt/v", "virtualenv_installer": "uv", "virtualenv_uv_dir": "uv"},
                        r"virtualenv_uv_dir: 'uv' must be an absolute path"),
}

WHEELHOUSE_CASES = {
    "missing wheelhouse": ({"virtualenv_packages": ["six"]}, r"virtualenv_wheelhouse: is required"),
    "relative wheelhouse": ({"virtualenv_wheelhouse": "wheels", "virtualenv_packages": ["six"]},
                            r'virtualenv_wheelhouse: "wheels" must be an absolute path'),
    "nothing to build": ({"virtualenv_wheelhouse": "/srv/wheels"},
                         r"virtualenv_requirements or virtualenv_packages: give at least one"),
}


NOT_REACHED = ("webstack.django.virtualenv : Install", "webstack.django.virtualenv : Create",
               "webstack.django.virtualenv : Build")


@pytest.fixture(scope="module")
def outcomes(run_cases):
    return run_cases(PLAY, variables_of(CASES))


@pytest.fixture(scope="module")
def second_outcomes(run_cases):
    return run_cases(WHEELHOUSE_PLAY, variables_of(WHEELHOUSE_CASES))


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_change(outcomes, case):
    assert_failed_before_any_change(outcomes[case], CASES[case][1], *NOT_REACHED)


@pytest.mark.parametrize("case", WHEELHOUSE_CASES)
def test_bad_wheelhouse_input_fails_before_any_change(second_outcomes, case):
    assert_failed_before_any_change(second_outcomes[case], WHEELHOUSE_CASES[case][1], *NOT_REACHED)
