"""Unit tests for the django_app_health_gate filter: what the gate asks for, and where a
redirect may lead."""

import pytest
import yaml

from ansible_collections.webstack.django.plugins.filter import django_app_health_gate as module
from ansible_collections.webstack.django.plugins.filter.django_app_health_gate import django_app_health_gate

PAGES = [{"path": "/accounts/login/", "status": [200]}]


def gate(url="http://127.0.0.1/", status=("200", 302), http_port=80, tls=False, tls_port=443, pages=()):
    return django_app_health_gate(url, list(status), http_port, tls, tls_port, list(pages))


def test_plain_http_serves_http_only_and_asks_for_the_url_then_each_page():
    result = gate(pages=PAGES)
    assert result == {"served": {"http": 80},
                      "pages": [{"path": "/", "scheme": "http", "status": [200, 302]}, *PAGES]}


def test_tls_on_serves_https_on_its_port_too():
    assert gate(tls=True, tls_port="8443")["served"] == {"http": 80, "https": 8443}


def test_tls_off_never_serves_https_so_a_redirect_there_fails():
    assert "https" not in gate(tls=False, tls_port=443)["served"]


def test_a_port_in_the_url_is_served_for_its_scheme():
    result = gate(url="http://127.0.0.1:8080/healthz", http_port="80")
    assert result["served"] == {"http": 8080}
    assert result["pages"][0]["path"] == "/healthz"


def test_an_https_url_with_a_port_is_served_even_without_the_role_s_tls():
    assert gate(url="https://127.0.0.1:8443/", tls=False)["served"] == {"http": 80, "https": 8443}


@pytest.mark.parametrize("url, path", [
    ("http://127.0.0.1", "/"),
    ("http://127.0.0.1/healthz?full=1", "/healthz?full=1"),
    ("http://127.0.0.1/?a=1&b=2", "/?a=1&b=2"),
])
def test_the_path_keeps_its_query_and_is_never_empty(url, path):
    assert gate(url=url)["pages"][0]["path"] == path


def test_the_pages_given_are_not_changed():
    pages = [{"path": "/a/", "status": [200]}]
    gate(pages=pages)
    assert pages == [{"path": "/a/", "status": [200]}]


@pytest.mark.parametrize("block", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_documentation_is_yaml(block):
    assert yaml.safe_load(getattr(module, block))


def test_filter_is_registered():
    assert module.FilterModule().filters() == {"django_app_health_gate": django_app_health_gate}
