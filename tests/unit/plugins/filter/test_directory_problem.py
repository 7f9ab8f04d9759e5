"""Unit tests for the directory_problem filter: a path a role may create and own, or why not."""

import pytest
import yaml

from ansible_collections.webstack.django.plugins.filter import directory_problem as module
from ansible_collections.webstack.django.plugins.filter.directory_problem import directory_problem


@pytest.mark.parametrize("value", ["/srv/demo/venv", "/opt/webstack/uv", "/var/lib/demo/venv",
                                   "/home/deploy/venv", "/data/venvs/app", "/srv/a+b@c/v-1.2_x"])
def test_a_directory_of_its_own_passes(value):
    assert directory_problem(value) == ""


@pytest.mark.parametrize("value, reason", [
    ("/", "system directory"), ("/usr", "system directory"), ("/usr/local", "system directory"),
    ("/opt", "system directory"), ("/srv", "system directory"), ("/var/lib", "system directory"),
    ("/home", "system directory"), ("/tmp", "system directory"),
    ("/etc/venv", "system tree /etc"), ("/usr/local/venv", "system tree /usr"),
    ("/root/venv", "system tree /root"), ("/run/x", "system tree /run"), ("/proc/1", "system tree /proc"),
    ("/var/log/app", "system tree /var/log"),
    ("venv", "absolute path"), ("", "absolute path"), ("/srv/a b", "absolute path"),
    ("/srv/$(touch x)", "absolute path"), ("/srv/../etc", "not normalised"), ("/srv/demo/", "not normalised"),
    ("/srv//demo", "not normalised"), ("/srv/./demo", "not normalised"),
    (None, "not a path"), (["/srv/demo"], "not a path"), (1, "not a path"),
])
def test_a_system_directory_or_a_bad_path_is_refused(value, reason):
    assert reason in directory_problem(value)


def test_allowed_roots_narrow_where_it_may_be():
    assert directory_problem("/srv/demo/venv", ["/srv", "/opt"]) == ""
    assert "is not below /srv, /opt" in directory_problem("/data/venv", ["/srv", "/opt"])


@pytest.mark.parametrize("block", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_documentation_is_yaml(block):
    assert yaml.safe_load(getattr(module, block))


def test_filter_is_registered():
    assert module.FilterModule().filters() == {"directory_problem": directory_problem}
