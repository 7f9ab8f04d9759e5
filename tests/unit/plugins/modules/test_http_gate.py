"""Unit tests for http_gate, against a real HTTP server on loopback whose pages redirect."""

import http.server
import socket
import threading

import pytest

from ansible_collections.webstack.django.plugins.modules import http_gate

ROUTES = {
    "/ok": (200, None),
    "/missing": (404, None),
    "/": (302, "/accounts/login/?next=/"),
    "/accounts/login/?next=/": (500, None),
    "/good-home": (302, "/welcome/"),
    "/welcome/": (200, None),
    "/to-https": (301, "https://localhost/"),
    "/to-other-host": (302, "http://evil.example.net/"),
    "/to-own-host": (302, "http://shop.example.com:{port}/welcome/"),
    "/to-other-port": (302, "http://shop.example.com:8443/welcome/"),
    "/loop": (302, "/loop2"),
    "/loop2": (302, "/loop"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.server.seen.append((self.headers["Host"], self.path))
        status, location = ROUTES.get(self.path, (404, None))
        self.send_response(status)
        if location:
            self.send_header("Location", location.format(port=self.server.server_port))
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(("page %s" % self.path).encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


@pytest.fixture
def gate(run_module, server):
    def _gate(*pages, **args):
        params = dict(host="shop.example.com", served={"http": server.server_port},
                      hosts=["shop.example.com", "localhost"], pages=list(pages))
        params.update(args)
        return run_module(http_gate.main, **params)
    return _gate


def test_a_page_that_answers_passes(gate):
    result = gate({"path": "/ok"})
    assert result["status"] == 200 and result["changed"] is False
    assert result["content"] == "page /ok"


def test_a_redirect_to_a_page_that_fails_fails_naming_the_chain(gate, server):
    result = gate({"path": "/", "status": list(range(200, 500))})
    assert result["failed"] is True
    assert result["msg"].startswith("page / answered HTTP 500, not 200-499: ")
    assert "(302) -> " in result["msg"] and "/accounts/login/?next=/ (500)" in result["msg"]


def test_a_redirect_to_a_page_that_answers_passes(gate):
    result = gate({"path": "/good-home"})
    assert result["status"] == 200
    assert [c["status"] for c in result["pages"][0]["chain"]] == [302, 200]


def test_a_redirect_to_https_that_the_site_does_not_serve_fails(gate):
    result = gate({"path": "/to-https", "status": list(range(200, 500))})
    assert result["failed"] is True
    assert "redirects to https://localhost/, and the site serves no https here" in result["msg"]


def test_a_redirect_to_another_host_fails(gate):
    result = gate({"path": "/to-other-host"})
    assert "a host the site does not answer to (shop.example.com, localhost)" in result["msg"]


def test_a_redirect_to_the_sites_own_name_goes_to_this_server_with_that_host(gate, server):
    server.seen.clear()
    result = gate({"path": "/to-own-host"})
    assert result["status"] == 200, result
    assert server.seen[-1] == ("shop.example.com:%d" % server.server_port, "/welcome/")


def test_a_redirect_to_a_port_that_is_not_served_fails(gate):
    assert "serves http on port" in gate({"path": "/to-other-port"})["msg"]


def test_a_loop_fails(gate):
    assert "redirects in a loop" in gate({"path": "/loop"})["msg"]


def test_several_pages_each_with_its_statuses(gate):
    result = gate({"path": "/ok"}, {"path": "/missing", "status": [404]})
    assert [p["status"] for p in result["pages"]] == [200, 404]
    result = gate({"path": "/ok"}, {"path": "/missing"})
    assert result["failed"] is True and result["msg"].startswith("page /missing answered HTTP 404, not 200")


def test_no_answer_fails_saying_so(run_module):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_module(http_gate.main, host="a", served={"http": port}, hosts=["a"], pages=[{"path": "/"}])
    assert result["failed"] is True and ": no answer (" in result["msg"]


@pytest.mark.parametrize("host, allowed", [
    ("shop.example.com", True), ("SHOP.example.com.", True), ("a.example.org", True), ("example.org", True),
    ("badexample.org", False), ("other.com", False),
])
def test_hosts_follow_djangos_rules(host, allowed):
    assert http_gate.host_allowed(host, ["shop.example.com", ".example.org"]) is allowed
    assert http_gate.host_allowed(host, ["*"]) is True
