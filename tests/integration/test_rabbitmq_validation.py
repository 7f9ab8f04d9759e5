"""Bad input to the rabbitmq role fails before any task touches the host, naming the variable."""

import json
import re

import pytest

from conftest import assert_failed_before_any_change, variables_of

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the rabbitmq role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.rabbitmq
"""

SECRET = "not-shown-4b7e1f-9c2d"
COOKIE = "NOTSHOWNCOOKIE4B7E1F9C2D"

CASES = {
    "empty password": ({"rabbitmq_apps": [{"name": "demo", "password": ""}]},
                       r"rabbitmq_apps\[0\]\.password must be at least 16 characters"),
    "second app without password": ({"rabbitmq_apps": [{"name": "a", "password": SECRET},
                                                       {"name": "b", "password": ""}]},
                                    r"rabbitmq_apps\[1\]\.password must be at least 16 characters"),
    "one-character password": ({"rabbitmq_apps": [{"name": "a", "password": SECRET}, {"name": "b", "password": "Q"}]},
                               r"rabbitmq_apps\[1\]\.password must be at least 16 characters"),
    "15-character password": ({"rabbitmq_apps": [{"name": "a", "password": SECRET[:15]}]},
                              r"rabbitmq_apps\[0\]\.password must be at least 16 characters"),
    "password with a leading space": ({"rabbitmq_apps": [{"name": "a", "password": " " + SECRET}]},
                                      r"rabbitmq_apps\[0\]\.password must not start or end with whitespace"),
    "password with a line break": ({"rabbitmq_apps": [{"name": "a", "password": SECRET + "\nx"}]},
                                   r"rabbitmq_apps\[0\]\.password must not start or end with whitespace nor hold a line break"),
    "3-character cookie": ({"rabbitmq_erlang_cookie": "ABC", "rabbitmq_apps": [{"name": "a", "password": SECRET}]},
                           r"rabbitmq_erlang_cookie must be at least 20 characters"),
    "19-character cookie": ({"rabbitmq_erlang_cookie": COOKIE[:19]},
                            r"rabbitmq_erlang_cookie must be at least 20 characters"),
    "user with $HOME": ({"rabbitmq_apps": [{"name": "a", "user": "a$HOME", "password": SECRET}]},
                        r"rabbitmq_apps\[0\]\.vhost and \.user must not contain spaces or \$ nor start with ~"),
    "vhost starting with ~": ({"rabbitmq_apps": [{"name": "a", "vhost": "~a", "password": SECRET}]},
                              r"rabbitmq_apps\[0\]\.vhost and \.user"),
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
                        r"rabbitmq_vm_memory_high_watermark_mb: 10 is out of range 64-\d+ \(MB; at most half of this host's"),
    "watermark above half the memory": ({"rabbitmq_vm_memory_high_watermark_mb": 10**7},
                                        r"rabbitmq_vm_memory_high_watermark_mb: 10000000 is out of range 64-\d+"),
    "bind address 999.1.1.1": ({"rabbitmq_bind_address": "999.1.1.1"},
                               r"rabbitmq_bind_address: \"999\.1\.1\.1\" is not an IPv4 or IPv6 address"),
    "bind address 1:2:3": ({"rabbitmq_bind_address": "1:2:3"}, r"rabbitmq_bind_address: \"1:2:3\" is not an IPv4"),
    "bind address a network": ({"rabbitmq_bind_address": "10.0.0.0/8"}, r"rabbitmq_bind_address: \"10\.0\.0\.0/8\""),
    "management address a name": ({"rabbitmq_management_bind_address": "localhost"},
                                  r"rabbitmq_management_bind_address: \"localhost\" is not an IPv4"),
    "converge max age a year": ({"rabbitmq_converge_max_age": 31536000},
                                r"rabbitmq_converge_max_age: 31536000 is out of range 0-2592000"),
    "management port 0": ({"rabbitmq_management_port": 0},
                          r"rabbitmq_management_port: 0 is out of range 1-65535"),
    "apps not a list": ({"rabbitmq_apps": {"name": "demo"}}, r"rabbitmq_apps.*(list|dict)"),
    "policy apply_to": ({"rabbitmq_policies": [{"name": "p", "pattern": ".*", "apply_to": "streams"}]},
                        r"apply_to"),
    "policy without pattern": ({"rabbitmq_policies": [{"name": "p", "vhost": "demo"}]},
                               r"rabbitmq_policies\[0\]"),
    "bad node name": ({"rabbitmq_nodename": "no-at-sign"}, r"rabbitmq_nodename"),
}


@pytest.fixture(scope="module")
def outcomes(run_cases):
    return run_cases(PLAY, variables_of(CASES), "-v")


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_change(outcomes, case):
    result = outcomes[case]
    assert_failed_before_any_change(result, CASES[case][1], "webstack.django.rabbitmq : Install")
    assert SECRET not in result.stdout + result.stderr


def test_password_is_not_shown_when_another_check_fails(run_play):
    extra = {"rabbitmq_port": 0, "rabbitmq_apps": [{"name": "demo", "password": SECRET}]}
    result = run_play(PLAY, "-vvv", "-e", json.dumps(extra))
    assert result.returncode != 0
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("weak", ["Q", "short-pw", " " + SECRET + " "], ids=["1 character", "8 characters", "outer spaces"])
def test_a_weak_secret_is_named_at_vvv_without_its_value_or_length(run_play, weak):
    extra = {"rabbitmq_erlang_cookie": "ABC", "rabbitmq_apps": [{"name": "demo", "password": weak}]}
    result = run_play(PLAY, "-vvv", "-e", json.dumps(extra))
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"rabbitmq_apps\[0\]\.password must .*; rabbitmq_erlang_cookie must be at least 20", out), out
    if len(weak) > 1:  # one letter is everywhere
        assert weak.strip() not in out
    assert not re.search(rf"\b(length|got)\W+{len(weak)}\b", out)
