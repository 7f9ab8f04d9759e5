"""Hostile and mistaken inventory values on the real host: refused before anything changes.

The controller refuses well-known system names, paths and weak keys first
(tests/integration/test_django_app_validation.py); these tests show what only the host can
tell: accounts and groups below UID_MIN/GID_MIN or with uid 0, directories that hold someone
else's files or are links, an existing regular account used but never rewritten. And a release
refused by its checks leaves the running app's environment as it was, for the next restart
(a crash, a reboot) too; bin/manage reads the environment file as data, never as root's code.

They run after test_django_app.py (file order): release 2.0.0 is live.
"""

import json
import os
import re
import shlex

import pytest

from conftest import curl, playbook

ROOT = "/srv/demo"
HOST = ("-H", "Host: demo.test")
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def converge(*extra):
    """The scenario's converge playbook again, with extra vars; return (rc, output)."""
    return playbook(os.path.join(SCENARIO, "converge.yml"), *extra)


def vars_file(name, data):
    """Extra vars through a file (so that -v echoes no command-line value)."""
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], f"{name}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return f"@{path}"


def one_line(out):
    return re.sub(r"\s+", " ", out)


def refused_before_any_change(rc, out, message):
    text = one_line(out)
    assert rc != 0, text[-3000:]
    assert re.search(message, text), text[-3000:]
    assert re.search(r"\bchanged=0\b", text), text[-3000:]
    assert "TASK [webstack.django.django_app : Create the app" not in out, text[-3000:]


def snapshot(host, *paths):
    """Owner, group, mode and kind of each path (what a wrongly taken directory would lose)."""
    return host.check_output("stat -c '%n %U %G %a %F' " + " ".join(shlex.quote(p) for p in paths))


def getent(host, database, key):
    return host.check_output(f"getent {database} {shlex.quote(key)}")


@pytest.fixture
def system_account(host):
    """A system account of the host (uid below UID_MIN) that no list of well-known names holds."""
    host.run_expect([0, 9], "useradd --system --shell /bin/bash --home-dir /var/lib/sysacct --no-create-home sysacct")
    yield "sysacct"
    host.run("userdel sysacct")


def test_a_system_account_of_the_host_is_refused_and_left_as_it_was(host, system_account):
    before = getent(host, "passwd", system_account)
    uid = int(before.split(":")[2])
    assert uid < 1000
    rc, out = converge("-e", json.dumps({"django_app_user": system_account}))
    refused_before_any_change(rc, out, rf"django_app_user: '{system_account}' is a system account on the host "
                                       rf"\(uid {uid}, below UID_MIN 1000\)")
    assert getent(host, "passwd", system_account) == before


def test_an_account_with_uid_0_is_refused(host):
    host.run_expect([0, 9], "useradd --non-unique --uid 0 --gid 0 --no-create-home --shell /bin/bash toor")
    try:
        before = getent(host, "passwd", "toor")
        rc, out = converge("-e", json.dumps({"django_app_user": "toor"}))
        refused_before_any_change(rc, out, r"django_app_user: 'toor' is uid 0 on the host")
        assert getent(host, "passwd", "toor") == before
        assert host.user("root").shell == "/bin/bash"
    finally:
        host.run("userdel --force toor")


def test_a_system_group_of_the_host_is_refused(host):
    host.run_expect([0, 9], "groupadd --system sysgrp")
    try:
        gid = int(getent(host, "group", "sysgrp").split(":")[2])
        rc, out = converge("-e", json.dumps({"django_app_group": "sysgrp"}))
        refused_before_any_change(rc, out, rf"django_app_group: 'sysgrp' is a system group on the host \(gid {gid}, "
                                           r"below GID_MIN 1000\)")
    finally:
        host.run("groupdel sysgrp")


def test_the_app_account_is_marked_as_the_role_s_own(host):
    fields = getent(host, "passwd", "demo").split(":")
    assert fields[4] == "webstack.django app account"
    assert fields[5] == ROOT and fields[6] == "/usr/sbin/nologin"


@pytest.mark.parametrize("kind", ["files", "link"])
def test_a_root_directory_the_role_did_not_lay_out_is_refused(host, kind):
    path = "/srv/foreign"
    host.run_expect([0], f"rm -rf {path}")
    if kind == "files":
        host.run_expect([0], f"mkdir -m 0700 {path} && echo keep > {path}/keep.txt")
        message = rf"django_app_root: {path} exists on the host and holds files the role did not lay out \(keep\.txt\)"
        watched = (path, f"{path}/keep.txt")
    else:
        host.run_expect([0], f"ln -s /tmp {path}")
        message = rf"django_app_root: {path} is a symbolic link on the host"
        watched = ("/tmp",)
    try:
        before = snapshot(host, *watched)
        rc, out = converge("-e", json.dumps({"django_app_root": path}))
        refused_before_any_change(rc, out, message)
        assert snapshot(host, *watched) == before
    finally:
        host.run(f"rm -rf {path}")


