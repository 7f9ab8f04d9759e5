"""Unit tests for the dpkg-query probe behind webstack.django.apt_present."""

import shlex

from ansible_collections.webstack.django.plugins.module_utils.apt_probe import missing_packages, probe_command


def test_one_query_asks_for_every_plain_name():
    command = probe_command(["nginx", "python3-cryptography", "libssl3:amd64", "nginx=1.24*"])
    words = shlex.split(command.split(" 2>", maxsplit=1)[0])
    assert words[:3] == ["dpkg-query", "--show", "--showformat=${db:Status-Status} ${Package}\\n"]
    assert words[3:] == ["nginx", "python3-cryptography", "libssl3"]
    assert command.endswith("; true")


def test_no_plain_name_needs_no_query():
    assert probe_command(["nginx=1.24*", "foo*"]) is None


def test_only_installed_packages_count():
    out = "installed nginx\nconfig-files certbot\nnot-installed python3-cryptography\n"
    assert missing_packages(["nginx", "certbot", "python3-cryptography", "unknown"], out) == [
        "certbot", "python3-cryptography", "unknown"]


def test_everything_installed_means_nothing_missing():
    assert missing_packages(["nginx", "libssl3:amd64"], "installed nginx\ninstalled libssl3\n") == []


def test_pinned_or_wildcard_entries_always_go_to_apt():
    assert missing_packages(["nginx=1.24*", "nginx"], "installed nginx\n") == ["nginx=1.24*"]


def test_names_with_shell_characters_are_never_plain():
    assert probe_command(["a;rm -rf /"]) is None
    assert missing_packages(["a;rm -rf /"], "installed a;rm\n") == ["a;rm -rf /"]
