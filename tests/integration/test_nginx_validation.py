"""Bad input to the nginx role fails before any task touches the host, naming the variable."""

import json

import pytest

from conftest import assert_failed_before_any_change

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the nginx role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.nginx
"""

CASES = {
    "site without a name": ({"nginx_sites": [{"listen": 80}]},
                            r"missing required arguments: name found in nginx_sites"),
    "port 70000": ({"nginx_sites": [{"name": "demo", "listen": 70000}]},
                   r"nginx_sites\[0\]\.listen: 70000 is out of range 1-65535"),
    "sites not a list": ({"nginx_sites": {"name": "demo"}},
                         r"nginx_sites.*(list|dict)"),
    "name with a slash": ({"nginx_sites": [{"name": "a/b"}]},
                          r"nginx_sites\[0\]\.name"),
    "TLS port out of range": ({"nginx_extra_sites": [{"name": "x", "tls": {"enabled": True, "port": 0}}]},
                              r"nginx_extra_sites\[0\]\.tls\.port"),
    "unknown profile": ({"nginx_worker_profile": "turbo"},
                        r"nginx_worker_profile"),
    "server name injects a directive": ({"nginx_sites": [{"name": "demo", "server_names": ["a; return 418"]}]},
                                        r"nginx_sites\[0\]\.server_names\[0\]: 'a; return 418' is not a host name"),
    "header value with a quote": ({"nginx_security_headers": {"X-A": 'a" always; return 418; #'}},
                                  r"nginx_security_headers"),
    "header value with $": ({"nginx_security_headers": {"X-A": "$host"}}, r"nginx_security_headers"),
    "body size injects": ({"nginx_client_max_body_size": "16m; return 418"}, r"nginx_client_max_body_size"),
    "SSLv3": ({"nginx_tls_protocols": ["SSLv3"]}, r"nginx_tls_protocols"),
    "worker connections huge": ({"nginx_worker_connections": 10**9}, r"nginx_worker_connections"),
    "negative timeout": ({"nginx_send_timeout": -1}, r"nginx_send_timeout"),
}


@pytest.mark.parametrize("extra_vars, message", CASES.values(), ids=CASES.keys())
def test_bad_input_fails_before_any_change(run_play, extra_vars, message):
    assert_failed_before_any_change(run_play(PLAY, "-e", json.dumps(extra_vars)), message,
                                    "webstack.django.nginx : Install")
