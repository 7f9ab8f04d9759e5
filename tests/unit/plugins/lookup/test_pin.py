"""Unit tests for the pin lookup and the table it reads."""

import pytest
import yaml
from ansible.errors import AnsibleLookupError

from ansible_collections.webstack.django.plugins.lookup import pin as module
from ansible_collections.webstack.django.plugins.module_utils import pins


def lookup(*terms):
    return module.LookupModule().run(list(terms), variables={})


def test_a_pinned_package_gives_its_requirement_specifier():
    assert lookup("pyuwsgi") == [f"pyuwsgi=={pins.PINS['pyuwsgi']}"]
    assert pins.requirement("pyuwsgi").startswith("pyuwsgi==2.")


def test_an_unknown_package_fails_listing_the_pinned_ones():
    with pytest.raises(AnsibleLookupError, match=r"'django' is not pinned by webstack.django \(pinned: pip, pyuwsgi, uv\)"):
        lookup("django")


def test_the_release_drops_a_post_suffix():
    assert pins.release("pyuwsgi") == pins.PINS["pyuwsgi"].split(".post", maxsplit=1)[0]
    assert ".post" not in pins.release("pyuwsgi")


def test_documentation_is_yaml_and_names_the_lookup():
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["name"] == "pin"
    assert all(isinstance(text, str) for text in doc["description"])
    assert yaml.safe_load(module.EXAMPLES) and yaml.safe_load(module.RETURN)
