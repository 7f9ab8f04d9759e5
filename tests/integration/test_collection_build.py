"""The built collection leaves dev files out, installs offline and works by FQCN from there."""

import os
import re
import subprocess
import sys
import tarfile
import textwrap

import pytest

from conftest import BIN, ROOT

pytestmark = pytest.mark.integration

LEFT_OUT = ("molecule/", "tests/", "examples/", ".collections/", ".config/", "scripts/", ".ci/",
            "Makefile", "requirements/", "benchmarks/", "ansible.cfg",
            ".venv/")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path",
                    str(out), ROOT], check=True, capture_output=True, text=True, cwd=str(out))
    (tarball,) = out.glob("webstack-django-*.tar.gz")
    return tarball


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    path = tmp_path_factory.mktemp("collections")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--force",
                    "-p", str(path), str(built)], check=True, capture_output=True, text=True,
                   cwd=str(path))
    return path


def test_tarball_has_no_dev_files(built):
    with tarfile.open(built) as tar:
        names = tar.getnames()
    assert "MANIFEST.json" in names
    assert "roles/nginx/tasks/main.yml" in names
    assert "plugins/filter/worker_counts.py" in names
    leaked = [n for n in names if n.startswith(LEFT_OUT) or "/__pycache__/" in n]
    assert leaked == []


def test_installed_collection_works_by_fqcn(installed, tmp_path):
    play = tmp_path / "use.yml"
    play.write_text(textwrap.dedent("""
        - name: Use the installed collection by FQCN
          hosts: localhost
          gather_facts: false
          vars:
            nginx_sites:
              - name: demo
                upstream:
                  servers: [unix:/run/uwsgi/demo.sock]
          tasks:
            - name: Plan workers with the FQCN filter
              ansible.builtin.set_fact:
                plan: "{{ {'vcpus': 4, 'memory_mb': 8192} | webstack.django.worker_counts(profile='cpu') }}"

            - name: Run the role's validation and planning from the install
              ansible.builtin.include_role:
                name: webstack.django.nginx
                tasks_from: preflight

            - name: Show where the role came from and what it computed
              ansible.builtin.debug:
                msg: "processes={{ plan.uwsgi.processes }}
                      upstream={{ __nginx_sites[0].upstream.servers[0].address }}
                      nginx_workers={{ __nginx_workers.worker_processes }}"
        """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(installed), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
                "PATH": BIN + os.pathsep + env.get("PATH", "")})
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                             "--check", "-v", str(play)], cwd=str(tmp_path), env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "processes=5" in out
    assert "upstream=unix:/run/uwsgi/demo.sock" in out
    assert re.search(r"nginx_workers=[1-9]\d*", out), out
    # No ansible.cfg is read and the install is the only copy of webstack.django that this
    # environment sees: the role and the filters came from the installed tarball.
    assert "No config file found" in out
    # A run is quiet: no warning of Ansible's, of a collection's or of a Python package's
    # (cryptography is held below the release that deprecates DSA, which ansible-core imports).
    noisy = [line for line in out.splitlines()
             if line.startswith(("[WARNING]", "[DEPRECATION WARNING]")) or "Warning:" in line]
    assert noisy == []
    listed = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "list", "webstack.django",
                             "--format", "json"], cwd=str(tmp_path), env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    import json
    locations = {path: names for path, names in json.loads(listed.stdout).items() if names}
    assert list(locations) == [str(installed / "ansible_collections")], listed.stdout


def test_tarball_ships_the_license_and_the_changelog(built):
    with tarfile.open(built) as tar:
        names = tar.getnames()
        license_text = tar.extractfile("LICENSE").read().decode()
    assert "GNU GENERAL PUBLIC LICENSE" in license_text and "Version 3" in license_text
    assert {"CHANGELOG.md", "changelogs/changelog.yaml", "changelogs/config.yaml"} <= set(names)
    assert not [n for n in names if n.startswith("changelogs/fragments/") and n.endswith(".yml")]


def test_galaxy_metadata_has_no_placeholder_and_only_used_dependencies():
    import yaml

    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    text = open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8").read()
    assert not re.search(r"example\.(invalid|com|org)|changeme|TODO", text)
    assert galaxy["license"] == ["GPL-3.0-or-later"]
    used = set()
    for folder in ("roles", "playbooks"):
        for root, _dirs, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if name.endswith(".yml"):
                    with open(os.path.join(root, name), encoding="utf-8") as handle:
                        used |= set(re.findall(r"^\s*-?\s*((?:community|ansible)\.[a-z_]+)\.[a-z_]+:", handle.read(), re.M))
    used -= {"ansible.builtin"}
    assert set(galaxy["dependencies"]) == used


def test_requires_ansible_is_the_tested_core():
    import yaml

    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        runtime = yaml.safe_load(handle)
    pinned = re.search(r"^ansible-core==(\d+)\.(\d+)\.", open(os.path.join(ROOT, "requirements", "controller.in")).read(), re.M)
    assert runtime["requires_ansible"] == f">={pinned.group(1)}.{pinned.group(2)}.0"
