"""Bad input to the django_app role fails before any task touches the host, naming the variable."""

import json

import pytest

from conftest import assert_failed_before_any_change

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the django_app role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.django_app
"""

GOOD = {
    "django_app_name": "demo",
    "django_app_secret_key": "x" * 50,
    "django_app_release_archive": "/etc/hostname",
}

CASES = {
    "name with a slash": ({"django_app_name": "de/mo"}, r"django_app_name"),
    "name with a space": ({"django_app_name": "de mo"}, r"django_app_name"),
    "empty secret key": ({"django_app_secret_key": ""}, r"django_app_secret_key must not be empty"),
    "missing archive": ({"django_app_release_archive": "/nonexistent/demo.tar.gz"},
                        r"django_app_release_archive: /nonexistent/demo.tar.gz is not a file"),
    "quote in a secret": ({"django_app_secret_env": {"API_TOKEN": "a'b"}}, r"API_TOKEN"),
    "keep zero releases": ({"django_app_keep_releases": 0}, r"django_app_keep_releases must be 1-1000"),
    "env not a dict": ({"django_app_env": ["A=1"]}, r"django_app_env"),
}


@pytest.mark.parametrize("override, message", CASES.values(), ids=CASES.keys())
def test_bad_input_fails_before_any_change(run_play, override, message):
    assert_failed_before_any_change(run_play(PLAY, "-e", json.dumps({**GOOD, **override})), message,
                                    "webstack.django.django_app : Create the app")


def test_secret_values_are_not_printed(run_play):
    secret = "s3cr3t-" + "k" * 43
    bad = {**GOOD, "django_app_secret_key": secret, "django_app_secret_env": {"API_TOKEN": "a'b" + secret}}
    result = run_play(PLAY, "-vvv", "-e", json.dumps(bad))
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert secret not in out
