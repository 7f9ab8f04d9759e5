"""Bad input to the postgresql role fails before any task touches the host, naming the variable."""

import json

import pytest

from conftest import assert_failed_before_any_change, variables_of

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the postgresql role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.postgresql
"""

SECRET = "not-shown-4b7e1f9a2c"
APP = {"name": "demo", "password": SECRET}

CASES = {
    "app name with a dash": ({"postgresql_apps": [{"name": "my-app", "password": SECRET}]},
                             r"postgresql_apps\[0\]\.name, \.database and \.user must match"),
    "app name upper case": ({"postgresql_apps": [APP, {"name": "Demo2", "password": SECRET}]},
                            r"postgresql_apps\[1\]\.name"),
    "database with a quote": ({"postgresql_apps": [{"name": "demo", "database": "de'mo", "password": SECRET}]},
                              r"postgresql_apps\[0\]\.name, \.database and \.user"),
    "user postgres": ({"postgresql_apps": [{"name": "demo", "user": "postgres", "password": SECRET}]},
                      r"postgresql_apps\[0\]\.name, \.database and \.user"),
    "empty password": ({"postgresql_apps": [{"name": "demo", "password": ""}]},
                       r"postgresql_apps\[0\]\.password must be at least 16 characters"),
    "short password": ({"postgresql_apps": [APP, {"name": "other", "password": "short-pw"}]},
                       r"postgresql_apps\[1\]\.password must be at least 16 characters"),
    "15-character password": ({"postgresql_apps": [{"name": "demo", "password": SECRET[:15]}]},
                              r"postgresql_apps\[0\]\.password must be at least 16 characters"),
    "15-character replication password": ({"postgresql_primary": "db1", "postgresql_apps": [APP],
                                           "postgresql_replication_password": SECRET[:15]},
                                          r"postgresql_replication_password must be at least 16 characters"),
    "missing password": ({"postgresql_apps": [{"name": "demo"}]},
                         r"missing required arguments: password found in postgresql_apps"),
    "duplicate databases": ({"postgresql_apps": [APP, {"name": "other", "database": "demo", "password": SECRET}]},
                            r"postgresql_apps: names, databases and users must be unique"),
    "bad client network": ({"postgresql_clients": ["10.0.0.0/8", "10.0.0.300"], "postgresql_apps": [APP]},
                           r"postgresql_clients must list IP addresses or networks.*10\.0\.0\.300"),
    "client host name": ({"postgresql_clients": ["web1.example"]},
                         r"postgresql_clients must list IP addresses or networks.*web1\.example"),
    "listen on a network": ({"postgresql_listen_addresses": ["10.0.0.0/8"]},
                            r"postgresql_listen_addresses must list IP addresses"),
    "port 70000": ({"postgresql_port": 70000}, r"postgresql_port: 70000 is out of range 1-65535"),
    "standby without replication password": ({"postgresql_primary": "db1", "postgresql_apps": [APP]},
                                             r"postgresql_replication_password must be at least 16 characters"),
    "primary with standbys without replication password": (
        {"postgresql_standbys": [{"name": "db2", "address": "10.0.0.12"}]},
        r"postgresql_replication_password must be at least 16 characters"),
    "both primary and standby": ({"postgresql_primary": "db1", "postgresql_replication_password": SECRET,
                                  "postgresql_standbys": [{"name": "db3", "address": "10.0.0.13"}]},
                                 r"postgresql_primary .* makes this host a standby, and\s+postgresql_standbys"),
    "standby with a bad address": ({"postgresql_replication_password": SECRET,
                                    "postgresql_standbys": [{"name": "db2", "address": "db2.example"}]},
                                   r"postgresql_standbys\[0\]"),
    "bad slot name": ({"postgresql_primary": "db1", "postgresql_replication_password": SECRET,
                       "postgresql_replication_slot": "db-2"}, r"postgresql_replication_slot"),
    "unknown setting": ({"postgresql_settings": {"shared_buffer": "1GB"}},
                        r"postgresql_settings: unknown setting: shared_buffer"),
    "bad setting value": ({"postgresql_settings": {"max_connections": 1}},
                          r"postgresql_settings\.max_connections: 1 is out of range"),
    # Bounded by the host's memory (the controller's own, here): 40% at most.
    "shared_buffers 64TB": ({"postgresql_settings": {"shared_buffers": "64TB"}, "postgresql_apps": [APP]},
                            r"postgresql_settings\.shared_buffers: '64TB' is out of range 128kB-\d+MB on this host "
                            r"\(at most 40% of the host's memory; the host has \d+ MB\)"),
    "shared_buffers without a unit": ({"postgresql_settings": {"shared_buffers": "4096"}},
                                      r"postgresql_settings\.shared_buffers: '4096' is not a size with its unit"),
    "work_mem 1TB": ({"postgresql_settings": {"work_mem": "1TB"}},
                     r"postgresql_settings\.work_mem: '1TB' is out of range 64kB-\d+kB"),
    "tls cert without key": ({"postgresql_tls_cert": "/etc/hostname", "postgresql_tls_ca": "/etc/hostname"},
                             r"postgresql_tls_cert is set .*postgresql_tls_key and postgresql_tls_ca\s+are required"),
    "tls cert file missing": ({"postgresql_tls_cert": "/nonexistent/server.crt", "postgresql_tls_key": "/etc/hostname",
                               "postgresql_tls_ca": "/etc/hostname"},
                              r"postgresql_tls_cert: /nonexistent/server\.crt is not a file on the controller"),
}


@pytest.fixture(scope="module")
def outcomes(run_cases):
    return run_cases(PLAY, variables_of(CASES), "-v")


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_change(outcomes, case):
    result = outcomes[case]
    assert_failed_before_any_change(result, CASES[case][1], "webstack.django.postgresql : Install",
                                    "webstack.django.postgresql : Update")
    assert SECRET not in result.stdout + result.stderr


def test_passwords_are_not_shown_when_another_check_fails(run_play):
    extra = {"postgresql_port": 0, "postgresql_replication_password": SECRET + "r",
             "postgresql_apps": [{"name": "demo", "password": SECRET}]}
    result = run_play(PLAY, "-vvv", "-e", json.dumps(extra))
    assert result.returncode != 0
    assert SECRET not in result.stdout + result.stderr
