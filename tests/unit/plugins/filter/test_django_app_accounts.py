"""Unit tests for the django_app_accounts filter: what the host says about the app's account,
group and directory, and whether the role may take them."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import django_app_accounts as module
from ansible_collections.webstack.django.plugins.filter.django_app_accounts import MARKER, django_app_accounts

LOGIN_DEFS = "# comment\nUID_MIN\t\t\t 1000\nUID_MAX 60000\n#SYS_UID_MIN 100\nGID_MIN 1000\n"
NEW_ROOT = {"exists": False}
OURS_ROOT = {"exists": True, "isdir": True, "islnk": False}


def facts(**override):
    base = {"user": "demo", "group": "demo", "root": "/srv/demo", "passwd": None, "group_entry": None,
            "login_defs": LOGIN_DEFS, "root_stat": NEW_ROOT, "root_entries": []}
    base.update(override)
    return base


def refused(**override):
    with pytest.raises(AnsibleFilterError) as info:
        django_app_accounts(facts(**override))
    return str(info.value)


def test_a_new_account_group_and_directory_are_taken():
    assert django_app_accounts(facts()) == {"manage_user": True, "user_exists": False, "uid_min": 1000,
                                            "gid_min": 1000}


def test_the_account_the_role_created_is_its_own():
    result = django_app_accounts(facts(
        passwd=["x", "998", "997", MARKER, "/srv/demo", "/usr/sbin/nologin"], group_entry=["x", "997", ""],
        root_stat=OURS_ROOT, root_entries=["bin", "releases", "shared", "current", "releases.json"]))
    assert result["manage_user"] is True


def test_an_account_of_an_earlier_version_of_the_role_is_its_own():
    """No comment yet, but its home is the app's root and the root holds the role's layout."""
    result = django_app_accounts(facts(
        passwd=["x", "998", "997", "", "/srv/demo", "/usr/sbin/nologin"], group_entry=["x", "997", ""],
        root_stat=OURS_ROOT, root_entries=["releases", "shared"]))
    assert result["manage_user"] is True


@pytest.mark.parametrize("passwd", [
    ["x", "0", "0", "root", "/root", "/bin/bash"],
    ["x", "0", "0", MARKER, "/srv/demo", "/usr/sbin/nologin"],
])
def test_uid_0_is_refused_naming_django_app_user(passwd):
    assert "django_app_user: 'demo' is uid 0 on the host" in refused(passwd=passwd)


@pytest.mark.parametrize("passwd", [
    ["x", "33", "33", "www-data", "/var/www", "/usr/sbin/nologin"],
    ["x", "105", "110", "PostgreSQL administrator", "/var/lib/postgresql", "/bin/bash"],
    ["x", "999", "999", "", "/srv/demo", "/usr/sbin/nologin"],  # home matches, but no layout there
])
def test_a_system_account_the_role_did_not_create_is_refused(passwd):
    message = refused(passwd=passwd)
    assert message.startswith(f"django_app_user: 'demo' is a system account on the host (uid {passwd[1]}, "
                              "below UID_MIN 1000)"), message


def test_uid_min_comes_from_login_defs():
    passwd = ["x", "600", "600", "someone", "/home/someone", "/bin/sh"]
    assert "below UID_MIN 1000" in refused(passwd=passwd)
    result = django_app_accounts(facts(passwd=passwd, login_defs="UID_MIN 500\nGID_MIN 500\n"))
    assert result == {"manage_user": False, "user_exists": True, "uid_min": 500, "gid_min": 500}
    assert django_app_accounts(facts(login_defs=""))["uid_min"] == 1000


def test_a_regular_account_of_someone_else_is_used_but_never_rewritten():
    result = django_app_accounts(facts(passwd=["x", "1001", "1001", "Alice", "/home/alice", "/bin/bash"]))
    assert result["manage_user"] is False and result["user_exists"] is True


@pytest.mark.parametrize("group_entry, words", [
    (["x", "0", ""], "django_app_group: 'demo' is gid 0 on the host"),
    (["x", "4", "syslog"], "django_app_group: 'demo' is a system group on the host (gid 4, below GID_MIN 1000)"),
])
def test_system_groups_are_refused(group_entry, words):
    assert words in refused(group_entry=group_entry)


def test_a_system_group_is_taken_only_as_the_group_of_the_role_s_own_account():
    ours = ["x", "998", "997", MARKER, "/srv/demo", "/usr/sbin/nologin"]
    assert django_app_accounts(facts(passwd=ours, group_entry=["x", "997", ""]))["manage_user"]
    assert "is a system group" in refused(passwd=ours, group_entry=["x", "996", ""])


def test_a_regular_group_is_taken_as_it_is():
    assert django_app_accounts(facts(group_entry=["x", "1005", "alice"]))["manage_user"] is True


@pytest.mark.parametrize("root_stat, entries, words", [
    ({"exists": True, "islnk": True, "isdir": False}, [], "django_app_root: /srv/demo is a symbolic link"),
    ({"exists": True, "islnk": False, "isdir": False}, [], "is not a directory"),
    (OURS_ROOT, ["passwd", "shadow", "group"], "holds files the role did not lay out (group, passwd, shadow)"),
    (OURS_ROOT, ["releases"], "holds files the role did not lay out (releases)"),
    (OURS_ROOT, [f"f{i}" for i in range(9)], "(f0, f1, f2, f3, f4, ...)"),
])
def test_a_root_directory_that_is_not_new_empty_or_laid_out_is_refused(root_stat, entries, words):
    assert words in refused(root_stat=root_stat, root_entries=entries)


@pytest.mark.parametrize("entries", [[], ["lost+found"], ["releases", "shared", "bin", "current"]])
def test_an_empty_or_laid_out_root_is_taken(entries):
    assert django_app_accounts(facts(root_stat=OURS_ROOT, root_entries=entries))["manage_user"] is True


def test_every_refusal_is_reported_on_its_own_line():
    lines = refused(passwd=["x", "0", "0", "root", "/root", "/bin/bash"], group_entry=["x", "0", ""],
                    root_stat=OURS_ROOT, root_entries=["etc"]).splitlines()
    assert [line.split(":")[0] for line in lines] == ["django_app_root", "django_app_user", "django_app_group"]


@pytest.mark.parametrize("block", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_documentation_is_yaml(block):
    assert yaml.safe_load(getattr(module, block))


def test_filter_is_registered():
    assert module.FilterModule().filters() == {"django_app_accounts": django_app_accounts}
