"""Behaviour of the nginx role in a real systemd container."""

from conftest import curl, header


def test_service_running_and_enabled(host):
    service = host.service("nginx")
    assert service.is_running
    assert service.is_enabled


def test_configuration_is_valid(host):
    assert host.run("nginx -t").rc == 0


def test_static_site_answers_with_its_page(host):
    status, _ignored, body = curl(host, "http://127.0.0.1/")
    assert status == 200
    assert body == "webstack nginx static site\n"


def test_static_alias_is_served_by_nginx(host):
    status, _ignored, body = curl(host, "http://127.0.0.1:8080/static/hello.txt", "-H", "Host: app.test")
    assert status == 200
    assert body == "hello from the static alias\n"


def test_upstream_location_is_passed_to_uwsgi(host):
    # No application listens on the socket in this scenario: nginx answers 502 itself,
    # which shows the request went to the uwsgi upstream and not to a file.
    status, _ignored, _ignored = curl(host, "http://127.0.0.1:8080/anything", "-H", "Host: app.test")
    assert status == 502
    assert "app_app" in host.file("/etc/nginx/sites-enabled/app.conf").content_string


def test_default_site_is_gone(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists
    _ignored, _ignored, body = curl(host, "http://127.0.0.1/", "-H", "Host: unknown.test")
    assert "Welcome to nginx" not in body


def test_server_header_has_no_version(host):
    _ignored, headers, _ignored = curl(host, "http://127.0.0.1/")
    assert header(headers, "Server") == "nginx"
    # Error pages carry no version either.
    status, _ignored, body = curl(host, "http://127.0.0.1/no-such-page")
    assert status == 404
    assert "nginx/" not in body


def test_security_headers_are_sent(host):
    _ignored, headers, _ignored = curl(host, "http://127.0.0.1/")
    assert header(headers, "X-Content-Type-Options") == "nosniff"
    assert header(headers, "X-Frame-Options") == "DENY"


def test_worker_processes_equal_the_plan(host, plan):
    expected = plan["nginx"]["worker_processes"]
    conf = host.file("/etc/nginx/nginx.conf").content_string
    assert f"worker_processes {expected};" in conf
    workers = host.process.filter(comm="nginx", user="www-data")
    assert len(workers) == expected


def test_worker_connections_equal_the_plan(host, plan):
    conf = host.file("/etc/nginx/nginx.conf").content_string
    assert f"worker_connections {plan['nginx']['worker_connections']};" in conf


def test_tls_site_answers_on_443(host):
    status, headers, body = curl(host, "https://127.0.0.1/")
    assert status == 200
    assert body == "webstack nginx static site\n"
    assert header(headers, "Strict-Transport-Security").startswith("max-age=31536000")


def test_tls_key_is_private(host):
    key = host.file("/etc/nginx/tls/static.key")
    assert key.user == "root"
    assert key.mode == 0o600


def tls_handshake(host, version):
    """Whether a handshake with only this protocol version succeeds on the TLS site.

    The client's security level is lowered so that only the server decides."""
    result = host.run(f"openssl s_client -connect 127.0.0.1:443 -servername static.test {version} "
                      "-cipher DEFAULT@SECLEVEL=0 < /dev/null")
    return result.rc == 0 and "Cipher is (NONE)" not in result.stdout


def test_tls_accepts_tls12_and_tls13(host):
    assert tls_handshake(host, "-tls1_2")
    assert tls_handshake(host, "-tls1_3")


def test_tls_refuses_tls11_and_older(host):
    assert not tls_handshake(host, "-tls1_1")
    assert not tls_handshake(host, "-tls1")
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in host.file("/etc/nginx/nginx.conf").content_string
