"""A real host of another tested OS refuses this OS's bundle before anything changes on it."""

import json

from test_refusals import TARBALL, assert_nothing_installed, deploy, member

testinfra_hosts = ["webstack-airgap-other"]
OTHER = "webstack-airgap-other"


def test_bundle_of_another_os_is_refused_by_a_real_host_of_that_os(host):
    built_for = json.loads(member("manifest.json"))["distribution"]
    facts = host.ansible("setup", "gather_subset=!all,min")["ansible_facts"]
    here = (facts["ansible_distribution"], facts["ansible_distribution_release"])
    assert (built_for["id"], built_for["release"]) != here, "the other host must run another OS"
    rc, out = deploy(TARBALL, target=OTHER)
    assert rc != 0, out[-3000:]
    assert "does not match this host" in out, out[-3000:]
    assert f"release: bundle {built_for['release']}, host {here[1]}" in out, out[-3000:]
    assert_nothing_installed(host, out, target=OTHER)
