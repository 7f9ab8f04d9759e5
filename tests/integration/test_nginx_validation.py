"""Bad input to the nginx role fails before any task touches the host, naming the variable."""

import json
import re

import pytest

from conftest import assert_failed_before_any_change, variables_of

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
    "negative timeout": ({"nginx_send_timeout": -1}, r"nginx_send_timeout: -1 must be 0-86400 s"),
    # The self-signed certificates' directory (root:root 0750): its own, below /etc/nginx or /etc/ssl.
    "tls dir leaves /etc/nginx": ({"nginx_tls_dir": "/etc/nginx/../../tmp"},
                                  r'nginx_tls_dir: "/etc/nginx/\.\./\.\./tmp" must be a normalised directory of its own'),
    "tls dir /tmp": ({"nginx_tls_dir": "/tmp"}, r'nginx_tls_dir: "/tmp" must be'),
    "tls dir /tmp/tls": ({"nginx_tls_dir": "/tmp/tls"}, r'nginx_tls_dir: "/tmp/tls" must be'),
    "tls dir /etc/nginx": ({"nginx_tls_dir": "/etc/nginx"}, r'nginx_tls_dir: "/etc/nginx" must be'),
    "tls dir /etc/ssl/certs": ({"nginx_tls_dir": "/etc/ssl/certs"}, r'nginx_tls_dir: "/etc/ssl/certs" must be'),
    "tls dir /etc/ssl/private": ({"nginx_tls_dir": "/etc/ssl/private"}, r'nginx_tls_dir: "/etc/ssl/private" must be'),
    "tls dir with //": ({"nginx_tls_dir": "/etc/nginx//tls"}, r'nginx_tls_dir: "/etc/nginx//tls" must be'),
    "tls dir with a trailing /": ({"nginx_tls_dir": "/etc/nginx/tls/"}, r'nginx_tls_dir: "/etc/nginx/tls/" must be'),
    # A string where a list is needed (the argument spec would split it on commas).
    "ciphers a string": ({"nginx_tls_ciphers": "ECDHE-RSA-AES128-GCM-SHA256"}, r"nginx_tls_ciphers: .* must be a list"),
    "protocols a string": ({"nginx_tls_protocols": "TLSv1.3"}, r"nginx_tls_protocols: .* must be a non-empty list"),
    # A site's switch that is no boolean (the argument spec refuses it first, where it types it).
    "site tls enabled maybe": ({"nginx_sites": [{"name": "demo", "tls": {"enabled": "maybe"}}]},
                               r"argument 'enabled' is of type str found in 'nginx_sites -> tls'"),
    "server down maybe": ({"nginx_sites": [{"name": "demo", "upstream": {"servers": [{"address": "h:80", "down": "x"}]}}]},
                          r"nginx_sites\[0\]\.upstream\.servers\[0\]\.down: 'x' is not a boolean"),
}

# The role-wide switches go into nginx.conf as they are: a string "false" (-e nginx_gzip=false)
# would be true there, so it is refused, naming the variable.
SWITCHES = ["nginx_server_tokens", "nginx_gzip", "nginx_acme_staging", "nginx_acme_register_unsafely_without_email",
            "nginx_listen_ipv6", "nginx_remove_default_site"]
CASES.update({f"{name} the string false": ({name: "false"}, rf'{name}: "false" is not a boolean') for name in SWITCHES})


@pytest.fixture(scope="module")
def outcomes(run_cases):
    return run_cases(PLAY, variables_of(CASES))


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_change(outcomes, case):
    assert_failed_before_any_change(outcomes[case], CASES[case][1], "webstack.django.nginx : Install")


def _shape(result):
    """What a case's run shows: its return code, the tasks it reached, each result's kind, the
    messages it failed with and its line of the recap."""
    out = result.stdout
    return (result.returncode, re.findall(r"^TASK \[(.+?)\] \*", out, re.M),
            re.findall(r"^(ok|changed|fatal|failed|skipping): \[localhost\]", out, re.M),
            re.findall(r"^\[ERROR\]: (.*)$", out, re.M), re.findall(r"^localhost\s*: (.*)$", out, re.M))


@pytest.mark.parametrize("case", ["negative timeout", "site without a name", "nginx_gzip the string false"])
def test_a_case_of_a_shared_run_shows_what_its_own_run_shows(run_play, outcomes, case):
    """conftest.run_cases runs every case of a table at once, one host each: a case's part of
    that run shows the tasks, results, messages and recap of a run of that case alone."""
    alone, shared = _shape(run_play(PLAY, "-e", json.dumps(CASES[case][0]))), _shape(outcomes[case])
    assert shared == alone and alone[0] != 0 and alone[3], (shared, alone)


def test_each_bad_value_gets_its_own_message(run_play):
    bad = {"nginx_tls_dir": "/tmp", "nginx_send_timeout": -1, "nginx_user": "a b", "nginx_gzip": "false"}
    result = run_play(PLAY, "-e", json.dumps(bad))
    out = result.stdout + result.stderr
    assert_failed_before_any_change(result, r"nginx_user", "webstack.django.nginx : Install")
    for sentence in (r'nginx_user: "a b" must be an account name\.', r"nginx_send_timeout: -1 must be 0-86400 s\.",
                     r'nginx_tls_dir: "/tmp" must be a normalised directory'):
        assert re.search(sentence, out), out
    assert "nginx_worker_processes" not in out and "nginx_gzip_types" not in out, out


SITES = """
- name: Check the sites as the role does
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the role's checks
      ansible.builtin.include_role:
        name: webstack.django.nginx
        tasks_from: preflight
        public: true
    - name: Write the sites as the role completed them
      ansible.builtin.copy:
        content: "{{ __nginx_sites | to_json }}"
        dest: %s
        mode: "0600"
"""


@pytest.mark.parametrize("text", ["no", "false", "0", "off"])
def test_a_site_switch_given_as_a_string_false_is_false(run_play, tmp_path, text):
    """tls.enabled: "no" is a plain HTTP site (not TLS with a redirect to itself)."""
    sites = [{"name": "demo", "default_server": text, "tls": {"enabled": text, "redirect_http": text},
              "upstream": {"servers": [{"address": "127.0.0.1:8000", "down": text, "backup": text}]}}]
    result = run_play(SITES % (tmp_path / "sites.json"), "-e", json.dumps({"nginx_sites": sites}), check=False)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    (site,) = json.loads((tmp_path / "sites.json").read_text())
    assert site["default_server"] is False and site["tls"]["enabled"] is False and site["tls"]["redirect_http"] is False
    assert site["upstream"]["servers"][0]["down"] is False and site["upstream"]["servers"][0]["backup"] is False
