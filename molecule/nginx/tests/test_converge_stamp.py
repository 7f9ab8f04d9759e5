"""Converge stamps (nginx_converge_max_age): a run that finds nothing changed skips the role's
tasks after one probe; a change on the host or in the inputs converges in full again, and the
host ends as a full converge leaves it."""

import json
import os
import re

from conftest import playbook

CONVERGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "converge.yml")
STAMP = "/var/lib/webstack/converge/nginx.json"
HOLDS = "the last converge holds"


def converge(*args, check=False):
    rc, out = playbook(CONVERGE, "-v", "-e", "nginx_converge_max_age=3600", *args,
                       *(["--check"] if check else []))
    assert rc == 0, out[-3000:]
    return out


def changed(out):
    return int(re.search(r"changed=(\d+)", out.split("PLAY RECAP")[-1]).group(1))


def test_a_run_with_nothing_changed_skips_the_role_after_one_probe(host):
    converge()  # converges in full and records the stamp
    out = converge()
    assert HOLDS in out
    assert "Write nginx.conf" not in out
    assert changed(out) == 0


def test_the_stamp_is_root_only_and_holds_digests_not_values(host):
    stamp = host.file(STAMP)
    assert (stamp.user, stamp.mode) == ("root", 0o600)
    assert host.file(os.path.dirname(STAMP)).mode == 0o700
    content = json.loads(host.check_output(f"cat {STAMP}"))
    assert sorted(content) == ["at", "fingerprint", "observed", "parts"]
    assert "vars.nginx_sites" in content["parts"]
    assert "app.test" not in json.dumps(content)


def test_a_file_changed_by_hand_is_put_back(host):
    original = host.file("/etc/nginx/nginx.conf").content_string
    host.check_output("echo '# by hand' >> /etc/nginx/nginx.conf")
    out = converge()
    assert "the host's files, units or packages changed since the last converge" in out
    assert changed(out) >= 1
    assert host.file("/etc/nginx/nginx.conf").content_string == original
    assert HOLDS in converge()


def test_a_check_run_reports_a_change_by_hand_and_records_nothing(host):
    before = host.check_output(f"cat {STAMP}")
    host.check_output("echo '# by hand' >> /etc/nginx/nginx.conf")
    out = converge(check=True)
    assert changed(out) >= 1
    assert host.check_output(f"cat {STAMP}") == before
    converge()
    assert "# by hand" not in host.file("/etc/nginx/nginx.conf").content_string


def test_a_stopped_nginx_is_started_again(host):
    host.check_output("systemctl stop nginx")
    out = converge()
    assert "nginx.service is inactive" in out
    assert host.service("nginx").is_running


def test_a_changed_input_is_named_and_applied(host):
    out = converge("-e", "nginx_keepalive_timeout=31")
    assert "changed since the last converge: vars.nginx_keepalive_timeout" in out
    assert "keepalive_timeout 31;" in host.file("/etc/nginx/nginx.conf").content_string
    out = converge()
    assert "vars.nginx_keepalive_timeout" in out
    assert "keepalive_timeout 31;" not in host.file("/etc/nginx/nginx.conf").content_string
    assert HOLDS in converge()
