"""Unit tests for the weak_secrets filter: it names weak secrets and never shows one."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import weak_secrets as module
from ansible_collections.webstack.django.plugins.filter.weak_secrets import FilterModule, weak_secrets

STRONG = "Q3v9-xT2!kP8_mZ4wR7^"


def test_the_filter_module_maps_the_name():
    assert FilterModule().filters() == {"weak_secrets": weak_secrets}


@pytest.mark.parametrize("name", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_doc_strings_are_valid_yaml(name):
    assert yaml.safe_load(getattr(module, name))


def test_list_items_are_named_by_index_and_key():
    apps = [{"name": "a", "password": STRONG}, {"name": "b", "password": "x"}, {"name": "c"}]
    assert weak_secrets(apps, "rabbitmq_apps") == [
        "rabbitmq_apps[1].password must be at least 16 characters",
        "rabbitmq_apps[2].password must be at least 16 characters",
    ]


@pytest.mark.parametrize("secret, weak", [
    ("a" * 15, True), ("a" * 16, False), ("", True), (None, True), (1234567890123456, False),
])
def test_the_minimum_length_is_the_bound(secret, weak):
    assert bool(weak_secrets(secret, "postgresql_replication_password")) is weak


def test_an_empty_secret_passes_only_where_allowed():
    assert weak_secrets("", "rabbitmq_erlang_cookie", min_length=20, allow_empty=True) == []
    assert weak_secrets("ABC", "rabbitmq_erlang_cookie", min_length=20, allow_empty=True) == [
        "rabbitmq_erlang_cookie must be at least 20 characters"]
    assert weak_secrets("A" * 20, "rabbitmq_erlang_cookie", min_length=20) == []


@pytest.mark.parametrize("secret", [" " + STRONG, STRONG + " ", STRONG + "\n", "ab\ncd" + STRONG, "\t" + STRONG])
def test_a_single_line_secret_has_no_outer_whitespace_nor_line_break(secret):
    assert weak_secrets([{"password": secret}], "rabbitmq_apps", single_line=True) == [
        "rabbitmq_apps[0].password must not start or end with whitespace nor hold a line break"]
    assert weak_secrets([{"password": secret}], "rabbitmq_apps") == []


def test_inner_spaces_and_every_printable_character_pass():
    every = "".join(chr(c) for c in range(33, 127)) + " $HOME ~"
    assert weak_secrets([{"password": every}], "rabbitmq_apps", single_line=True) == []


def test_no_message_shows_the_secret_or_its_length():
    secret = "hunter2"
    for message in weak_secrets([{"password": secret}], "rabbitmq_apps", single_line=True):
        assert secret not in message and str(len(secret)) not in message


@pytest.mark.parametrize("value, min_length", [({"password": STRONG}, 16), ("x", 0), ("x", True)])
def test_bad_use_is_an_error(value, min_length):
    with pytest.raises(AnsibleFilterError):
        weak_secrets(value, "v", min_length=min_length)
