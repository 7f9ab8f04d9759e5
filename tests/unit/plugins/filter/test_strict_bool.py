"""Unit tests for the strict_bool filter: an inventory value as the boolean a type: bool spec means."""

import re

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import strict_bool as module
from ansible_collections.webstack.django.plugins.filter.strict_bool import strict_bool


@pytest.mark.parametrize("value", [False, "false", "False", "no", "NO", "off", "0", "n", "f", 0, 0.0, " false "])
def test_false_in_every_form_is_false(value):
    assert strict_bool(value, "django_app_debug") is False


@pytest.mark.parametrize("value", [True, "true", "yes", "on", "1", "y", "t", 1, 1.0])
def test_true_in_every_form_is_true(value):
    assert strict_bool(value, "django_app_debug") is True


@pytest.mark.parametrize("value", ["maybe", "", "2", 2, -1, None, [], {}, ["false"], {"a": 1}])
def test_anything_else_is_refused_naming_the_variable(value):
    with pytest.raises(AnsibleFilterError, match=r"^django_app_debug: .* is not a boolean"):
        strict_bool(value, "django_app_debug")


@pytest.mark.parametrize("block", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_documentation_is_yaml(block):
    assert yaml.safe_load(getattr(module, block))


def test_filter_is_registered():
    assert module.FilterModule().filters() == {"strict_bool": strict_bool}


def test_the_message_never_grows_with_the_value():
    with pytest.raises(AnsibleFilterError) as info:
        strict_bool("x" * 10000, "v")
    assert len(str(info.value)) < 200 and re.search(r"10000 characters", str(info.value))
