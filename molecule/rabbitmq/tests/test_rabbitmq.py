"""The broker in a real container: rabbitmq-server as the role leaves it."""

import base64
import hashlib
import json
import os
import shlex
import urllib.parse

import pytest

from conftest import playbook

PASSWORD = "molecule/only:p@ss-5e8d2c91a7"
COOKIE = "MOLECULEONLYCOOKIE7c41d9e2b8a35f60"
# The converge's second app: a leading ~, $HOME and ${HOME} (which run_command expanded when
# community.rabbitmq.rabbitmq_user passed the password), every printable ASCII character (both
# quotes, the backslash, the space) and command substitutions.
HOSTILE = ("~" + "".join(chr(c) for c in range(32, 127))
           + " $HOME ${HOME} ~root $(id) $(touch /tmp/pwned) `touch /tmp/pwned2`")
SECRETS = {"password": PASSWORD, "cookie": COOKIE, "hostile": HOSTILE}


def converge(*extra):
    """Run the scenario's converge playbook again at -vvv (the most a CI log shows) and return (rc, output)."""
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return playbook(os.path.join(scenario, "converge.yml"), "-vvv", *extra)


@pytest.fixture(scope="module")
def rerun():
    """An idempotent re-run of the converge at -vvv, for what it prints."""
    return converge()


@pytest.fixture(scope="module")
def stamped():
    """Two runs with converge stamps on: the first probes, stages and records, the second finds
    the stamp holding; what both print."""
    first = converge("-e", "rabbitmq_converge_max_age=3600")
    second = converge("-e", "rabbitmq_converge_max_age=3600")
    return first, second


def shown_forms(secret, out):
    """The forms of secret found in out: as written, escaped (JSON, YAML single quotes, Python),
    percent-encoded as in the broker URLs, base64, and the hex sha256, sha1 and md5 of it and of
    its JSON text (what a converge stamp used to digest)."""
    texts = [secret, json.dumps(secret)]
    forms = {secret, json.dumps(secret)[1:-1], secret.replace("'", "''"), repr(secret)[1:-1],
             urllib.parse.quote(secret, safe="")}
    forms |= {base64.b64encode(text.encode()).decode().rstrip("=") for text in texts}
    forms |= {hashlib.new(algo, text.encode()).hexdigest() for algo in ("sha256", "sha1", "md5") for text in texts}
    return sorted(form for form in forms if form in out)


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


def test_password_with_home_and_tilde_is_not_stored_expanded(host):
    home = host.check_output("getent passwd rabbitmq | cut -d: -f6")
    expanded = HOSTILE.replace("${HOME}", home).replace("$HOME", home)
    assert expanded != HOSTILE
    assert real_ctl(host, "authenticate_user", "hostile", expanded).rc != 0


def amqp_login(host, user, password):
    """Log in over AMQP 0-9-1 with PLAIN, as Celery does; True when the broker lets the user in
    (connection.tune), False when it refuses (connection.close, ACCESS_REFUSED)."""
    script = """
import base64, socket, struct, sys
user, password = (base64.b64decode(a).decode() for a in sys.argv[1:3])
s = socket.create_connection(("127.0.0.1", 5672), 15)
def frame():
    try:
        head = s.recv(7, socket.MSG_WAITALL)
    except ConnectionError:
        head = b""
    if len(head) < 7:
        return None  # closed or reset: a refused login without connection.close
    kind, channel, size = struct.unpack(">BHI", head)
    payload = s.recv(size + 1, socket.MSG_WAITALL)
    return struct.unpack(">HH", payload[:4])
s.sendall(b"AMQP\\x00\\x00\\x09\\x01")
assert frame() == (10, 10)
response = ("\\0" + user + "\\0" + password).encode()
args = struct.pack(">HHI", 10, 11, 0) + b"\\x05PLAIN" + struct.pack(">I", len(response)) + response + b"\\x05en_US"
s.sendall(struct.pack(">BHI", 1, 0, len(args)) + args + b"\\xce")
print({(10, 30): "tune", (10, 50): "close"}.get(frame(), "other"))
"""
    words = [base64.b64encode(value.encode()).decode() for value in (user, password)]
    result = host.run("python3 -c " + shlex.quote(script) + " " + " ".join(words))
    assert result.rc == 0, result.stderr
    return result.stdout.strip() == "tune"


def test_the_app_logs_in_over_amqp_with_the_password_as_written(host):
    assert amqp_login(host, "hostile", HOSTILE)
    assert amqp_login(host, "demo", PASSWORD)
    assert not amqp_login(host, "hostile", HOSTILE.replace("$HOME", "/var/lib/rabbitmq"))


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


def test_erlang_distribution_listens_beyond_loopback(host):
    # Why the role wants a cookie of 20 characters on every broker, loopback AMQP or not.
    assert listeners(host, 25672) - {"127.0.0.1", "[::1]"}


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


@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
def test_verbose_converge_shows_no_secret(rerun, secret):
    _ignored, out = rerun
    assert "-vvv" in out or "ESTABLISH" in out  # the run really was at -vvv
    assert shown_forms(secret, out) == []


@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
def test_converge_stamps_show_no_secret_nor_digest(stamped, secret):
    (rc1, first), (rc2, second) = stamped
    assert rc1 == 0 and rc2 == 0, first[-3000:] + second[-3000:]
    assert "the last converge holds" in second
    assert shown_forms(secret, first + second) == []


@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
def test_the_secret_check_finds_every_form(secret):
    """The check above can fail: each way a log could carry the secret is found."""
    digest = hashlib.sha256(json.dumps(secret).encode()).hexdigest()
    for out in (f"password: {json.dumps(secret)}", f"password: '{secret.replace(chr(39), chr(39) * 2)}'",
                f"url: amqp://u:{urllib.parse.quote(secret, safe='')}@h", f"parts: {{vars.x: {digest}}}",
                base64.b64encode(secret.encode()).decode()):
        assert shown_forms(secret, out), out
