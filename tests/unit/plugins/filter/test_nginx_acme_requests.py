"""Unit tests for the nginx_acme_requests filter."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import nginx_acme_requests as module
from ansible_collections.webstack.django.plugins.filter.nginx_acme_requests import nginx_acme_requests
from ansible_collections.webstack.django.plugins.filter.nginx_sites import nginx_sites

SITES = nginx_sites([
    {"name": "one", "server_names": ["a.example"], "tls": {"enabled": True, "acme": {"enabled": True}}},
    {"name": "two", "server_names": ["b.example", "www.b.example"], "tls": {"enabled": True, "acme": {"enabled": True}}},
], tls_dir="/x", acme_live_dir="/le/live")


def issued(site, *names):
    """A result of community.crypto.x509_certificate_info looped over the issued sites."""
    return {"item": site, "changed": False, "subject_alt_name": [f"DNS:{n}" for n in names]}


def test_sites_without_a_certificate_get_their_first():
    assert nginx_acme_requests(SITES, []) == [
        {"name": "one", "names": ["a.example"], "reason": "first certificate", "first": True},
        {"name": "two", "names": ["b.example", "www.b.example"], "reason": "first certificate", "first": True},
    ]


def test_certificates_that_cover_the_names_need_no_request_whatever_the_case_or_order():
    results = [issued(SITES[0], "A.example"), issued(SITES[1], "www.b.example", "b.example")]
    assert nginx_acme_requests(SITES, results) == []


def test_a_name_added_or_removed_is_requested_again_under_the_same_name():
    added = nginx_acme_requests(SITES, [issued(SITES[0], "a.example"), issued(SITES[1], "b.example")])
    assert added == [{"name": "two", "names": ["b.example", "www.b.example"],
                      "reason": "names changed from b.example", "first": False}]
    removed = nginx_acme_requests(SITES[:1], [issued(SITES[0], "a.example", "old.example")])
    assert removed[0]["reason"] == "names changed from a.example, old.example"


def test_skipped_or_failed_reads_count_as_no_certificate():
    results = [{"item": SITES[0], "skipped": True}, dict(issued(SITES[1], "b.example", "www.b.example"), failed=True)]
    assert [r["name"] for r in nginx_acme_requests(SITES, results) if r["first"]] == ["one", "two"]


def test_ip_addresses_on_a_certificate_are_not_names():
    result = issued(SITES[0], "a.example")
    result["subject_alt_name"].append("IP:192.0.2.1")
    assert nginx_acme_requests(SITES[:1], [result]) == []


@pytest.mark.parametrize("sites, certificates", [
    ("one", []),
    (SITES, "x"),
    ([{"name": "no-tls"}], []),
    (SITES, [{"subject_alt_name": []}]),
])
def test_bad_input_is_refused(sites, certificates):
    with pytest.raises(AnsibleFilterError, match="nginx_acme_requests"):
        nginx_acme_requests(sites, certificates)


def test_documentation_is_yaml_and_names_the_filter():
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["name"] == "nginx_acme_requests"
    texts = doc["description"] + [t for o in doc["options"].values() for t in (o["description"] if isinstance(o["description"], list) else [o["description"]])]
    assert all(isinstance(text, str) for text in texts), texts
    assert yaml.safe_load(module.EXAMPLES) and yaml.safe_load(module.RETURN)
    assert module.FilterModule().filters() == {"nginx_acme_requests": nginx_acme_requests}
