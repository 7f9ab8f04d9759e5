"""A primary and a streaming standby as the postgresql role leaves them."""

import os
import shlex
import time

from urllib.parse import quote

import pytest
import testinfra

from conftest import playbook

from ansible_collections.webstack.django.plugins.filter.postgresql_settings import (
    postgresql_settings,
)

PRIMARY = "webstack-pg-primary"
STANDBY = "webstack-pg-standby"
PASSWORD = "molecule-only-pg-pw-3c9e1a7b"
OTHER_PASSWORD = "molecule/only:other@pw-8f2d51"
REPLICATION_PASSWORD = "molecule-only-repl-pw-6b0d42e1"
# TLS is on in this scenario (molecule.yml, prepare.yml): the role puts the CA here on every db host.
CA = "/etc/ssl/webstack/postgresql-ca.crt"
PROMOTE = """
- name: Promote the standby
  hosts: webstack-pg-standby
  gather_facts: false
  tasks:
    - name: Promote it
      ansible.builtin.include_role:
        name: webstack.django.postgresql
        tasks_from: promote
"""
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def get_host(name):
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


@pytest.fixture(scope="module")
def primary():
    return get_host(PRIMARY)


@pytest.fixture(scope="module")
def standby():
    return get_host(STANDBY)


@pytest.fixture(scope="module")
def rerun():
    """An idempotent re-run of the converge at -vvv, for what it prints."""
    return playbook(os.path.join(SCENARIO, "converge.yml"), "-vvv")


def version(host):
    return host.check_output("ls /etc/postgresql").split()[0]


def url(user, password, host, database, sslmode=None):
    """A connection URI; by default verify-full against the CA for a host name (the certificate
    names the containers), require (TLS, no name to verify) for an address."""
    if sslmode is None:
        sslmode = "require" if host[0].isdigit() else "verify-full"
    query = f"?sslmode={sslmode}" + (f"&sslrootcert={CA}" if sslmode.startswith("verify") else "")
    return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:5432/{database}{query}"


def address(host):
    return host.ansible("setup", "gather_subset=!all,network")["ansible_facts"]["ansible_default_ipv4"]["address"]


def psql(host, conninfo, sql):
    """psql with a connection URI from inside the container; returns the command result."""
    return host.run(f"psql {shlex.quote(conninfo)} -XtAq -v ON_ERROR_STOP=1 -c {shlex.quote(sql)}")


def superuser(host, sql, database="postgres"):
    """psql as postgres over the local socket (peer authentication)."""
    return host.run(f"runuser -u postgres -- psql -d {database} -XtAq -v ON_ERROR_STOP=1 -c {shlex.quote(sql)}")


def test_service_is_running_and_enabled(host):
    cluster = host.service(f"postgresql@{version(host)}-main")
    assert cluster.is_running
    assert cluster.is_enabled
    assert host.service("postgresql").is_enabled


def test_app_logs_in_over_tcp_from_the_other_container(standby):
    result = psql(standby, url("demo", PASSWORD, PRIMARY, "demo"), "SELECT current_user, current_database(), inet_server_addr() IS NOT NULL")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "demo|demo|t"


