"""The container without network: a virtualenv installed from the copied wheelhouse."""

import json
import re

from ansible_collections.webstack.django.plugins.module_utils.pins import release

testinfra_hosts = ["webstack-virtualenv-offline"]

VENV = "/opt/venv-offline"
WHEELHOUSE = "/srv/wheelhouse"


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def hashed_pins(host):
    pins = {}
    for line in host.file(f"{WHEELHOUSE}/requirements.txt").content_string.splitlines():
        if line and not line.startswith("#"):
            spec, _ignored = line.split(" --hash=")
            name, version = spec.split("==")
            pins[canonical(name)] = version
    return pins


def installed(host):
    out = host.check_output(f"{VENV}/bin/python -m pip list --format=json")
    return {canonical(item["name"]): item["version"] for item in json.loads(out)}


def test_container_has_no_network(host):
    links = host.check_output("ip -o link show | awk -F': ' '{print $2}'").split()
    assert links == ["lo"]
    assert host.check_output("ip route show") == ""
    assert host.run("getent hosts deb.debian.org").rc != 0


def test_no_compiler_on_the_offline_host(host):
    assert not host.exists("cc") and not host.exists("gcc")


def test_every_hashed_requirement_is_installed_at_its_version(host):
    have = installed(host)
    for name, version in hashed_pins(host).items():
        assert have.get(name) == version, name


def test_nothing_but_the_wheelhouse_and_the_venv_tools_is_installed(host):
    extra = set(installed(host)) - set(hashed_pins(host))
    assert extra <= {"pip", "setuptools"}


def test_each_installed_package_has_its_wheel_in_the_wheelhouse(host):
    wheels = {(canonical(w.split("-")[0]), w.split("-")[1]) for w in host.file(WHEELHOUSE).listdir()
              if w.endswith(".whl")}
    for name, version in hashed_pins(host).items():
        assert (name, version) in wheels, name


def test_packages_import_and_uwsgi_runs(host):
    versions = hashed_pins(host)
    out = host.check_output(f"{VENV}/bin/python -c 'import django, celery; print(django.__version__)'")
    assert out == versions["django"]
    assert host.check_output(f"{VENV}/bin/uwsgi --version") == release("pyuwsgi")


def test_venv_belongs_to_the_given_owner(host):
    django = host.check_output(f"{VENV}/bin/python -c 'import django; print(django.__file__)'")
    for path in (VENV, f"{VENV}/bin/uwsgi", django):
        assert host.file(path).user == "app", path
        assert host.file(path).group == "app", path


def test_dependencies_are_consistent(host):
    assert host.run(f"{VENV}/bin/python -m pip check").rc == 0