# An account that exists and is not the app's own (a regular one: system ones are refused) is
# used as it is: no new home, shell, group or comment. Only the layout runs, for another app.
LAYOUT = """
- name: Lay out another app whose user is an existing regular account
  hosts: all
  vars:
    django_app_name: other
    django_app_user: alice
    django_app_secret_key: "molecule-only-other-secret-0c4d8e2f6a1b5c9d3e7f0a4b8c2d6e1f"
    django_app_release_archive: >-
      {{ lookup('ansible.builtin.env', 'MOLECULE_EPHEMERAL_DIRECTORY') }}/releases/demo_project-1.0.0.tar.gz
  tasks:
    - name: Check the inputs as the role does
      ansible.builtin.include_role:
        name: webstack.django.django_app
        tasks_from: preflight
    - name: Lay out the app
      ansible.builtin.include_role:
        name: webstack.django.django_app
        tasks_from: layout
"""


def test_an_existing_regular_account_is_used_but_never_rewritten(host, tmp_path):
    host.run_expect([0, 9], "useradd --create-home --shell /bin/bash --comment 'Alice Example' alice")
    play = tmp_path / "layout.yml"
    play.write_text(LAYOUT)
    try:
        before = getent(host, "passwd", "alice")
        assert int(before.split(":")[2]) >= 1000
        rc, out = playbook(str(play), "-v")
        assert rc == 0, one_line(out)[-3000:]
        assert re.search(r"TASK \[webstack\.django\.django_app : Create the app user\][^\n]*\nskipping:", out), out
        assert getent(host, "passwd", "alice") == before
        # The account runs the app all the same: it owns the app's state.
        assert host.file("/srv/other/shared/state").user == "alice"
    finally:
        host.run("rm -rf /srv/other; userdel --remove alice; groupdel other")


def _env_of_uwsgi(host):
    pid = host.check_output("systemctl show -p MainPID --value uwsgi-demo")
    return host.check_output(f"tr '\\0' '\\n' < /proc/{pid}/environ").splitlines()


def test_a_refused_release_leaves_the_environment_as_it_was(host):
    """DJANGO_HSTS_SECONDS=0 with HTTPS on fails `check --deploy` (security.W004): the release is
    refused, and shared/app.env keeps the values the live release passed with, so a restart of
    uWSGI (a crash, a reboot) runs the app as before, not with the refused settings."""
    env_file = host.file(f"{ROOT}/shared/app.env")
    before = (env_file.content_string, env_file.user, env_file.group, env_file.mode)
    refused = {"demo_release": "2.0.0",
               "django_app_env": {"DJANGO_HSTS_SECONDS": "0", "REFUSED_MARKER": "refused-release"}}
    rc, out = converge("-v", "-e", vars_file("refused-release", refused))
    text = one_line(out)
    assert rc != 0, text[-3000:]
    assert "fails Django's deployment checks (`manage.py check --deploy`) at django_app_check_fail_level security" in text
    assert "security.W004" in text, text[-3000:]
    assert "the environment was left as it was" in text
    assert (env_file.content_string, env_file.user, env_file.group, env_file.mode) == before
    assert "REFUSED_MARKER" not in env_file.content_string
    # What was refused stays beside it, for the next run to check again.
    assert "REFUSED_MARKER='refused-release'" in host.file(f"{ROOT}/shared/config/app.env.candidate").content_string
    host.run_expect([0], "systemctl restart uwsgi-demo")
    environ = _env_of_uwsgi(host)
    assert not any(line.startswith(("REFUSED_MARKER=", "DJANGO_HSTS_SECONDS=")) for line in environ), environ
    status, _ignored, body = curl(host, "https://127.0.0.1/healthz", *HOST)
    assert status == 200 and body.startswith("ok 2.0.0")


def test_bin_manage_reads_the_environment_file_as_data(host):
    """A line that is not KEY='value' stops bin/manage before anything runs, and what the file
    sets (PATH among it) reaches the app's process only, after the drop to the app user: root
    never looks a program up in it."""
    host.run_expect([0], "mkdir -p /tmp/evilbin && for name in runuser env id python3; do "
                         "printf '#!/bin/sh\\ntouch /tmp/evil-ran\\n' > /tmp/evilbin/$name; "
                         "chmod 0755 /tmp/evilbin/$name; done; rm -f /tmp/evil-ran /tmp/pwned-manage")
    lines = [line for line in host.file(f"{ROOT}/shared/app.env").content_string.splitlines()
             if not line.startswith("#")]
    try:
        host.run_expect([0], "cat > /tmp/evil.env <<'EOF'\n" + "\n".join(lines + ["PATH='/tmp/evilbin'"]) + "\nEOF")
        result = host.run(f"{ROOT}/bin/manage --env-file /tmp/evil.env shell -c "
                          "'import os; print(os.getuid(), os.environ[\"PATH\"])'")
        assert result.rc == 0, result.stdout + result.stderr
        uid = host.check_output("id -u demo")
        assert result.stdout.strip().splitlines()[-1] == f"{uid} /tmp/evilbin"
        assert not host.file("/tmp/evil-ran").exists
        host.run_expect([0], "cat > /tmp/evil2.env <<'EOF'\nA='1'\ntrue;touch /tmp/pwned-manage;X='1'\nEOF")
        result = host.run(f"{ROOT}/bin/manage --env-file /tmp/evil2.env check")
        assert result.rc == 2 and "/tmp/evil2.env line 2 is not KEY='value'" in result.stderr, result.stderr
        assert not host.file("/tmp/pwned-manage").exists
    finally:
        host.run("rm -rf /tmp/evilbin /tmp/evil.env /tmp/evil2.env /tmp/evil-ran /tmp/pwned-manage")