def test_an_app_connects_over_verified_tls(standby):
    result = psql(standby, f"postgresql://demo:{PASSWORD}@{PRIMARY}/demo?sslmode=verify-full&sslrootcert={CA}",
                  "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "t"


def test_a_connection_without_tls_is_refused(standby, primary):
    for host, target in ((standby, PRIMARY), (primary, "127.0.0.1")):
        result = psql(host, url("demo", PASSWORD, target, "demo", sslmode="disable"), "SELECT 1")
        assert result.rc != 0
        assert "no pg_hba.conf entry" in result.stderr and "no encryption" in result.stderr, result.stderr


def test_verify_full_refuses_a_name_the_certificate_does_not_carry(standby, primary):
    result = psql(standby, url("demo", PASSWORD, address(primary), "demo", sslmode="verify-full"), "SELECT 1")
    assert result.rc != 0
    assert "does not match host name" in result.stderr, result.stderr


def test_tls_settings(host):
    assert superuser(host, "SHOW ssl").stdout.strip() == "on"
    assert superuser(host, "SHOW ssl_min_protocol_version").stdout.strip() == "TLSv1.2"
    assert superuser(host, "SHOW ssl_cert_file").stdout.strip() == f"/etc/postgresql/{version(host)}/main/webstack-server.crt"


def test_pg_hba_admits_tcp_over_tls_only(host):
    types = superuser(host, "SELECT DISTINCT type FROM pg_hba_file_rules ORDER BY 1")
    assert types.rc == 0, types.stderr
    assert types.stdout.split() == ["hostssl", "local"]


def test_the_private_key_is_private_to_postgres_and_the_ca_is_installed(host):
    key = host.file(f"/etc/postgresql/{version(host)}/main/webstack-server.key")
    assert key.mode == 0o600
    assert key.user == "postgres"
    cert = host.file(f"/etc/postgresql/{version(host)}/main/webstack-server.crt")
    assert cert.mode == 0o644
    ca = host.file(CA)
    assert ca.mode == 0o644
    assert ca.user == "root"
    assert "BEGIN CERTIFICATE" in ca.content_string


def test_a_password_with_reserved_characters_logs_in(standby):
    result = psql(standby, url("other", OTHER_PASSWORD, PRIMARY, "other"), "SELECT current_user")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "other"


def test_a_wrong_password_is_refused(standby):
    result = psql(standby, url("demo", PASSWORD + "x", PRIMARY, "demo"), "SELECT 1")
    assert result.rc != 0
    assert "password authentication failed" in result.stderr


@pytest.mark.parametrize("user, password, database", [
    ("demo", PASSWORD, "other"), ("other", OTHER_PASSWORD, "demo"), ("demo", PASSWORD, "postgres"),
])
def test_an_app_role_cannot_reach_another_database(standby, primary, user, password, database):
    over_tcp = psql(standby, url(user, password, PRIMARY, database), "SELECT 1")
    assert over_tcp.rc != 0
    assert "no pg_hba.conf entry" in over_tcp.stderr, over_tcp.stderr
    local = psql(primary, url(user, password, "127.0.0.1", database), "SELECT 1")
    assert local.rc != 0
    assert "no pg_hba.conf entry" in local.stderr, local.stderr


def test_no_one_else_may_connect_to_an_app_database(primary):
    acl = superuser(primary, "SELECT datacl::text FROM pg_database WHERE datname = 'demo'")
    assert acl.rc == 0, acl.stderr
    # Only the owner's own entry: PUBLIC (an entry starting with "=") has no CONNECT.
    assert "{=" not in acl.stdout and ",=" not in acl.stdout, acl.stdout


def test_app_roles_have_no_privileges_beyond_login(primary):
    roles = superuser(primary, "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolcanlogin "
                               "FROM pg_roles WHERE rolname IN ('demo', 'other') ORDER BY 1")
    assert roles.stdout.split() == ["demo|f|f|f|f|t", "other|f|f|f|f|t"]
    owners = superuser(primary, "SELECT datname, pg_get_userbyid(datdba) FROM pg_database "
                                "WHERE datname IN ('demo', 'other') ORDER BY 1")
    assert owners.stdout.split() == ["demo|demo", "other|other"]


def test_the_superuser_cannot_log_in_over_tcp(standby, primary):
    for host, target in ((standby, PRIMARY), (primary, "127.0.0.1")):
        result = psql(host, url("postgres", REPLICATION_PASSWORD, target, "postgres"), "SELECT 1")
        assert result.rc != 0
        assert "no pg_hba.conf entry" in result.stderr, result.stderr


def test_password_encryption_is_scram(host):
    assert superuser(host, "SHOW password_encryption").stdout.strip() == "scram-sha-256"


def test_app_passwords_are_stored_as_scram_verifiers(primary):
    stored = superuser(primary, "SELECT rolname, left(rolpassword, 14) FROM pg_authid WHERE rolname IN ('demo', 'other') ORDER BY 1")
    assert stored.stdout.split() == ["demo|SCRAM-SHA-256$", "other|SCRAM-SHA-256$"]


def test_settings_are_what_the_filter_computes_for_the_host(host, facts):
    expected = postgresql_settings(facts)
    for name, value in expected.items():
        if isinstance(value, str) and value.endswith("MB"):
            sql = f"SELECT pg_size_bytes(current_setting('{name}')) = pg_size_bytes('{value}')"
            assert superuser(host, sql).stdout.strip() == "t", (name, value, superuser(host, f"SHOW {name}").stdout)
        else:
            assert superuser(host, f"SHOW {name}").stdout.strip() == str(value), name


def test_the_server_listens_on_its_address_and_loopback_only(host):
    out = host.check_output("ss -Hltn 'sport = :5432'")
    addresses = {line.split()[3].rsplit(":", 1)[0] for line in out.splitlines() if line.strip()}
    assert addresses == {"127.0.0.1", address(host)}


def test_pg_hba_has_no_line_for_all_but_the_superusers_local_one(host):
    rules = superuser(host, "SELECT type, database, user_name, auth_method FROM pg_hba_file_rules "
                            "WHERE 'all' = ANY(database) OR 'all' = ANY(user_name)")
    assert rules.rc == 0, rules.stderr
    assert rules.stdout.split() == ["local|{all}|{postgres}|peer"]


def test_the_standby_is_in_recovery_and_the_primary_is_not(primary, standby):
    assert superuser(standby, "SELECT pg_is_in_recovery()").stdout.strip() == "t"
    assert superuser(primary, "SELECT pg_is_in_recovery()").stdout.strip() == "f"


def test_the_standby_streams_through_its_slot(primary):
    # testinfra runs the per-host tests (the restarts among them) first: allow a reconnection.
    slots = senders = None
    for _ignored in range(30):
        slots = superuser(primary, "SELECT slot_name, slot_type, active FROM pg_replication_slots").stdout.split()
        senders = superuser(primary, "SELECT usename, state FROM pg_stat_replication").stdout.split()
        if slots == ["webstack_pg_standby|physical|t"] and senders == ["replicator|streaming"]:
            break
        time.sleep(1)
    assert slots == ["webstack_pg_standby|physical|t"]
    assert senders == ["replicator|streaming"]


def test_the_replication_connection_uses_verified_tls(primary, standby):
    ssl = ""
    for _ignored in range(30):
        ssl = superuser(primary, "SELECT ssl FROM pg_stat_ssl JOIN pg_stat_replication USING (pid)").stdout.strip()
        if ssl == "t":
            break
        time.sleep(1)
    assert ssl == "t"
    conninfo = superuser(standby, "SHOW primary_conninfo").stdout
    assert "sslmode='verify-full'" in conninfo and f"sslrootcert='{CA}'" in conninfo, conninfo


def test_a_row_written_on_the_primary_is_read_on_the_standby(primary, standby):
    marker = f"row-{time.time_ns()}"
    write = psql(primary, url("demo", PASSWORD, "127.0.0.1", "demo"),
                 f"CREATE TABLE IF NOT EXISTS molecule_rows (v text); INSERT INTO molecule_rows VALUES ('{marker}')")
    assert write.rc == 0, write.stderr
    seen = ""
    for _ignored in range(20):
        seen = psql(standby, url("demo", PASSWORD, "127.0.0.1", "demo"),
                    f"SELECT count(*) FROM molecule_rows WHERE v = '{marker}'").stdout.strip()
        if seen == "1":
            break
        time.sleep(0.5)
    assert seen == "1"


def test_the_standby_refuses_writes(standby):
    result = psql(standby, url("demo", PASSWORD, "127.0.0.1", "demo"), "CREATE TABLE molecule_refused (v text)")
    assert result.rc != 0
    assert "read-only transaction" in result.stderr, result.stderr
    result = superuser(standby, "CREATE ROLE molecule_refused")
    assert result.rc != 0
    assert "read-only transaction" in result.stderr, result.stderr


def test_the_replication_password_file_is_private_to_postgres(standby, primary):
    pgpass = standby.file("/var/lib/postgresql/.pgpass")
    assert pgpass.mode == 0o600
    assert pgpass.user == "postgres"
    assert not primary.file("/var/lib/postgresql/.pgpass").exists


def test_verbose_converge_is_idempotent(rerun):
    rc, out = rerun
    assert rc == 0, out
    assert out.count("changed=0") == 2, out


@pytest.mark.parametrize("secret", [PASSWORD, OTHER_PASSWORD, REPLICATION_PASSWORD, "molecule%2Fonly%3Aother"],
                         ids=["password", "other", "replication", "url"])
def test_verbose_converge_shows_no_secret(rerun, secret):
    _ignored, out = rerun
    assert secret not in out


def test_verbose_converge_shows_no_private_key(rerun):
    _ignored, out = rerun
    path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "tls", "server.key")
    with open(path, encoding="ascii") as key:
        body = [line.strip() for line in key if len(line.strip()) >= 16 and not line.startswith("-----")]
    assert body
    assert not any(line in out for line in body)


