# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate and complete the site definitions of the webstack.django.nginx role."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.plugin_utils.inputs import strict_bool

DOCUMENTATION = r"""
name: nginx_sites
author: webstack.django maintainers
version_added: 0.1.0
short_description: Validate nginx site definitions and fill in their defaults
description:
  - Takes the list of sites given to the C(webstack.django.nginx) role and returns the same
    sites with every optional key filled in, ready for the site template.
  - Checks what the role's argument specification cannot express (name syntax, port ranges,
    duplicate names and ports, TLS certificate pairs, upstream addresses) and raises an error
    naming the variable and the item, so bad input fails before the host is touched.
  - "Switches (C(default_server), C(tls.enabled), C(tls.redirect_http), C(tls.acme.enabled), a
    server's C(down) and C(backup)) take the forms a C(type: bool) argument specification takes
    (C(no) and C(false) are false); anything else is refused, naming the key."
  - Every value written into the configuration is checked against what nginx accepts there,
    so no value can add a directive. Server names are host names, IP addresses, C(_) or
    wildcard names (C(*.example.org), C(example.*)); paths and locations are absolute without
    whitespace, quotes, backslashes, C($), C(;), C({) or C(}); counts and timeouts have upper
    bounds (weights 1000, failures 1000, keepalive connections 1024, timeouts one day).
    Only C(extra_config) is raw nginx text, by design.
  - A site whose C(tls.acme.enabled) is true gets its certificate from an ACME CA;
    C(tls.certificate) and C(tls.certificate_key) point into I(acme_live_dir), and
    C(tls.acme.names) (default the site's host names) must all be host names of its
    C(server_names), none a wildcard or an IP address (the http-01 challenge proves neither).
  - "A site's C(asgi) (C(locations), C(servers), C(read_timeout)) sends its locations, none of them
    another location of the site, to an ASGI server with websocket upgrades; without servers, to
    the site's http upstream (a load balancer passes them on to the web hosts)."
positional: extra_sites, read_timeout, tls_dir
options:
  _input:
    description: The sites, as in C(nginx_sites).
    type: list
    elements: dict
    required: true
  extra_sites:
    description: More sites, as in C(nginx_extra_sites); reported under that name.
    type: list
    elements: dict
    default: []
  read_timeout:
    description: Default C(uwsgi_read_timeout) in seconds for upstreams that set none.
    type: int
    default: 60
  tls_dir:
    description: Directory for self-signed certificates of sites that bring none.
    type: str
    default: /etc/nginx/tls
  acme_live_dir:
    description: Directory where certbot keeps the current certificate of each lineage.
    type: str
    default: /etc/letsencrypt/live
  sources:
    description:
      - "Variables the keys of the sites come from, for the error messages, for example
        C({'server_names': 'django_app_server_names'}) when another role builds the site."
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Complete the site definitions
  ansible.builtin.set_fact:
    __nginx_sites: "{{ nginx_sites | webstack.django.nginx_sites(nginx_extra_sites, 60) }}"
"""

RETURN = r"""
_value:
  description:
    - The sites with every key present; C(upstream) and C(asgi) are null when the site has none, and
      C(tls.self_signed) tells whether the role must generate the certificate; C(tls.acme) is
      null, or the names to request and the self-signed C(bootstrap) pair nginx serves until
      the first ACME certificate is issued.
  type: list
  elements: dict
"""

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ADDRESS_RE = re.compile(r"^(unix:/\S+|\[[0-9A-Fa-f:]+\]:\d+|[A-Za-z0-9_.-]+:\d+)$")
SITE_KEYS = {
    "name", "state", "server_names", "listen", "default_server", "root", "index",
    "static_locations", "upstream", "asgi", "tls", "client_max_body_size", "extra_config",
}
ASGI_KEYS = {"locations", "servers", "read_timeout"}
UPSTREAM_KEYS = {"servers", "location", "keepalive", "read_timeout", "protocol"}
PROTOCOLS = ("uwsgi", "http")
SERVER_KEYS = {"address", "weight", "max_fails", "fail_timeout", "down", "backup"}
TLS_KEYS = {"enabled", "port", "certificate", "certificate_key", "redirect_http", "hsts_max_age", "acme"}
ACME_KEYS = {"enabled", "names"}
STATIC_KEYS = {"location", "alias", "root", "proxy", "expires", "uploads"}
# A host name label, an IP address, "_", or one wildcard at the start or end (nginx's rules).
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
SERVER_NAME_RE = re.compile(
    rf"^(?:_|\*\.{_LABEL}(?:\.{_LABEL})*|\.?{_LABEL}(?:\.{_LABEL})*(?:\.\*)?|\[[0-9A-Fa-f:.]+\])$")
