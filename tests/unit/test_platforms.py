"""The platforms the collection claims are exactly the ones scripts/platform.sh tests on."""

import os
import re
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAMES = {"ubuntu": ("Ubuntu", {"noble": "24.04", "jammy": "22.04"}), "debian": ("Debian", {"bookworm": "12"})}


def platform_sh(*args, **env):
    result = subprocess.run(["bash", os.path.join(ROOT, "scripts", "platform.sh"), *args],
                            capture_output=True, text=True, check=False,
                            env={"PATH": os.environ["PATH"], **env})
    return result.returncode, result.stdout.strip(), result.stderr.strip()


def platforms_tested():
    """(distribution, suite, version) of each tested platform."""
    out = []
    for name in platform_sh("list")[1].split():
        family, suite = platform_sh("describe", name)[1].split()[:2]
        distribution, versions = NAMES[family]
        out.append((distribution, suite, versions[suite]))
    return out


def test_the_default_is_ubuntu_2404_and_every_platform_has_an_image_name():
    assert platform_sh("name") == (0, "ubuntu2404", "")
    assert platform_sh("list")[1].split() == ["ubuntu2404", "ubuntu2204", "debian12"]
    assert platform_sh("image", "debian12")[1] == "webstack/debian12-systemd:latest"
    assert platform_sh("image", WEBSTACK_PLATFORM="ubuntu2204")[1] == "webstack/ubuntu2204-systemd:latest"


def test_webstack_image_names_any_image_for_the_selected_platform_only():
    assert platform_sh("image", WEBSTACK_IMAGE="mine:1")[1] == "mine:1"
    assert platform_sh("image", "debian12", WEBSTACK_IMAGE="mine:1")[1] == "webstack/debian12-systemd:latest"


def test_a_test_run_names_its_platform_or_takes_the_selected_one():
    assert platform_sh("of", "nginx:debian12") == (0, "debian12", "")
    assert platform_sh("of", "nginx") == (0, "ubuntu2404", "")
    assert platform_sh("of", "nginx", WEBSTACK_PLATFORM="ubuntu2204")[1] == "ubuntu2204"
    rc, _ignored, err = platform_sh("of", "nginx:centos9")
    assert rc != 0 and "unknown platform 'centos9'" in err


def test_another_platform_is_always_a_different_tested_one():
    for name in platform_sh("list")[1].split():
        other = platform_sh("other", name)[1]
        assert other and other != name


def test_an_unknown_platform_is_refused_naming_the_tested_ones():
    rc, _ignored, err = platform_sh("name", WEBSTACK_PLATFORM="centos9")
    assert rc == 2
    assert "unknown platform 'centos9'" in err and "ubuntu2404 ubuntu2204 debian12" in err


@pytest.mark.parametrize("role", sorted(os.listdir(os.path.join(ROOT, "roles"))))
def test_each_role_claims_exactly_the_tested_platforms(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "main.yml"), encoding="utf-8") as handle:
        meta = yaml.safe_load(handle)
    claimed = {(p["name"], v) for p in meta["galaxy_info"]["platforms"] for v in p["versions"]}
    assert claimed == {(d, s) for d, s, _ignored in platforms_tested()}


def test_galaxy_yml_and_readme_name_exactly_the_tested_platforms():
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        description = yaml.safe_load(handle)["description"]
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        readme = handle.read().split("\n\n", 2)[1]
    for text in (description, readme):
        named = set(re.findall(r"(Ubuntu|Debian) (\d+(?:\.\d+)?)", text))
        assert named == {(d, v) for d, _ignored, v in platforms_tested()}, text
