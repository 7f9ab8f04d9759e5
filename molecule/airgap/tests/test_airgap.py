"""The whole stack on a container without network, installed from the offline bundle."""

import json
import os
import re
import subprocess
import time

from conftest import curl, playbook
from ansible_collections.webstack.django.plugins.module_utils.pins import release

import yaml

testinfra_hosts = ["webstack-airgap-target"]

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))
BUNDLE = os.path.join(ROOT, ".cache", "airgap", "bundle", "webstack-bundle")
MANAGE = "/srv/demo/bin/manage"
VENV = "/srv/demo/current/venv"


def manifest():
    with open(os.path.join(BUNDLE, "manifest.json")) as handle:
        return json.load(handle)


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_target_has_no_network(host):
    links = host.check_output("ip -o link show | awk -F': ' '{print $2}'").split()
    assert links == ["lo"]
    assert host.check_output("ip route show") == ""
    assert host.run("getent hosts deb.debian.org").rc != 0


def test_apt_reads_only_the_bundle(host):
    sources = host.check_output("apt-get indextargets --format '$(URI)'").split()
    assert sources and all(uri.startswith("file:/var/lib/webstack/bundle/") for uri in sources), sources


def test_apt_source_is_signed_by_the_bundle_key(host):
    source = host.file("/etc/apt/sources.list.d/webstack-bundle.list").content_string
    assert "[signed-by=/etc/apt/keyrings/webstack-bundle.asc] file:/var/lib/webstack/bundle/" in source, source
    assert "trusted=yes" not in source, source
    with open(BUNDLE + ".pub.asc") as handle:
        given = handle.read()
    block = re.search(r"-----BEGIN PGP PUBLIC KEY BLOCK-----.*?-----END PGP PUBLIC KEY BLOCK-----", given, re.S).group(0)
    assert host.file("/etc/apt/keyrings/webstack-bundle.asc").content_string.strip() == block
    # prepare signed with a given key that has a passphrase, not a throwaway key.
    assert "THROWAWAY" not in given


def test_apt_verifies_the_bundle_repository_signature(host):
    update = host.run("apt-get update")
    assert update.rc == 0, update.stdout + update.stderr
    assert "InRelease" in update.stdout, update.stdout
    assert not re.search(r"^(W|E):", update.stdout + update.stderr, re.M), update.stdout + update.stderr


def test_packages_are_the_bundles_versions(host):
    debs = manifest()["apt"]["packages"]
    for name in ("nginx", "rabbitmq-server", "python3-venv", "erlang-base", "postgresql", "python3-psycopg2"):
        version = host.check_output(f"dpkg-query --show --showformat '${{Version}}' {name}")
        assert version == debs[name], name


def test_healthz_answers_200_through_nginx(host):
    status, _ignored, body = curl(host, "http://127.0.0.1/healthz", "-H", "Host: localhost")
    assert status == 200, body
    assert body.startswith("ok "), body


def test_the_app_uses_postgresql_from_the_bundle(host):
    env = host.file("/srv/demo/shared/app.env").content_string
    assert "DATABASE_URL='postgres://demo:" in env and "@127.0.0.1:5432/demo'" in env
    tables = host.check_output("runuser -u postgres -- psql -At -d demo -c "
                               "\"SELECT count(*) FROM django_migrations WHERE app = 'core'\"")
    assert int(tables) >= 1


def test_celery_task_round_trip(host):
    result = host.run(f"{MANAGE} celery_roundtrip --timeout 60")
    assert result.rc == 0, result.stdout + result.stderr
    assert "roundtrip ok 5" in result.stdout


def test_app_venv_holds_exactly_the_hashed_wheels(host):
    pins = {}
    for line in host.file("/var/lib/webstack/bundle").listdir():
        requirements = f"/var/lib/webstack/bundle/{line}/wheelhouse/requirements.txt"
        for spec in host.file(requirements).content_string.splitlines():
            if spec and not spec.startswith("#"):
                name, _ignored, rest = spec.partition("==")
                pins[canonical(name)] = rest.split(" --hash=")[0]
    listed = json.loads(host.check_output(f"{VENV}/bin/python -m pip list --format=json"))
    have = {canonical(item["name"]): item["version"] for item in listed}
    assert {name: have.get(name) for name in pins} == pins
    assert set(have) - set(pins) <= {"pip", "setuptools"}
    assert "pyuwsgi" in have


def test_uwsgi_runs_from_the_release_venv(host):
    assert host.service("uwsgi-demo").is_running
    assert host.check_output(f"{VENV}/bin/uwsgi --version") == release("pyuwsgi")


def secrets():
    """The real secret values of the scenario's inventory."""
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(scenario, "molecule.yml")) as handle:
        values = yaml.safe_load(handle)["provisioner"]["inventory"]["group_vars"]["all"]
    return [values[k] for k in ("django_app_secret_key", "demo_broker_password", "rabbitmq_erlang_cookie")] + [
        values["postgresql_apps"][0]["password"]]


def test_check_diff_run_at_vvv_changes_nothing_and_prints_no_secret(host):
    """One site.yml run in --check --diff at -vvv on the converged host (the scenario's second
    run): nothing to change on any host, and neither the module arguments and results (-vvv) nor
    the diffs show a secret."""
    rc, out = playbook(os.path.join(ROOT, "playbooks", "site.yml"), "--check", "--diff", "-vvv", cwd=ROOT)
    assert rc == 0, out[-3000:]
    assert re.search(r"webstack-airgap-target\s*: ok=\d+\s+changed=0 ", out), out[-3000:]
    recap = re.findall(r"^(\S+)\s*: ok=\d+\s+changed=(\d+) ", out, flags=re.M)
    assert recap and all(changed == "0" for _name, changed in recap), recap
    leaked = [value[:6] + "..." for value in secrets() if value in out]
    assert leaked == [], f"secrets in the -vvv output: {leaked}"


SERVICES = ("nginx", "uwsgi-demo", "rabbitmq-server", "postgresql", "celery-demo-worker", "celery-demo-beat")


def test_restarted_host_comes_back_with_every_service(host):
    # A container restart is this host's reboot: /run and /tmp start empty, systemd boots again.
    assert host.run("touch /run/webstack-before-restart").rc == 0
    subprocess.run(["docker", "restart", "-t", "60", "webstack-airgap-target"], check=True, timeout=180)
    deadline = time.monotonic() + 180
    while True:
        state = host.run("systemctl is-system-running").stdout.strip()
        if state in ("running", "degraded") or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert state in ("running", "degraded"), state
    assert not host.file("/run/webstack-before-restart").exists
    for name in SERVICES:
        assert host.service(name).is_running, name
        assert host.service(name).is_enabled, name
    status, _ignored, body = curl(host, "http://127.0.0.1/healthz", "-H", "Host: localhost")
    assert status == 200, body
    result = host.run(f"{MANAGE} celery_roundtrip --timeout 120")
    assert result.rc == 0, result.stdout + result.stderr
