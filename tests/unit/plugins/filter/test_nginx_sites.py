"""Unit tests for the nginx_sites filter."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import nginx_sites as module
from ansible_collections.webstack.django.plugins.filter.nginx_sites import nginx_sites


def test_minimal_site_gets_every_default():
    (site,) = nginx_sites([{"name": "demo"}])
    assert site["listen"] == 80
    assert site["server_names"] == ["_"]
    assert site["state"] == "present"
    assert site["upstream"] is None
    assert site["tls"]["enabled"] is False
    assert site["tls"]["self_signed"] is False


def test_upstream_servers_accept_strings_and_dicts():
    (site,) = nginx_sites([{"name": "demo", "upstream": {"servers": [
        "unix:/run/uwsgi/demo.sock", {"address": "10.0.0.2:8000", "weight": 3, "down": True}]}}],
        read_timeout=90)
    first, second = site["upstream"]["servers"]
    assert first == {"address": "unix:/run/uwsgi/demo.sock", "weight": 1, "max_fails": 1,
                     "fail_timeout": 10, "down": False, "backup": False}
    assert second["weight"] == 3 and second["down"] is True
    assert site["upstream"]["read_timeout"] == 90


def test_tls_without_certificate_is_self_signed_in_tls_dir():
    (site,) = nginx_sites([{"name": "demo", "tls": {"enabled": True}}], tls_dir="/x")
    assert site["tls"]["self_signed"] is True
    assert site["tls"]["certificate"] == "/x/demo.crt"
    assert site["tls"]["certificate_key"] == "/x/demo.key"


def test_tls_with_certificate_is_not_self_signed():
    (site,) = nginx_sites([{"name": "demo", "tls": {
        "enabled": True, "certificate": "/c.pem", "certificate_key": "/k.pem"}}])
    assert site["tls"]["self_signed"] is False


@pytest.mark.parametrize("sites, extra, message", [
    ([{"name": "a b"}], [], r"nginx_sites\[0\]\.name"),
    ([{"name": "a/b"}], [], r"nginx_sites\[0\]\.name"),
    ([{"listen": 80}], [], r"nginx_sites\[0\]\.name"),
    ([{"name": "a", "listen": 70000}], [], r"nginx_sites\[0\]\.listen: 70000 is out of range"),
    ([{"name": "a", "listen": 0}], [], r"nginx_sites\[0\]\.listen"),
    ([], [{"name": "a", "tls": {"enabled": True, "port": 99999}}], r"nginx_extra_sites\[0\]\.tls\.port"),
    ([{"name": "a"}, {"name": "a"}], [], r"used twice"),
    ([{"name": "a", "colour": "red"}], [], r"nginx_sites\[0\]: unknown key\(s\) colour"),
    ([{"name": "a", "upstream": {"servers": []}}], [], r"upstream\.servers"),
    ([{"name": "a", "upstream": {"servers": ["nowhere"]}}], [], r"servers\[0\]\.address"),
    ([{"name": "a", "upstream": {"servers": ["h:70000"]}}], [], r"servers\[0\]\.address"),
    ([{"name": "a", "tls": {"certificate": "/c"}}], [], r"certificate and certificate_key"),
    ([{"name": "a", "static_locations": [{"location": "/s/"}]}], [], r"alias, root or proxy"),
    ([{"name": "a", "static_locations": [{"location": "/s/", "alias": "/x/", "proxy": "http://s:8333/b/"}]}], [],
     r"exactly one of alias, root or proxy"),
    ([{"name": "a", "static_locations": [{"location": "/s/", "proxy": "http://s:8333/b"}]}], [],
     r"static_locations\[0\]\.proxy: 'http://s:8333/b' is not a URL of a bucket"),
    ([{"name": "a", "static_locations": [{"location": "/s/", "proxy": "http://s/b/;return 200 x;/"}]}], [],
     r"static_locations\[0\]\.proxy: "),
    ([{"name": "a", "static_locations": [{"location": "s/", "alias": "/x"}]}], [], r"location"),
    ([{"name": "a", "state": "gone"}], [], r"nginx_sites\[0\]\.state"),
    ([{"name": "a", "default_server": True}, {"name": "b", "default_server": True}], [],
     r"both default_server on port 80"),
    ("not-a-list", [], r"nginx_sites: must be a list"),
])
def test_bad_input_names_the_field(sites, extra, message):
    with pytest.raises(AnsibleFilterError, match=message):
        nginx_sites(sites, extra)


def test_extra_sites_are_appended():
    result = nginx_sites([{"name": "a"}], [{"name": "b"}])
    assert [s["name"] for s in result] == ["a", "b"]


def test_absent_sites_do_not_count_as_default_servers():
    result = nginx_sites([{"name": "a", "default_server": True, "state": "absent"},
                          {"name": "b", "default_server": True}])
    assert len(result) == 2


@pytest.mark.parametrize("block", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_documentation_is_yaml(block):
    assert yaml.safe_load(getattr(module, block))


def test_filter_is_registered():
    assert module.FilterModule().filters()["nginx_sites"] is nginx_sites


def test_http_upstream_for_a_load_balancer():
    (site,) = nginx_sites([{"name": "demo", "upstream": {
        "protocol": "http", "servers": ["web1:80", {"address": "web2:80", "down": True}]}}])
    assert site["upstream"]["protocol"] == "http"
    assert [s["address"] for s in site["upstream"]["servers"]] == ["web1:80", "web2:80"]
    (default,) = nginx_sites([{"name": "demo", "upstream": {"servers": ["unix:/run/x.sock"]}}])
    assert default["upstream"]["protocol"] == "uwsgi"


@pytest.mark.parametrize("upstream, message", [
    ({"protocol": "fastcgi", "servers": ["web1:80"]}, "nginx_sites[0].upstream.protocol"),
    ({"protocol": "http", "servers": ["unix:/run/x.sock"]}, "needs host:port servers"),
])
def test_bad_http_upstream_names_the_field(upstream, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("[", r"\[").replace(".", r"\.")):
        nginx_sites([{"name": "demo", "upstream": upstream}])


@pytest.mark.parametrize("name", ["localhost", "_", "*.example.org", "example.*", ".example.org",
                                  "127.0.0.1", "[::1]", "web-1.internal"])
def test_server_names_accept_host_names_addresses_and_wildcards(name):
    (site,) = nginx_sites([{"name": "demo", "server_names": [name]}])
    assert site["server_names"] == [name]


@pytest.mark.parametrize("name", ["localhost; return 418", "my host", "a{", "}", 'a"b', "a'b", "a%b",
                                  "bücher.example", "*", "a..b", "x" * 254, "a\nb", "~^regex$", "$host"])
def test_server_names_that_could_change_the_config_are_refused(name):
    with pytest.raises(AnsibleFilterError, match=r"nginx_sites\[0\].server_names\[0\]: .* is not a host name"):
        nginx_sites([{"name": "demo", "server_names": [name]}])


@pytest.mark.parametrize("site, where", [
    ({"root": "/srv/a b"}, "root"),
    ({"root": "/srv/a;b"}, "root"),
    ({"index": ["index.html;"]}, r"index\[0\]"),
    ({"static_locations": [{"location": "/s/ {", "alias": "/a/"}]}, r"static_locations\[0\].location"),
    ({"static_locations": [{"location": "/s/", "alias": "/a/$x"}]}, r"static_locations\[0\].alias"),
    ({"static_locations": [{"location": "/s/", "alias": "/a/", "expires": "30d; x"}]}, r"static_locations\[0\].expires"),
    ({"client_max_body_size": "10m;"}, "client_max_body_size"),
    ({"tls": {"enabled": True, "certificate": "/a b", "certificate_key": "/k"}}, "tls.certificate"),
    ({"upstream": {"servers": ["unix:/run/a;b"]}}, r"upstream.servers\[0\].address"),
    ({"upstream": {"servers": ["a:80"], "read_timeout": 10**6}}, "upstream.read_timeout"),
    ({"upstream": {"servers": ["a:80"], "keepalive": 10**6}}, "upstream.keepalive"),
    ({"upstream": {"servers": [{"address": "a:80", "weight": 10**6}]}}, r"upstream.servers\[0\].weight"),
])
def test_values_written_into_the_config_are_checked(site, where):
    with pytest.raises(AnsibleFilterError, match=rf"nginx_sites\[0\]\.{where}: "):
        nginx_sites([{"name": "demo", **site}])


def test_errors_name_the_variable_the_value_came_from():
    with pytest.raises(AnsibleFilterError, match=r"^django_app_server_names\[0\]: 'a b'"):
        nginx_sites([{"name": "demo", "server_names": ["a b"]}],
                    sources={"server_names": "django_app_server_names"})


def test_acme_site_points_into_the_live_directory_with_a_bootstrap_pair():
    (site,) = nginx_sites([{"name": "demo", "server_names": ["a.example", "_"],
                            "tls": {"enabled": True, "acme": {"enabled": True}}}],
                          tls_dir="/x", acme_live_dir="/le/live")
    tls = site["tls"]
    assert tls["self_signed"] is False
    assert tls["certificate"] == "/le/live/demo/fullchain.pem"
    assert tls["certificate_key"] == "/le/live/demo/privkey.pem"
    assert tls["acme"] == {"names": ["a.example"],
                           "bootstrap": {"certificate": "/x/demo.crt", "certificate_key": "/x/demo.key"}}


def test_acme_off_leaves_the_site_as_before():
    (site,) = nginx_sites([{"name": "demo", "tls": {"enabled": True, "acme": {"enabled": False}}}])
    assert site["tls"]["acme"] is None
    assert site["tls"]["self_signed"] is True


def test_acme_names_may_be_a_subset_of_the_server_names():
    (site,) = nginx_sites([{"name": "demo", "server_names": ["a.example", "b.example"],
                            "tls": {"enabled": True, "acme": {"enabled": True, "names": ["b.example"]}}}])
    assert site["tls"]["acme"]["names"] == ["b.example"]


@pytest.mark.parametrize("server_names, acme, tls, message", [
    (["a.example"], {"enabled": True, "names": ["b.example"]}, {},
     r"tls\.acme\.names\[0\]: 'b\.example' is not in the site's server_names \(a\.example\)"),
    (["*.example.org"], {"enabled": True}, {}, r"tls\.acme\.names\[0\]: .* http-01"),
    (["10.0.0.1"], {"enabled": True}, {}, r"tls\.acme\.names\[0\]: .* http-01"),
    (["_"], {"enabled": True}, {}, r"tls\.acme\.names: no host name to request"),
    (["a.example"], {"enabled": True}, {"enabled": False}, r"tls\.acme\.enabled: needs tls\.enabled"),
    (["a.example"], {"enabled": True}, {"certificate": "/c", "certificate_key": "/k"}, r"tls\.acme: .* not both"),
    (["a.example"], {"enabled": True, "email": "x"}, {}, r"tls\.acme: unknown key\(s\) email"),
    (["a.example"], "yes", {}, r"tls\.acme: must be a dict"),
])
def test_bad_acme_input_names_the_field(server_names, acme, tls, message):
    site = {"name": "demo", "server_names": server_names, "tls": {"enabled": True, **tls, "acme": acme}}
    with pytest.raises(AnsibleFilterError, match=r"nginx_sites\[0\]\." + message):
        nginx_sites([site])


# A switch given as a string (-e, a quoted YAML value) means what a type: bool argument spec
# makes of it: "no" and "false" are false; anything else is refused, naming the key.
@pytest.mark.parametrize("text, expected", [("false", False), ("no", False), ("0", False), ("off", False),
                                            ("true", True), ("yes", True), ("1", True), ("On", True)])
def test_switches_given_as_strings_mean_what_they_say(text, expected):
    (site,) = nginx_sites([{"name": "a", "default_server": text,
                            "tls": {"enabled": text, "redirect_http": text},
                            "upstream": {"servers": [{"address": "h:80", "down": text, "backup": text}]}}])
    assert site["default_server"] is expected
    assert site["tls"]["enabled"] is expected and site["tls"]["redirect_http"] is expected
    assert site["upstream"]["servers"][0]["down"] is expected and site["upstream"]["servers"][0]["backup"] is expected


def test_tls_enabled_no_gives_a_plain_http_site():
    (site,) = nginx_sites([{"name": "a", "tls": {"enabled": "no"}}])
    assert site["tls"]["enabled"] is False and site["tls"]["self_signed"] is False


def test_acme_enabled_false_as_a_string_requests_nothing():
    (site,) = nginx_sites([{"name": "a", "server_names": ["a.example"], "tls": {"enabled": True,
                                                                                "acme": {"enabled": "false"}}}])
    assert site["tls"]["acme"] is None


@pytest.mark.parametrize("site, where", [
    ({"name": "a", "default_server": "maybe"}, r"nginx_sites\[0\]\.default_server: 'maybe' is not a boolean"),
    ({"name": "a", "tls": {"enabled": "si"}}, r"nginx_sites\[0\]\.tls\.enabled: 'si' is not a boolean"),
    ({"name": "a", "tls": {"redirect_http": [True]}}, r"nginx_sites\[0\]\.tls\.redirect_http: \[True\] is not a boolean"),
    ({"name": "a", "tls": {"enabled": True, "acme": {"enabled": "2"}}}, r"nginx_sites\[0\]\.tls\.acme\.enabled"),
    ({"name": "a", "upstream": {"servers": [{"address": "h:80", "down": "x"}]}},
     r"nginx_sites\[0\]\.upstream\.servers\[0\]\.down"),
])
def test_a_switch_that_is_no_boolean_is_refused_naming_the_key(site, where):
    with pytest.raises(AnsibleFilterError, match=where):
        nginx_sites([site])


def test_a_switch_of_another_role_names_that_role_variable():
    with pytest.raises(AnsibleFilterError, match=r"^django_app_tls\.enabled: 'maybe' is not a boolean"):
        nginx_sites([{"name": "a", "tls": {"enabled": "maybe"}}], sources={"tls": "django_app_tls"})


def test_a_location_read_through_from_a_bucket():
    site = nginx_sites([{"name": "a", "static_locations": [
        {"location": "/media/", "proxy": "http://storage:8333/demo/", "uploads": True}]}])[0]
    assert site["static_locations"][0] == {"location": "/media/", "alias": None, "root": None,
                                           "proxy": "http://storage:8333/demo/", "expires": "30d", "uploads": True}


# A site's ASGI locations

UWSGI = {"servers": ["unix:/run/uwsgi/demo.sock"]}


def test_asgi_locations_go_to_their_servers_with_a_day_at_most():
    (site,) = nginx_sites([{"name": "demo", "upstream": UWSGI, "asgi": {
        "locations": ["/ws/", "/async/"], "servers": ["unix:/run/asgi/demo.sock"]}}])
    assert site["asgi"]["locations"] == ["/ws/", "/async/"]
    assert site["asgi"]["servers"][0]["address"] == "unix:/run/asgi/demo.sock"
    assert site["asgi"]["read_timeout"] == 3600


def test_no_asgi_locations_is_no_asgi():
    (site,) = nginx_sites([{"name": "demo", "upstream": UWSGI, "asgi": {"locations": [], "servers": []}}])
    assert site["asgi"] is None
    (site,) = nginx_sites([{"name": "demo", "upstream": UWSGI}])
    assert site["asgi"] is None


def test_a_load_balancer_passes_asgi_locations_to_its_http_upstream():
    (site,) = nginx_sites([{"name": "demo", "upstream": {"protocol": "http", "servers": ["web1:80"]},
                            "asgi": {"locations": ["/ws/"], "read_timeout": "600"}}])
    assert site["asgi"] == {"locations": ["/ws/"], "servers": [], "read_timeout": 600}


@pytest.mark.parametrize("asgi, message", [
    ({"locations": ["/ws/"]}, "sites[0].asgi.servers: needs the ASGI server's address"),
    ({"locations": ["/"], "servers": ["unix:/run/a.sock"]}, "sites[0].asgi.locations[0]: / is already a location"),
    ({"locations": ["/static/"], "servers": ["unix:/run/a.sock"]}, "/static/ is already a location"),
    ({"locations": ["/ws/", "/ws/"], "servers": ["unix:/run/a.sock"]}, "asgi.locations[1]: /ws/ is already"),
    ({"locations": ["/ws/;return 200"], "servers": ["unix:/run/a.sock"]}, "asgi.locations[0]"),
    ({"locations": ["/ws/"], "servers": ["nowhere"]}, "asgi.servers[0].address"),
    ({"locations": ["/ws/"], "servers": ["unix:/run/a.sock"], "read_timeout": 0}, "asgi.read_timeout"),
    ({"locations": ["/ws/"], "servers": ["unix:/run/a.sock"], "proxy": "x"}, "asgi: unknown key"),
    ("/ws/", "sites[0].asgi: must be a dict"),
])
def test_bad_asgi_input_names_the_key(asgi, message):
    with pytest.raises(AnsibleFilterError) as error:
        nginx_sites([{"name": "demo", "upstream": UWSGI, "static_locations": [{"location": "/static/", "alias": "/s/"}],
                      "asgi": asgi}])
    assert message in str(error.value)
