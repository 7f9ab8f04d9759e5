"""execution-environment.yml: ansible-builder creates its build context (building the image
needs a registry and is not tested), and its ansible range holds the release pinned here."""

import os
import re
import shutil
import subprocess

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from conftest import BIN, ROOT

pytestmark = pytest.mark.integration


def test_ansible_builder_creates_the_build_context(tmp_path):
    subprocess.run(["bash", "scripts/sanity.sh", "setup"], cwd=ROOT, check=True, capture_output=True)
    shutil.copy(os.path.join(ROOT, "execution-environment.yml"), tmp_path)
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path",
                    str(tmp_path / "dist"), ROOT], check=True, capture_output=True, text=True)
    builder = os.path.join(ROOT, ".venv-sanity", "bin", "ansible-builder")
    result = subprocess.run([builder, "create", "-f", "execution-environment.yml", "-c", "context",
                             "--output-filename", "Containerfile"], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    containerfile = (tmp_path / "context" / "Containerfile").read_text()
    assert "ansible-galaxy collection install --no-deps" in containerfile
    assert list((tmp_path / "context" / "_build" / "collection").glob("webstack-django-*.tar.gz"))


def test_the_ansible_range_holds_the_pinned_release():
    with open(os.path.join(ROOT, "execution-environment.yml"), encoding="utf-8") as handle:
        spec = yaml.safe_load(handle)["dependencies"]["ansible_core"]["package_pip"]
    pinned = re.search(r"^ansible==([\d.]+)$", open(os.path.join(ROOT, "requirements", "controller.in")).read(), re.M).group(1)
    assert spec.startswith("ansible") and pinned in SpecifierSet(spec[len("ansible"):])