# A name the http-01 challenge can prove: a DNS name with a dot or none, no wildcard, no IP.
ACME_NAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
IP_RE = re.compile(r"^[0-9.]+$")
# A path or location nginx takes verbatim: nothing that ends, opens or quotes a directive.
PATH_RE = re.compile(r"^/[^\s;{}\"'\\$#]*$")
INDEX_RE = re.compile(r"^[^\s;{}\"'\\$#/]+$")
# An object store's bucket, read through (http://storage:8333/bucket/): scheme, host, port, a path.
PROXY_RE = re.compile(r"^https?://[A-Za-z0-9_.-]+(?::[0-9]{1,5})?/[^\s;{}\"'\\$#?]*/$")
EXPIRES_RE = re.compile(r"^(?:off|epoch|max|-?[0-9]{1,9}(?:ms|s|m|h|d|w|M|y)?)$")
SIZE_RE = re.compile(r"^[0-9]{1,9}[kKmMgG]?$")
DAY = 86400


def _fail(where, msg):
    raise AnsibleFilterError(f"{where}: {msg}")


def _switch(where, item, key, default):
    """item[key] as a bool (null or absent: the default); anything not a boolean is refused."""
    value = item.get(key)
    return default if value is None else strict_bool(f"{where}.{key}", value)


def _port(where, value):
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            _fail(where, f"{value!r} is not a port number")
    if not 1 <= value <= 65535:
        _fail(where, f"{value} is out of range 1-65535")
    return value


def _positive_int(where, value, minimum=0, maximum=None):
    if isinstance(value, bool):
        _fail(where, f"{value!r} is not a number")
    try:
        value = int(value)
    except (TypeError, ValueError):
        _fail(where, f"{value!r} is not a number")
    if value < minimum:
        _fail(where, f"{value} is below {minimum}")
    if maximum is not None and value > maximum:
        _fail(where, f"{value} is above the maximum {maximum}")
    return value


def _matching(where, value, pattern, what, optional=False):
    if value is None and optional:
        return None
    if not isinstance(value, str) or not pattern.match(value):
        _fail(where, f"{value!r} is not {what}")
    return value


def _path(where, value, optional=False):
    return _matching(where, value, PATH_RE, "an absolute path without whitespace, quotes, "
                     "backslashes, $, #, ; or braces", optional)


def _server_names(where, value):
    names = _str_list(where, value)
    for index, name in enumerate(names):
        if len(name) > 253 or not SERVER_NAME_RE.match(name):
            _fail(f"{where}[{index}]", f"{name!r} is not a host name, an IP address, _ or a "
                                       "wildcard name (*.example.org, example.*)")
    return names


