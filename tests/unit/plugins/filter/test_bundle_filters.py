"""Unit tests for the offline bundle's filters: apt_closure and bundle_mismatch."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter.apt_closure import apt_closure
from ansible_collections.webstack.django.plugins.filter.bundle_mismatch import bundle_mismatch

SIMULATION = """\
NOTE: This is only a simulation!
Reading package lists...
The following NEW packages will be installed:
  erlang-base nginx
Inst python3.11 [3.11.2-6+deb12u8] (3.11.2-6+deb12u9 Debian-Security:12/oldstable-security [amd64]) []
Inst erlang-base (1:25.2.3+dfsg-1+deb12u4 Debian:12.15/oldstable [amd64])
Inst rabbitmq-server (3.10.8-1.1+deb12u1 Debian:12.15/oldstable [all])
Conf erlang-base (1:25.2.3+dfsg-1+deb12u4 Debian:12.15/oldstable [amd64])
"""

MANIFEST = {
    "distribution": {"id": "Debian", "release": "bookworm", "version": "12"},
    "architecture": "amd64",
    "python": {"abi": "cpython-311-x86_64-linux-gnu"},
}
HOST = {"distribution": "Debian", "release": "bookworm", "architecture": "amd64",
        "abi": "cpython-311-x86_64-linux-gnu"}


def test_closure_lists_every_inst_line_with_its_archive_file_name():
    assert apt_closure(SIMULATION) == [
        {"name": "python3.11", "version": "3.11.2-6+deb12u9", "architecture": "amd64",
         "file": "python3.11_3.11.2-6+deb12u9_amd64.deb"},
        {"name": "erlang-base", "version": "1:25.2.3+dfsg-1+deb12u4", "architecture": "amd64",
         "file": "erlang-base_1%3a25.2.3+dfsg-1+deb12u4_amd64.deb"},
        {"name": "rabbitmq-server", "version": "3.10.8-1.1+deb12u1", "architecture": "all",
         "file": "rabbitmq-server_3.10.8-1.1+deb12u1_all.deb"},
    ]


def test_closure_accepts_lines():
    assert [p["name"] for p in apt_closure(SIMULATION.splitlines())] == ["python3.11", "erlang-base", "rabbitmq-server"]


def test_closure_of_nothing_to_install_is_empty():
    assert apt_closure("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n") == []


def test_closure_rejects_other_input():
    with pytest.raises(AnsibleFilterError, match="apt-get -s output"):
        apt_closure({"stdout": ""})


def test_matching_bundle_has_no_mismatch():
    assert bundle_mismatch(MANIFEST, HOST) == []


def test_each_difference_is_named_with_both_values():
    host = dict(HOST, release="trixie", abi="cpython-313-x86_64-linux-gnu")
    assert bundle_mismatch(MANIFEST, host) == [
        "release: bundle bookworm, host trixie",
        "Python ABI: bundle cpython-311-x86_64-linux-gnu, host cpython-313-x86_64-linux-gnu",
    ]


def test_architecture_and_distribution_differences():
    host = dict(HOST, distribution="Ubuntu", architecture="arm64")
    assert bundle_mismatch(MANIFEST, host) == [
        "distribution: bundle Debian, host Ubuntu",
        "architecture: bundle amd64, host arm64",
    ]


def test_manifest_without_a_field_is_refused():
    manifest = {k: v for k, v in MANIFEST.items() if k != "python"}
    assert bundle_mismatch(manifest, HOST) == ["Python ABI: the manifest does not say (python.abi missing)"]


def test_bad_input_raises():
    with pytest.raises(AnsibleFilterError, match="manifest must be a dict"):
        bundle_mismatch("x", HOST)
