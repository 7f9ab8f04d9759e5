"""Bad input to the rabbitmq role fails before any task touches the host, naming the variable."""

import json

import pytest

from conftest import assert_failed_before_any_change

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the rabbitmq role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.rabbitmq
"""

SECRET = "not-shown-4b7e1f"

CASES = {
    "empty password": ({"rabbitmq_apps": [{"name": "demo", "password": ""}]},
                       r"rabbitmq_apps\[0\]\.password must not be empty"),
    "second app without password": ({"rabbitmq_apps": [{"name": "a", "password": SECRET},
                                                       {"name": "b", "password": ""}]},
                                    r"rabbitmq_apps\[1\]\.password must not be empty"),
    "missing password": ({"rabbitmq_apps": [{"name": "demo"}]},
                         r"missing required arguments: password found in rabbitmq_apps"),
    "vhost with a space": ({"rabbitmq_apps": [{"name": "demo", "vhost": "my vhost", "password": SECRET}]},
                           r"rabbitmq_apps\[0\]\.vhost"),
    "app name with a slash": ({"rabbitmq_apps": [{"name": "a/b", "password": SECRET}]},
                              r"rabbitmq_apps\[0\]\.name"),
    "duplicate app names": ({"rabbitmq_apps": [{"name": "a", "password": SECRET},
                                               {"name": "a", "password": SECRET}]},
                            r"rabbitmq_apps: names and users must be unique"),
    "port 70000": ({"rabbitmq_port": 70000}, r"rabbitmq_port: 70000 is out of range 1-65535"),
    "watermark 10 MB": ({"rabbitmq_vm_memory_high_watermark_mb": 10},
                        r"rabbitmq_vm_memory_high_watermark_mb a whole number of MB, at least 64 \(got 10\)"),
    "management port 0": ({"rabbitmq_management_port": 0},
                          r"rabbitmq_management_port: 0 is out of range 1-65535"),
    "apps not a list": ({"rabbitmq_apps": {"name": "demo"}}, r"rabbitmq_apps.*(list|dict)"),
    "policy apply_to": ({"rabbitmq_policies": [{"name": "p", "pattern": ".*", "apply_to": "streams"}]},
                        r"apply_to"),
    "policy without pattern": ({"rabbitmq_policies": [{"name": "p", "vhost": "demo"}]},
                               r"rabbitmq_policies\[0\]"),
    "bad node name": ({"rabbitmq_nodename": "no-at-sign"}, r"rabbitmq_nodename"),
}


@pytest.mark.parametrize("extra_vars, message", CASES.values(), ids=CASES.keys())
def test_bad_input_fails_before_any_change(run_play, extra_vars, message):
    result = run_play(PLAY, "-v", "-e", json.dumps(extra_vars))
    assert_failed_before_any_change(result, message, "webstack.django.rabbitmq : Install")
    assert SECRET not in result.stdout + result.stderr


def test_password_is_not_shown_when_another_check_fails(run_play):
    extra = {"rabbitmq_port": 0, "rabbitmq_apps": [{"name": "demo", "password": SECRET}]}
    result = run_play(PLAY, "-vvv", "-e", json.dumps(extra))
    assert result.returncode != 0
    assert SECRET not in result.stdout + result.stderr