def _unknown(where, item, allowed):
    unknown = sorted(set(item) - allowed)
    if unknown:
        _fail(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _str_list(where, value):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        _fail(where, "must be a list of non-empty strings")
    return list(value)


def _server(where, server):
    if isinstance(server, str):
        server = {"address": server}
    if not isinstance(server, dict):
        _fail(where, "must be an address string or a dict with an address")
    _unknown(where, server, SERVER_KEYS)
    address = server.get("address")
    if not isinstance(address, str) or not ADDRESS_RE.match(address) or not PATH_RE.match(
            "/" + address.split(":", 1)[1].lstrip("/")):
        _fail(f"{where}.address", f"{address!r} is neither unix:/path nor host:port")
    if not address.startswith("unix:"):
        _port(f"{where}.address", address.rsplit(":", 1)[1])
    return {
        "address": address,
        "weight": _positive_int(f"{where}.weight", server.get("weight", 1), 1, 1000),
        "max_fails": _positive_int(f"{where}.max_fails", server.get("max_fails", 1), 0, 1000),
        "fail_timeout": _positive_int(f"{where}.fail_timeout", server.get("fail_timeout", 10), 0, DAY),
        "down": _switch(where, server, "down", False),
        "backup": _switch(where, server, "backup", False),
    }


def _upstream(where, upstream, read_timeout):
    if upstream is None:
        return None
    if not isinstance(upstream, dict):
        _fail(where, "must be a dict with a list of servers")
    _unknown(where, upstream, UPSTREAM_KEYS)
    servers = upstream.get("servers")
    if not isinstance(servers, list) or not servers:
        _fail(f"{where}.servers", "must be a non-empty list")
    location = _path(f"{where}.location", upstream.get("location", "/"))
    protocol = upstream.get("protocol", "uwsgi")
    if protocol not in PROTOCOLS:
        _fail(f"{where}.protocol", f"{protocol!r} is not one of {', '.join(PROTOCOLS)}")
    checked = [_server(f"{where}.servers[{i}]", s) for i, s in enumerate(servers)]
    if protocol == "http" and any(s["address"].startswith("unix:") for s in checked):
        _fail(f"{where}.servers", "an http upstream needs host:port servers, not unix sockets")
    return {
        "protocol": protocol,
        "servers": checked,
        "location": location,
        "keepalive": _positive_int(f"{where}.keepalive", upstream.get("keepalive", 16), 0, 1024),
        "read_timeout": _positive_int(
            f"{where}.read_timeout", upstream.get("read_timeout", read_timeout), 1, DAY),
    }


def _asgi(where, asgi, upstream, taken):
    """The site's ASGI locations (websockets upgraded): proxied to its own ``servers``, or,
    without them, to the site's http upstream (a load balancer passing them on); None when none."""
    if asgi is None:
        return None
    if not isinstance(asgi, dict):
        _fail(where, "must be a dict with a list of locations")
    _unknown(where, asgi, ASGI_KEYS)
    locations = _str_list(f"{where}.locations", asgi.get("locations", []))
    if not locations:
        return None
    checked = []
    for index, location in enumerate(locations):
        location = _path(f"{where}.locations[{index}]", location)
        if location in taken or location in checked:
            _fail(f"{where}.locations[{index}]", f"{location} is already a location of the site")
        checked.append(location)
    servers = asgi.get("servers") or []
    if not isinstance(servers, list):
        _fail(f"{where}.servers", "must be a list")
    if not servers and not (upstream and upstream["protocol"] == "http"):
        _fail(f"{where}.servers", "needs the ASGI server's address, unless the site's upstream is http (a load balancer)")
    return {
        "locations": checked,
        "servers": [_server(f"{where}.servers[{i}]", s) for i, s in enumerate(servers)],
        "read_timeout": _positive_int(f"{where}.read_timeout", asgi.get("read_timeout", 3600), 1, DAY),
    }


def _acme(where, acme, enabled, has_cert, server_names):
    """The ACME request of a site (names to prove), or None when the site has none."""
    acme = acme or {}
    if not isinstance(acme, dict):
        _fail(where, "must be a dict")
    _unknown(where, acme, ACME_KEYS)
    if not _switch(where, acme, "enabled", False):
        return None
    if not enabled:
        _fail(f"{where}.enabled", "needs tls.enabled: true")
    if has_cert:
        _fail(where, "a site takes its certificate from ACME or from certificate/certificate_key, not both")
    default = [n for n in server_names if n != "_"]
    names = _str_list(f"{where}.names", acme.get("names", default))
    if not names:
        _fail(f"{where}.names", "no host name to request: server_names holds none")
    for index, host in enumerate(names):
        if host not in server_names:
            _fail(f"{where}.names[{index}]", f"{host!r} is not in the site's server_names "
                                             f"({', '.join(server_names)})")
        if not ACME_NAME_RE.match(host) or IP_RE.match(host):
            _fail(f"{where}.names[{index}]", f"{host!r} is not a DNS name the http-01 challenge "
                                             "can prove (no wildcard, no IP address)")
    return {"names": names}


def _tls(where, tls, name, tls_dir, server_names, acme_live_dir):
    tls = tls or {}
    if not isinstance(tls, dict):
        _fail(where, "must be a dict")
    _unknown(where, tls, TLS_KEYS)
    cert, key = tls.get("certificate"), tls.get("certificate_key")
    if bool(cert) != bool(key):
        _fail(where, "certificate and certificate_key go together (omit both for a self-signed one)")
    enabled = _switch(where, tls, "enabled", False)
    acme = _acme(f"{where}.acme", tls.get("acme"), enabled, bool(cert), server_names)
    if acme:
        acme["bootstrap"] = {"certificate": _path(f"{where}.certificate", f"{tls_dir}/{name}.crt"),
                             "certificate_key": _path(f"{where}.certificate_key", f"{tls_dir}/{name}.key")}
        cert, key = f"{acme_live_dir}/{name}/fullchain.pem", f"{acme_live_dir}/{name}/privkey.pem"
    self_signed = enabled and not cert
    return {
        "enabled": enabled,
        "port": _port(f"{where}.port", tls.get("port", 443)),
        "certificate": _path(f"{where}.certificate", cert or f"{tls_dir}/{name}.crt"),
        "certificate_key": _path(f"{where}.certificate_key", key or f"{tls_dir}/{name}.key"),
        "self_signed": self_signed,
        "acme": acme,
        "redirect_http": _switch(where, tls, "redirect_http", True),
        "hsts_max_age": _positive_int(f"{where}.hsts_max_age", tls.get("hsts_max_age", 31536000),
                                      0, 10 * 365 * DAY),
    }


def _static(where, item):
    if not isinstance(item, dict):
        _fail(where, "must be a dict")
    _unknown(where, item, STATIC_KEYS)
    location = _path(f"{where}.location", item.get("location"))
    if [bool(item.get(key)) for key in ("alias", "root", "proxy")].count(True) != 1:
        _fail(where, "needs exactly one of alias, root or proxy")
    return {
        "location": location,
        "alias": _path(f"{where}.alias", item.get("alias") or None, optional=True),
        "root": _path(f"{where}.root", item.get("root") or None, optional=True),
        "proxy": _matching(f"{where}.proxy", item.get("proxy") or None, PROXY_RE,
                           "a URL of a bucket read through, ending in / (http://storage:8333/bucket/)",
                           optional=True),
        "expires": _matching(f"{where}.expires", str(item.get("expires", "30d")), EXPIRES_RE,
                             "an nginx expires time (30d, 12h, max, off, epoch)"),
        "uploads": _switch(where, item, "uploads", False),
    }


def _site(where, site, read_timeout, tls_dir, acme_live_dir):
    if not isinstance(site, dict):
        _fail(where, "must be a dict")
    _unknown(where, site, SITE_KEYS)
    name = site.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        _fail(f"{where}.name", f"{name!r} must match {NAME_RE.pattern}")
    state = site.get("state", "present")
    if state not in ("present", "absent"):
        _fail(f"{where}.state", f"{state!r} is not one of present, absent")
    statics = site.get("static_locations", []) or []
    if not isinstance(statics, list):
        _fail(f"{where}.static_locations", "must be a list")
    server_names = _server_names(f"{where}.server_names", site.get("server_names", ["_"]))
    static_locations = [_static(f"{where}.static_locations[{i}]", s) for i, s in enumerate(statics)]
    upstream = _upstream(f"{where}.upstream", site.get("upstream"), read_timeout)
    taken = [s["location"] for s in static_locations] + ([upstream["location"]] if upstream else [])
    return {
        "name": name,
        "state": state,
        "server_names": server_names,
        "listen": _port(f"{where}.listen", site.get("listen", 80)),
        "default_server": _switch(where, site, "default_server", False),
        "root": _path(f"{where}.root", site.get("root") or None, optional=True),
        "index": [_matching(f"{where}.index[{i}]", v, INDEX_RE, "a file name")
                  for i, v in enumerate(_str_list(f"{where}.index", site.get("index", ["index.html"])))],
        "static_locations": static_locations,
        "upstream": upstream,
        "asgi": _asgi(f"{where}.asgi", site.get("asgi"), upstream, taken),
        "tls": _tls(f"{where}.tls", site.get("tls"), name, tls_dir, server_names, acme_live_dir),
        "client_max_body_size": _matching(
            f"{where}.client_max_body_size",
            None if site.get("client_max_body_size") is None else str(site["client_max_body_size"]),
            SIZE_RE, "a size (10m, 512k, 1g)", optional=True),
        "extra_config": site.get("extra_config", "") or "",
    }


def _named(message, where, sources):
    """The error message with the site key replaced by the variable it came from."""
    for key, var in (sources or {}).items():
        prefix = f"{where}.{key}"
        if message.startswith(prefix) and message[len(prefix):len(prefix) + 1] in ("", ".", "[", ":"):
            return var + message[len(prefix):]
    return message


def nginx_sites(sites, extra_sites=None, read_timeout=60, tls_dir="/etc/nginx/tls", sources=None,
                acme_live_dir="/etc/letsencrypt/live"):
    """Return validated sites with defaults filled in; raise naming the bad field."""
    result = []
    for var, items in (("nginx_sites", sites), ("nginx_extra_sites", extra_sites or [])):
        if not isinstance(items, list):
            _fail(var, f"must be a list, got {type(items).__name__}")
        for index, site in enumerate(items):
            try:
                result.append(_site(f"{var}[{index}]", site, read_timeout, tls_dir, acme_live_dir))
            except AnsibleFilterError as exc:
                if not sources:
                    raise
                raise AnsibleFilterError(_named(exc.message, f"{var}[{index}]", sources)) from None

    seen = {}
    default_ports = {}
    for site in result:
        if site["name"] in seen:
            _fail("nginx_sites", f"site name {site['name']!r} is used twice")
        seen[site["name"]] = True
        if site["state"] != "present" or not site["default_server"]:
            continue
        ports = [site["listen"]] + ([site["tls"]["port"]] if site["tls"]["enabled"] else [])
        for port in ports:
            if port in default_ports:
                _fail("nginx_sites", f"sites {default_ports[port]!r} and {site['name']!r} are both "
                                     f"default_server on port {port}")
            default_ports[port] = site["name"]
    return result


class FilterModule:
    """Filters of webstack.django for nginx."""

    def filters(self):
        return {"nginx_sites": nginx_sites}
