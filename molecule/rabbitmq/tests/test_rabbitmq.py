"""The broker in a real container: rabbitmq-server as the role leaves it."""

import os
import shlex

import pytest

from conftest import playbook

PASSWORD = "molecule/only:p@ss-5e8d2c91a7"
COOKIE = "MOLECULEONLYCOOKIE7c41d9e2b8a35f60"
# The converge's second app: every printable ASCII character and two command substitutions.
HOSTILE = "".join(chr(c) for c in range(32, 127)) + " $(touch /tmp/pwned) `touch /tmp/pwned2`"


def converge(*extra):
    """Run the scenario's converge playbook again (verbose) and return (rc, output)."""
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return playbook(os.path.join(scenario, "converge.yml"), "-v", *extra)


@pytest.fixture(scope="module")
def rerun():
    """An idempotent re-run of the converge at -v, for what it prints."""
    return converge()


def ctl(host, *args):
    return host.run(" ".join(shlex.quote(a) for a in ("rabbitmqctl", "-q", *args)))


def listeners(host, port):
    """Local addresses listening on a TCP port."""
    out = host.check_output(f"ss -Hltn 'sport = :{port}'")
    return {line.split()[3].rsplit(":", 1)[0] for line in out.splitlines() if line.strip()}


def test_service_is_running_and_enabled(host):
    service = host.service("rabbitmq-server")
    assert service.is_running
    assert service.is_enabled


def test_running_node_blocks_publishers_at_the_planned_watermark(host):
    limit = ctl(host, "eval", "vm_memory_monitor:get_memory_limit().")
    assert limit.rc == 0, limit.stderr
    assert int(limit.stdout.strip()) == 512 * 1024 * 1024


def test_node_answers_check_running(host):
    assert host.run("rabbitmq-diagnostics -q check_running").rc == 0


def test_guest_user_is_gone(host):
    users = ctl(host, "list_users")
    assert users.rc == 0, users.stderr
    names = {line.split()[0] for line in users.stdout.splitlines() if line.strip()}
    assert "guest" not in names
    assert "demo" in names


def test_app_vhost_exists(host):
    vhosts = ctl(host, "list_vhosts")
    assert "demo" in vhosts.stdout.split()


def test_app_user_has_permissions_on_its_vhost_only(host):
    perms = ctl(host, "list_user_permissions", "demo")
    assert perms.rc == 0, perms.stderr
    rows = [line.split("\t") for line in perms.stdout.splitlines() if line.strip()]
    rows = [row for row in rows if row[0] != "vhost"]  # header, when printed
    assert rows == [["demo", ".*", ".*", ".*"]]


def test_app_user_has_no_tags(host):
    users = ctl(host, "list_users")
    demo = [line for line in users.stdout.splitlines() if line.split()[:1] == ["demo"]]
    assert demo and demo[0].split(None, 1)[1].strip() in ("[]", "")


def test_password_authenticates_and_a_wrong_one_does_not(host):
    assert ctl(host, "authenticate_user", "demo", PASSWORD).rc == 0
    assert ctl(host, "authenticate_user", "demo", PASSWORD + "x").rc != 0


def real_ctl(host, *args):
    """rabbitmqctl without the distribution's wrapper, which would expand $ and backticks."""
    return host.run("HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl -q "
                    + " ".join(shlex.quote(a) for a in args))


def test_password_of_every_printable_character_is_stored_as_written(host):
    assert real_ctl(host, "authenticate_user", "hostile", HOSTILE).rc == 0
    assert real_ctl(host, "authenticate_user", "hostile", HOSTILE[:-1]).rc != 0


def test_command_substitution_in_a_password_runs_nothing(host):
    assert not host.file("/tmp/pwned").exists
    assert not host.file("/tmp/pwned2").exists
    assert host.run("find / -xdev -name 'pwned*' -newer /etc/hostname").stdout.strip() == ""


def test_amqp_listens_on_loopback_only(host):
    assert listeners(host, 5672) == {"127.0.0.1"}


def test_amqp_answers_on_loopback(host):
    # The broker answers a protocol header with its own (AMQP 0-9-1 connection.start).
    cmd = host.run("python3 -c \"import socket; s=socket.create_connection(('127.0.0.1',5672),5); "
                   "s.sendall(b'AMQP\\x00\\x00\\x09\\x01'); print(s.recv(7)[:1] == b'\\x01')\"")
    assert cmd.rc == 0, cmd.stderr
    assert cmd.stdout.strip() == "True"


def test_management_listens_on_loopback_only(host):
    assert listeners(host, 15672) == {"127.0.0.1"}


def test_management_plugin_is_enabled(host):
    plugins = host.run("rabbitmq-plugins -q list -E")
    assert "rabbitmq_management" in plugins.stdout


def test_policy_exists_in_the_app_vhost(host):
    policies = ctl(host, "list_policies", "-p", "demo")
    assert "demo-limits" in policies.stdout
    assert "max-length" in policies.stdout


def test_erlang_cookie_is_0400_rabbitmq(host):
    cookie = host.file("/var/lib/rabbitmq/.erlang.cookie")
    assert cookie.mode == 0o400
    assert cookie.user == "rabbitmq"
    assert cookie.content_string == COOKIE


def test_node_name_is_rabbit_at_short_hostname(host):
    hostname = host.check_output("hostname -s")
    assert f"NODENAME=rabbit@{hostname}" in host.file("/etc/rabbitmq/rabbitmq-env.conf").content_string


def test_verbose_converge_is_idempotent(rerun):
    rc, out = rerun
    assert rc == 0, out
    assert "changed=0" in out, out


@pytest.mark.parametrize("secret", [PASSWORD, COOKIE, "molecule%2Fonly", HOSTILE], ids=["password", "cookie", "url", "hostile"])
def test_verbose_converge_shows_no_secret(rerun, secret):
    _ignored, out = rerun
    assert secret not in out
