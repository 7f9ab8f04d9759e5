"""A site's own TLS certificate or key that is not a file on the host is refused before the
nginx role writes anything (nginx -t would refuse the site after it was written and enabled, and
the broken site would stay enabled); self-signed and ACME sites bring their own."""

import json
import os

import pytest

from conftest import ROOT, assert_failed_before_any_change

pytestmark = pytest.mark.integration

ROLE_PLAY = """
- name: Apply the nginx role
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.nginx
"""

TASKS_PLAY = f"""
- name: Check the TLS files of sites already validated
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Validate the sites
      ansible.builtin.set_fact:
        __nginx_sites: "{{{{ nginx_sites | webstack.django.nginx_sites([], 60, '/etc/nginx/tls') }}}}"
    - name: Check the files
      ansible.builtin.include_tasks: {os.path.join(ROOT, "roles", "nginx", "tasks", "tls_files.yml")}
"""


def site(cert, key, **tls):
    return {"name": "shop", "server_names": ["shop.example"],
            "tls": {"enabled": True, "certificate": cert, "certificate_key": key, **tls}}


def test_a_missing_certificate_fails_before_any_change(run_play):
    extra = {"nginx_sites": [site("/nonexistent/shop.crt", "/etc/hostname")]}
    result = run_play(ROLE_PLAY, "-e", json.dumps(extra))
    assert_failed_before_any_change(
        result, r'nginx site "shop": tls\.certificate /nonexistent/shop\.crt\s+is not a file on localhost',
        "webstack.django.nginx : Install", "webstack.django.nginx : Write")


@pytest.mark.parametrize("cert, key, message", [
    ("/etc/hostname", "/nonexistent/shop.key", r'nginx site "shop": tls\.certificate_key /nonexistent/shop\.key'),
    ("/etc", "/etc/hostname", r'nginx site "shop": tls\.certificate /etc\s+is not a file'),
], ids=["missing key", "a directory"])
def test_a_missing_or_odd_file_is_named(run_play, cert, key, message):
    result = run_play(TASKS_PLAY, "-e", json.dumps({"nginx_sites": [site(cert, key)]}))
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, out
    assert __import__("re").search(message, out), out


@pytest.mark.parametrize("sites", [
    [site("/etc/hostname", "/etc/hostname")],
    [{"name": "plain"}],
    [{"name": "selfsigned", "tls": {"enabled": True}}],
    [{"name": "gone", "state": "absent",
      "tls": {"enabled": True, "certificate": "/nonexistent/a", "certificate_key": "/nonexistent/b"}}],
], ids=["files present", "no tls", "self-signed", "absent site"])
def test_sites_with_their_files_or_none_of_their_own_pass(run_play, sites):
    result = run_play(TASKS_PLAY, "-e", json.dumps({"nginx_sites": sites}))
    assert result.returncode == 0, result.stdout + result.stderr
