"""ACME certificates from pebble, served by nginx and renewed without a failed request."""

import json
import os
import re

from conftest import playbook

testinfra_hosts = ["webstack-acme-web"]

NAME = "web.acme.test"
WWW = "www.acme.test"
LIVE = "/etc/letsencrypt/live/acme-site"
TEST_CA = "/etc/letsencrypt/webstack-acme-ca.pem"
PEBBLE_ROOT = "/tmp/pebble-root.pem"


def pebble_root(host):
    """pebble's issuing root (made anew at each pebble start), read from its management port."""
    host.check_output(f"curl -sS --fail --cacert {TEST_CA} -o {PEBBLE_ROOT} https://pebble:15000/roots/0")
    return PEBBLE_ROOT


def served_serial(host):
    """The serial of the certificate nginx serves for the site's name, verified against pebble's root."""
    out = host.check_output(
        f"openssl s_client -connect 127.0.0.1:443 -servername {NAME} -verify_hostname {NAME} "
        f"-CAfile {pebble_root(host)} -verify_return_error </dev/null 2>/dev/null "
        "| openssl x509 -noout -serial")
    return out.strip()


def test_served_certificate_verifies_against_pebble_root(host):
    root = pebble_root(host)
    cmd = host.run(f"curl -sS --fail --cacert {root} --resolve {NAME}:443:127.0.0.1 https://{NAME}/")
    assert cmd.rc == 0, cmd.stderr
    assert cmd.stdout == "webstack acme site\n"


def test_site_points_at_the_issued_lineage(host):
    config = host.file("/etc/nginx/sites-available/acme-site.conf").content_string
    assert f"ssl_certificate {LIVE}/fullchain.pem;" in config
    assert f"ssl_certificate_key {LIVE}/privkey.pem;" in config


def test_challenge_answers_on_http_while_http_redirects(host):
    # certbot removes its challenge directory after each validation: make one for the probe.
    host.check_output("mkdir -p /var/lib/nginx-acme/.well-known/acme-challenge && "
                      "printf probe > /var/lib/nginx-acme/.well-known/acme-challenge/probe")
    try:
        body = host.check_output(
            f"curl -sS --fail --resolve {NAME}:80:127.0.0.1 http://{NAME}/.well-known/acme-challenge/probe")
        assert body == "probe"
        redirect = host.check_output(
            f"curl -sS -o /dev/null -w '%{{http_code}}' --resolve {NAME}:80:127.0.0.1 http://{NAME}/")
        assert redirect == "301"
    finally:
        host.run("rm -f /var/lib/nginx-acme/.well-known/acme-challenge/probe")


def test_keys_are_private(host):
    assert host.file(f"{LIVE}/privkey.pem").linked_to.startswith("/etc/letsencrypt/archive/")
    archive_keys = host.check_output("find /etc/letsencrypt/archive -name 'privkey*.pem' -printf '%m\\n'").split()
    account_keys = host.check_output("find /etc/letsencrypt/accounts -name private_key.json -printf '%m\\n'").split()
    assert archive_keys and account_keys
    assert all(int(mode, 8) & 0o077 == 0 for mode in archive_keys + account_keys), archive_keys + account_keys
    for directory in ("/etc/letsencrypt/archive", "/etc/letsencrypt/accounts"):
        assert host.file(directory).mode & 0o077 == 0


def test_renewal_timer_is_enabled(host):
    timer = host.service("certbot.timer")
    assert timer.is_enabled
    assert timer.is_running


def test_renewal_service_trusts_the_ca_bundle(host):
    env = host.check_output("systemctl show certbot.service -p Environment")
    assert f"REQUESTS_CA_BUNDLE={TEST_CA}" in env


def test_forced_renewal_swaps_the_certificate_without_a_failed_request(host):
    before = served_serial(host)
    root = pebble_root(host)
    # Requests every 0.1 s for as long as the renewal takes and 3 s beyond; each must succeed
    # and verify against pebble's root.
    loop = (
        "set -u; : > /tmp/acme-loop.log; "
        "( while [ ! -e /tmp/acme-loop.stop ]; do "
        f"curl -sS --fail --max-time 5 --cacert {root} --resolve {NAME}:443:127.0.0.1 "
        f"-o /dev/null -w '%{{http_code}}\\n' https://{NAME}/ >> /tmp/acme-loop.log 2>&1 "
        "|| echo FAILED >> /tmp/acme-loop.log; sleep 0.1; done ) & "
        f"REQUESTS_CA_BUNDLE={TEST_CA} certbot renew --force-renewal --no-random-sleep-on-renew "
        "> /tmp/acme-renew.log 2>&1; rc=$?; sleep 3; touch /tmp/acme-loop.stop; wait; exit $rc"
    )
    host.run("rm -f /tmp/acme-loop.stop")
    renew = host.run(loop)
    assert renew.rc == 0, host.file("/tmp/acme-renew.log").content_string
    results = host.file("/tmp/acme-loop.log").content_string.split()
    assert len(results) >= 10, results
    assert set(results) == {"200"}, results
    assert served_serial(host) != before


def test_deploy_hook_checked_nginx_before_reloading(host):
    log = host.check_output("journalctl -t webstack-acme --no-pager -o cat")
    assert re.search(r"nginx -t passed; reloading nginx for /etc/letsencrypt/live/acme-site", log), log


def test_a_name_added_to_the_site_is_requested_again_under_the_same_lineage(host):
    """server_names gains www.acme.test: the next run asks certbot again for the site's lineage,
    which then covers both names, and nginx serves it for the new name. The run shows its --diff
    (the site's new server_name) and no key."""
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rc, out = playbook(os.path.join(scenario, "converge.yml"), "--diff",
                       "-e", json.dumps({"acme_test_names": [NAME, WWW]}))
    assert rc == 0, out[-3000:]
    assert f"server_name {NAME} {WWW};" in out and "PRIVATE KEY" not in out
    assert f"acme-site: names changed from {NAME}: {NAME}, {WWW}" in out
    sans = host.check_output(f"openssl x509 -in {LIVE}/fullchain.pem -noout -ext subjectAltName")
    assert f"DNS:{NAME}" in sans and f"DNS:{WWW}" in sans, sans
    assert len(host.file("/etc/letsencrypt/renewal").listdir()) == 1
    root = pebble_root(host)
    body = host.check_output(f"curl -sS --fail --cacert {root} --resolve {WWW}:443:127.0.0.1 https://{WWW}/")
    assert body == "webstack acme site"
