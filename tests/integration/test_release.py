"""make release: version in galaxy.yml, CHANGELOG.md from the fragments, the tarball; bad
versions refused. Run on a copy of the checkout."""

import os
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.integration

SANITY_VENV = os.path.join(ROOT, ".venv-sanity")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    subprocess.run(["bash", "scripts/sanity.sh", "setup"], cwd=ROOT, check=True, capture_output=True)
    dest = tmp_path_factory.mktemp("release") / "django"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, files):
        source = os.path.join(ROOT, name)
        if os.path.isfile(source) and not os.path.islink(source):
            os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(dest, name))
    os.makedirs(dest / ".collections" / "ansible_collections" / "webstack", exist_ok=True)
    os.symlink("../../..", dest / ".collections" / "ansible_collections" / "webstack" / "django")
    return dest


def release(checkout, version):
    env = dict(os.environ, WEBSTACK_SANITY_VENV=SANITY_VENV)
    return subprocess.run(["bash", "scripts/release.sh", version], cwd=checkout, env=env,
                          capture_output=True, text=True, check=False, timeout=600)


def galaxy_version(checkout):
    with open(checkout / "galaxy.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["version"]


@pytest.mark.parametrize("version, message", [
    ("1.0", "VERSION must be x.y.z"),
    ("0.0.9", "is older than"),
    ("0.1.0", "already released"),
])
def test_bad_versions_are_refused_before_anything_changes(checkout, version, message):
    before = galaxy_version(checkout)
    result = release(checkout, version)
    assert result.returncode == 2 and message in result.stderr, result.stdout + result.stderr
    assert galaxy_version(checkout) == before


def test_release_bumps_the_version_writes_the_changelog_and_builds(checkout):
    (checkout / "changelogs" / "fragments" / "a-fix.yml").write_text(
        "---\nbugfixes:\n  - nginx - a fix only this test knows about.\n")
    result = release(checkout, "0.1.1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert galaxy_version(checkout) == "0.1.1"
    changelog = (checkout / "CHANGELOG.md").read_text()
    assert "v0\\.1\\.1" in changelog and "a fix only this test knows about" in changelog
    assert not (checkout / "changelogs" / "fragments" / "a-fix.yml").exists()
    assert (checkout / "dist" / "webstack-django-0.1.1.tar.gz").is_file()
