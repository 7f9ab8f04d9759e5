"""Bad input to the seaweedfs role fails before any task touches the host, naming the variable."""

import json
import re

import pytest

from conftest import assert_failed_before_any_change, variables_of

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the seaweedfs role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.seaweedfs
"""

SECRET = "not-shown/4b7e1f+9c2d"
ACCESS = "NOTSHOWNKEY4B7E1F"


def bucket(app="demo", **over):
    return {"app": app, "access_key": ACCESS, "secret_key": SECRET, "public_read": True, **over}


CASES = {
    "app name with a capital": ({"seaweedfs_buckets": [bucket("Demo")]},
                                r"seaweedfs_buckets\[0\]\.app: 'Demo' must be an app name"),
    "app name with a dot": ({"seaweedfs_buckets": [bucket("demo.site")]}, r"seaweedfs_buckets\[0\]\.app"),
    "two-character app": ({"seaweedfs_buckets": [bucket("ab")]},
                          r"seaweedfs_buckets\[0\]\.app: 'ab' gives the bucket 'ab', and an S3 bucket name has 3 to 63"),
    "app ending with _": ({"seaweedfs_buckets": [bucket("demo_")]},
                          r"seaweedfs_buckets\[0\]\.app: 'demo_' gives the bucket 'demo-'"),
    "app named anonymous": ({"seaweedfs_buckets": [bucket("anonymous")]},
                            r"seaweedfs_buckets\[0\]\.app: 'anonymous' is SeaweedFS's identity"),
    "duplicate apps": ({"seaweedfs_buckets": [bucket("demo"), bucket("demo", access_key="OTHERKEY1")]},
                       r"seaweedfs_buckets: items 0, 1 have the same app 'demo'"),
    "apps with the same bucket": ({"seaweedfs_buckets": [bucket("demo_a"), bucket("demo-a", access_key="OTHERKEY1")]},
                                  r"seaweedfs_buckets: items 0, 1 have the same bucket 'demo-a'"),
    "duplicate access keys": ({"seaweedfs_buckets": [bucket("demo"), bucket("other")]},
                              r"seaweedfs_buckets: items 0, 1 have the same access key"),
    "access key with a dash": ({"seaweedfs_buckets": [bucket(access_key="NOT-SHOWN-KEY")]},
                               r"seaweedfs_buckets\[0\]\.access_key: must be 8 to 128 letters and digits"),
    "short access key": ({"seaweedfs_buckets": [bucket(access_key="ABC")]}, r"seaweedfs_buckets\[0\]\.access_key"),
    "15-character secret": ({"seaweedfs_buckets": [bucket(secret_key=SECRET[:15])]},
                            r"seaweedfs_buckets\[0\]\.secret_key: must be at least 16 printable ASCII characters"),
    "secret with a space": ({"seaweedfs_buckets": [bucket(secret_key=SECRET + " x")]},
                            r"seaweedfs_buckets\[0\]\.secret_key: must be at least 16 printable"),
    "missing secret": ({"seaweedfs_buckets": [{"app": "demo", "access_key": ACCESS}]},
                       r"missing required arguments: secret_key found in seaweedfs_buckets"),
    "public_read the string false": ({"seaweedfs_buckets": [bucket(public_read="false")]},
                                     r"seaweedfs_buckets\[0\]\.public_read: 'false' must be a boolean"),
    "public_read the string no": ({"seaweedfs_buckets": [bucket(public_read="no")]},
                                  r"seaweedfs_buckets\[0\]\.public_read: 'no' must be a boolean"),
    "unknown bucket key": ({"seaweedfs_buckets": [bucket(region="eu")]}, r"seaweedfs_buckets\.region\. Supported parameters include"),
    "buckets not a list": ({"seaweedfs_buckets": "demo"}, r"seaweedfs_buckets"),
    "bind address a name": ({"seaweedfs_s3_bind_address": "localhost"},
                            r"seaweedfs_s3_bind_address: 'localhost' is not an IPv4 or IPv6 address"),
    "bind address 999.1.1.1": ({"seaweedfs_s3_bind_address": "999.1.1.1"}, r"seaweedfs_s3_bind_address: '999\.1\.1\.1'"),
    "bind address a network": ({"seaweedfs_s3_bind_address": "10.0.0.0/8"}, r"seaweedfs_s3_bind_address"),
    "port 70000": ({"seaweedfs_s3_port": 70000}, r"seaweedfs_s3_port: 70000 is out of range 1024-55535"),
    "port 80": ({"seaweedfs_s3_port": 80}, r"seaweedfs_s3_port: 80 is out of range 1024-55535"),
    "port of the master": ({"seaweedfs_s3_port": 9333}, r"seaweedfs_s3_port: 9333 is a port SeaweedFS uses itself"),
    "data dir /": ({"seaweedfs_data_dir": "/"}, r"seaweedfs_data_dir: '/' is a system directory"),
    "data dir /etc/x": ({"seaweedfs_data_dir": "/etc/x"}, r"seaweedfs_data_dir: '/etc/x' is in the system tree /etc"),
    "data dir /var/lib": ({"seaweedfs_data_dir": "/var/lib"}, r"seaweedfs_data_dir: '/var/lib' is a system directory"),
    "data dir relative": ({"seaweedfs_data_dir": "var/lib/seaweedfs"},
                          r"seaweedfs_data_dir: 'var/lib/seaweedfs' must be an absolute path"),
    "data dir with ..": ({"seaweedfs_data_dir": "/var/lib/../tmp"}, r"seaweedfs_data_dir: .* is not normalised"),
    "data dir in /tmp": ({"seaweedfs_data_dir": "/tmp/seaweedfs"}, r"seaweedfs_data_dir: '/tmp/seaweedfs' is below /tmp"),
    "data dir in the venv": ({"seaweedfs_data_dir": "/opt/seaweedfs/data"},
                             r"seaweedfs_data_dir: '/opt/seaweedfs/data' overlaps /opt/seaweedfs"),
    "url host with a space": ({"seaweedfs_url_host": "my host"}, r"seaweedfs_url_host: 'my host' must be a host name"),
    "volume size 0": ({"seaweedfs_volume_size_limit_mb": 0}, r"seaweedfs_volume_size_limit_mb: 0 is out of range 1-30000"),
    "volume max negative": ({"seaweedfs_volume_max": -1}, r"seaweedfs_volume_max: -1 is out of range 0-100000"),
    "relative wheelhouse": ({"seaweedfs_wheelhouse": "wheels"}, r"seaweedfs_wheelhouse: 'wheels' must be an absolute path"),
}


@pytest.fixture(scope="module")
def outcomes(run_cases):
    return run_cases(PLAY, variables_of(CASES), "-v")


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_change(outcomes, case):
    result = outcomes[case]
    assert_failed_before_any_change(result, CASES[case][1], "webstack.django.seaweedfs : Create the seaweedfs group")
    out = result.stdout + result.stderr
    assert SECRET not in out and ACCESS not in out


def test_good_input_passes_the_checks_and_exports_the_storages(run_play):
    play = PLAY + """
  post_tasks:
    - name: Show what the role exports
      ansible.builtin.debug:
        msg: "{{ seaweedfs_media_storages | to_json | b64encode }}"
"""
    extra = {"seaweedfs_buckets": [bucket("demo_site"), bucket("intranet", access_key="OTHERKEY1", public_read=False)],
             "seaweedfs_url_host": "storage1"}
    # --tags never: only the checks (tagged always) and the export run, nothing touches the host.
    result = run_play(play, "-e", json.dumps(extra), "--tags", "never,always")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "Create the seaweedfs group" not in out
    assert SECRET not in out


def test_keys_are_not_shown_at_vvv_when_another_check_fails(run_play):
    extra = {"seaweedfs_s3_port": 1, "seaweedfs_buckets": [bucket("demo"), bucket("other", secret_key="tooShort!")]}
    result = run_play(PLAY, "-vvv", "-e", json.dumps(extra))
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"seaweedfs_s3_port: 1 is out of range", out), out
    assert re.search(r"seaweedfs_buckets\[1\]\.secret_key: must be", out), out
    assert SECRET not in out and ACCESS not in out and "tooShort" not in out