def test_the_service_comes_back_after_a_restart(host):
    unit = f"postgresql@{version(host)}-main"
    assert host.run(f"systemctl restart {unit}").rc == 0
    ready = None
    for _ignored in range(30):
        ready = host.run("runuser -u postgres -- pg_isready -q")
        if ready.rc == 0:
            break
        time.sleep(1)
    assert ready.rc == 0
    assert host.service(unit).is_running


# Last: it ends the replication.
def test_promote_makes_the_standby_a_writable_primary_and_the_role_then_refuses_to_wipe_it(standby, tmp_path):
    play = tmp_path / "promote.yml"
    play.write_text(PROMOTE)
    rc, out = playbook(str(play))
    assert rc == 0, out
    assert "changed=1" in out, out
    assert superuser(standby, "SELECT pg_is_in_recovery()").stdout.strip() == "f"
    write = psql(standby, url("demo", PASSWORD, "127.0.0.1", "demo"), "CREATE TABLE molecule_promoted (v text)")
    assert write.rc == 0, write.stderr
    rc, out = playbook(str(play))
    assert rc == 0, out
    assert "changed=0" in out, out
    # postgresql_primary is still set for it: the main entry point stops instead of cloning again.
    rc, out = playbook(os.path.join(SCENARIO, "converge.yml"))
    assert rc != 0
    assert "webstack-pg-standby was promoted (no standby.signal)" in " ".join(out.split()), out
    assert superuser(standby, "SELECT count(*) FROM molecule_promoted", database="demo").stdout.strip() == "0"
