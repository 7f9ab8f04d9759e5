"""The connected container: a virtualenv from PyPI and the wheelhouse built for offline hosts."""

import json
import os
import re

import pytest
from packaging.requirements import Requirement

from ansible_collections.webstack.django.plugins.module_utils.pins import PINS

testinfra_hosts = ["webstack-virtualenv-online"]

VENV = "/opt/venv-pypi"
WHEELHOUSE = "/srv/wheelhouse"
DEMO_REQUIREMENTS = os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                 "examples", "demo_project", "requirements.txt")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(host):
    """{name: version} the demo lock file pins for the host's Python."""
    python = host.check_output("python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'")
    pins = {}
    with open(DEMO_REQUIREMENTS, encoding="utf-8") as handle:
        text = re.sub(r"\\\n", " ", handle.read())  # a lock's continuation lines joined
    for line in text.splitlines():
        line = re.sub(r"\s--hash=\S+", "", line.split("#", 1)[0]).strip()
        if line:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"python_version": python,
                                                          "python_full_version": python + ".0"}):
                pins[canonical(req.name)] = str(req.specifier).lstrip("=")
    return pins


def installed(host, venv):
    out = host.check_output(f"{venv}/bin/python -m pip list --disable-pip-version-check --format=json")
    return {canonical(item["name"]): item["version"] for item in json.loads(out)}


def test_venv_is_a_real_virtualenv_of_the_system_python(host):
    out = host.check_output(f"{VENV}/bin/python -c 'import sys; print(sys.prefix, sys.base_prefix)'")
    prefix, base = out.split()
    assert prefix == VENV
    assert base == "/usr"


def test_system_python_got_no_pip_packages(host):
    # PEP 668: nothing is pip-installed into the distribution's Python.
    assert host.run("/usr/bin/python3 -c 'import django'").rc != 0
    assert host.run("/usr/bin/python3 -m pip --version").rc != 0


def test_locked_requirements_are_installed_at_their_versions(host):
    have = installed(host, VENV)
    for name, version in locked(host).items():
        assert have.get(name) == version, name


def test_extra_package_is_installed(host):
    assert installed(host, VENV)["idna"] == "3.7"


def test_installed_packages_import(host):
    out = host.check_output(f"{VENV}/bin/python -c 'import django, celery; print(django.__version__)'")
    assert out == locked(host)["django"]


def test_check_mode_predicts_an_upgrade_without_doing_it(host):
    result = host.ansible("webstack.django.pip_requirements",
                          f"virtualenv={VENV} packages=idna==3.8", check=True)
    assert result["changed"] is True
    assert result["changes"] == [{"name": "idna", "before": "3.7", "after": "3.8"}]
    assert installed(host, VENV)["idna"] == "3.7"


def test_check_mode_reports_no_change_when_satisfied(host):
    result = host.ansible("webstack.django.pip_requirements",
                          f"virtualenv={VENV} requirements=/opt/demo-requirements.txt", check=True)
    assert result["changed"] is False
    assert result["changes"] == []


def test_check_mode_with_a_pip_older_than_22_2_predicts_from_the_installed_versions(host):
    """pip before 22.2 has no `install --dry-run --report`: the module compares installed versions.

    Ubuntu 22.04 creates new venvs with pip 22.0.2; this venv gets that pip on every platform
    whose Python it still runs on (pip 22.0 does not run on Python 3.12)."""
    old = "/opt/venv-oldpip"
    python = host.check_output("python3 -c 'import sys; print(\"%d%02d\" % sys.version_info[:2])'")
    if int(python) >= 312:
        # The fallback is never needed here: a venv's own pip has --dry-run --report.
        own = host.check_output(f"{VENV}/bin/python -m pip --version").split()[1]
        assert tuple(int(p) for p in own.split(".")[:2]) >= (22, 2)
        pytest.skip(f"no pip older than 22.2 runs on Python {python[0]}.{python[1:]} (this venv's pip is {own}): "
                    "the fallback is proven on Ubuntu 22.04 and Debian 12")
    host.run_expect([0], f"python3 -m venv {old} && {old}/bin/python -m pip install -q pip==22.0.2 idna==3.7")
    result = host.ansible("webstack.django.pip_requirements", f"virtualenv={old} packages=idna==3.8", check=True)
    assert result["pip_version"] == "22.0.2"
    assert result["changed"] is True
    assert result["changes"] == [{"name": "idna", "before": "3.7", "after": "3.8"}]
    assert installed(host, old)["idna"] == "3.7"
    result = host.ansible("webstack.django.pip_requirements", f"virtualenv={old} packages=idna==3.7", check=True)
    assert result["changed"] is False
    assert result["changes"] == []


def test_wheelhouse_has_a_wheel_for_every_locked_package_and_uwsgi(host):
    wheels = host.file(WHEELHOUSE).listdir()
    assert all(name.endswith(".whl") or name == "requirements.txt" for name in wheels)
    names = {canonical(w.split("-")[0]) for w in wheels if w.endswith(".whl")}
    assert set(locked(host)) | {"pyuwsgi"} <= names


def test_hashed_requirements_match_the_wheels(host):
    lines = [line for line in host.file(f"{WHEELHOUSE}/requirements.txt").content_string.splitlines()
             if line and not line.startswith("#")]
    pins = {}
    for line in lines:
        spec, hash_opt = line.split(" --hash=sha256:")
        name, version = spec.split("==")
        pins[canonical(name)] = (version, hash_opt)
    assert pins["pyuwsgi"][0] == PINS["pyuwsgi"]
    for name, version in locked(host).items():
        assert pins[name][0] == version, name
    sums = dict(reversed(line.split("  ", 1)) for line in
                host.check_output(f"cd {WHEELHOUSE} && sha256sum *.whl").splitlines())
    assert sorted(h for _ignored, h in pins.values()) == sorted(sums.values())
