"""Unit tests for the nginx_acme_bootstrap filter."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import nginx_acme_bootstrap as module
from ansible_collections.webstack.django.plugins.filter.nginx_acme_bootstrap import nginx_acme_bootstrap
from ansible_collections.webstack.django.plugins.filter.nginx_sites import nginx_sites

SITES = nginx_sites([
    {"name": "plain"},
    {"name": "given", "tls": {"enabled": True, "certificate": "/c.pem", "certificate_key": "/k.pem"}},
    {"name": "acme", "server_names": ["a.example"], "tls": {"enabled": True, "acme": {"enabled": True}}},
], tls_dir="/x", acme_live_dir="/le/live")


def test_not_yet_issued_acme_site_serves_its_self_signed_pair():
    served = nginx_acme_bootstrap(SITES, [])
    tls = served[2]["tls"]
    assert (tls["certificate"], tls["certificate_key"], tls["self_signed"]) == ("/x/acme.crt", "/x/acme.key", True)
    assert served[:2] == SITES[:2]


def test_issued_acme_site_serves_the_live_certificate():
    served = nginx_acme_bootstrap(SITES, ["acme"])
    assert served == SITES
    assert served[2]["tls"]["certificate"] == "/le/live/acme/fullchain.pem"


def test_input_is_not_modified():
    before = SITES[2]["tls"]["certificate"]
    nginx_acme_bootstrap(SITES, [])
    assert SITES[2]["tls"]["certificate"] == before


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError, match="nginx_acme_bootstrap"):
        nginx_acme_bootstrap(SITES, "acme")


@pytest.mark.parametrize("block", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_documentation_is_yaml(block):
    assert yaml.safe_load(getattr(module, block))


def test_filter_is_registered():
    assert module.FilterModule().filters()["nginx_acme_bootstrap"] is nginx_acme_bootstrap
