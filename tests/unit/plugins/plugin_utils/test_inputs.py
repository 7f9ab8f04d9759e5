"""Unit tests for the shared input rules (plugins/plugin_utils/inputs.py)."""

import pytest

from ansible_collections.webstack.django.plugins.plugin_utils import inputs


@pytest.mark.parametrize("name", ["A", "_x", "DEMO_API_TOKEN", "http_proxy", "CELERY_QUEUE_TYPE", "DATABASE_URL"])
def test_posix_names_are_environment_names(name):
    assert inputs.env_name_problem(name) is None


@pytest.mark.parametrize("name", ["true;touch /tmp/pwn;X=", "1A", "A-B", "A B", "", "A=B", "Ä", 5, None, "A\nB"])
def test_anything_else_is_no_environment_name(name):
    assert "is not an environment variable name" in inputs.env_name_problem(name)


@pytest.mark.parametrize("name", ["PATH", "HOME", "IFS", "ENV", "BASH_ENV", "LD_PRELOAD", "LD_LIBRARY_PATH",
                                  "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "UWSGI_UID", "UWSGI_EXEC_AS_ROOT",
                                  "SHELLOPTS", "PS4"])
def test_names_that_change_how_programs_start_are_refused(name):
    assert "is refused" in inputs.env_name_problem(name)


def test_names_a_role_sets_itself_are_refused_as_such():
    assert "set by the role itself" in inputs.env_name_problem("DJANGO_DEBUG", {"DJANGO_DEBUG"})
    assert inputs.env_name_problem("DJANGO_LOG_LEVEL", {"DJANGO_DEBUG"}) is None


@pytest.mark.parametrize("name", ["root", "daemon", "bin", "sys", "www-data", "nobody", "nogroup", "postgres",
                                  "rabbitmq", "_apt", "systemd-network", "systemd-timesync", "messagebus", "sshd"])
def test_well_known_system_accounts(name):
    assert "is a system account" in inputs.system_account_problem(name)


@pytest.mark.parametrize("name", ["demo", "mysite", "shop", "rootkit", "www", "alice"])
def test_other_names_are_not_system_accounts(name):
    assert inputs.system_account_problem(name) is None


@pytest.mark.parametrize("path", ["/srv/demo", "/opt/shop/app", "/var/lib/demo", "/srv/a.b-c_d"])
def test_normalised_paths(path):
    assert inputs.path_problem(path) is None


@pytest.mark.parametrize("path, words", [
    ("/srv/../tmp", "not normalised"), ("/srv//demo", "not normalised"), ("/srv/demo/", "not normalised"),
    ("/srv/./demo", "not normalised"), ("//srv/demo", "not normalised"), ("srv/demo", "absolute path"),
    ("/srv/a b", "absolute path"), ("/srv/$HOME", "absolute path"), ("/srv/a;b", "absolute path"),
    (["/srv"], "not a path"), (None, "not a path"),
])
def test_paths_that_are_not_normalised_or_safe(path, words):
    assert words in inputs.path_problem(path)


ROOTS = ("/srv", "/opt", "/var/lib", "/home")


@pytest.mark.parametrize("path", ["/srv/demo", "/opt/demo", "/var/lib/demo", "/home/demo", "/srv/apps/demo"])
def test_directories_below_an_allowed_root(path):
    assert inputs.directory_problem(path, ROOTS) is None


@pytest.mark.parametrize("path, words", [
    ("/", "system directory"), ("/tmp", "system directory"), ("/etc", "system directory"),
    ("/usr", "system directory"), ("/var", "system directory"), ("/srv", "system directory"),
    ("/home", "system directory"), ("/var/lib", "system directory"), ("/var/www", "system directory"),
    ("/etc/demo", "system tree /etc"), ("/usr/local/demo", "system tree /usr"), ("/run/demo", "system tree /run"),
    ("/var/log/demo", "system tree /var/log"), ("/tmp/demo", "is not below"), ("/data/demo", "is not below"),
    ("/srv/../tmp", "not normalised"),
])
def test_system_directories_and_others_are_refused(path, words):
    assert words in inputs.directory_problem(path, ROOTS)


def test_below_is_strict_and_by_component():
    assert inputs.below("/srv/demo", "/srv")
    assert not inputs.below("/srv", "/srv")
    assert not inputs.below("/srvx/demo", "/srv")
