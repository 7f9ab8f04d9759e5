"""Bad ACME input to the nginx role fails before any task touches the host, naming the variable."""

import pytest

from conftest import assert_failed_before_any_change, variables_of

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the nginx role with bad ACME input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.nginx
"""

SITE = {"name": "demo", "server_names": ["www.example.org"], "tls": {"enabled": True, "acme": {"enabled": True}}}
GOOD = {"nginx_sites": [SITE], "nginx_acme_email": "admin@example.org"}


def _site(**acme):
    return {**SITE, "tls": {"enabled": True, "acme": {"enabled": True, **acme}}}


CASES = {
    "plain http directory": (
        {**GOOD, "nginx_acme_directory": "http://ca.internal/directory"},
        r"nginx_acme_directory and nginx_acme_staging_directory must be https:// URLs"),
    "plain http staging directory": (
        {**GOOD, "nginx_acme_staging": True, "nginx_acme_staging_directory": "http://ca.internal/dir"},
        r"nginx_acme_directory and nginx_acme_staging_directory must be https:// URLs"),
    "directory without a scheme": (
        {**GOOD, "nginx_acme_directory": "ca.internal/directory"},
        r"must be https:// URLs"),
    "empty e-mail": (
        {**GOOD, "nginx_acme_email": ""},
        r"nginx_acme_email must be an e-mail address .* nginx_acme_register_unsafely_without_email"),
    "e-mail without a domain": (
        {**GOOD, "nginx_acme_email": "admin"},
        r"nginx_acme_email must be an e-mail address"),
    "name not in server_names": (
        {**GOOD, "nginx_sites": [_site(names=["api.example.org"])]},
        r"nginx_sites\[0\]\.tls\.acme\.names\[0\]: 'api\.example\.org' is not in the site's server_names"),
    "wildcard name": (
        {**GOOD, "nginx_sites": [{**_site(), "server_names": ["*.example.org"]}]},
        r"nginx_sites\[0\]\.tls\.acme\.names\[0\]: '\*\.example\.org' is not a DNS name the http-01"),
    "ACME and a given certificate": (
        {**GOOD, "nginx_sites": [{**SITE, "tls": {"enabled": True, "certificate": "/c.pem",
                                                  "certificate_key": "/k.pem", "acme": {"enabled": True}}}]},
        r"nginx_sites\[0\]\.tls\.acme: a site takes its certificate from ACME or from"),
    "unknown key type": (
        {**GOOD, "nginx_acme_key_type": "dsa"},
        r"nginx_acme_key_type"),
    "CA bundle not PEM": (
        {**GOOD, "nginx_acme_ca_bundle": "/etc/ssl/internal-ca.pem"},
        r"nginx_acme_ca_bundle PEM certificates"),
}


@pytest.fixture(scope="module")
def outcomes(run_cases):
    return run_cases(PLAY, variables_of(CASES))


@pytest.mark.parametrize("case", CASES)
def test_bad_acme_input_fails_before_any_change(outcomes, case):
    assert_failed_before_any_change(outcomes[case], CASES[case][1],
                                    "webstack.django.nginx : Install")
