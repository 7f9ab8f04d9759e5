#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: http_gate
short_description: Ask a site on this host for its pages, following its redirects only where the deployment serves
version_added: 0.3.0
description:
  - Fetches each page of O(pages) from the web server on this host with a C(Host) header and
    follows its redirects (up to O(max_redirects)), each to the same web server, as a browser
    would; the last answer's status must be one of the page's statuses.
  - A redirect to a scheme or port the deployment does not serve (an C(https://) address when
    the site has no TLS), or to a host name Django does not answer to (O(hosts), Django's
    C(ALLOWED_HOSTS) rules), fails, as a browser would reach nothing there.
  - Changes nothing; fails naming the page, the redirect chain and the last answer.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  address:
    description: Address of the web server on this host (its connections go there, whatever the host names).
    type: str
    default: 127.0.0.1
  host:
    description: Host name of the first request (the C(Host) header).
    type: str
    required: true
  served:
    description:
      - "The schemes the site answers on, each with its port: C({http: 80}) or C({http: 80, https: 443})."
    type: dict
    required: true
  hosts:
    description:
      - Host names a redirect may go to (Django's C(ALLOWED_HOSTS) - C(.example.org) for a domain
        and its subdomains, C(*) for any).
    type: list
    elements: str
    required: true
  pages:
    description:
      - The pages to ask for, each C(path) (starting with C(/), a query allowed), C(scheme)
        (default the first of O(served)), and the C(status) list the last answer must be in
        (default C([200])).
    type: list
    elements: dict
    required: true
  max_redirects:
    description: How many redirects a page may take.
    type: int
    default: 5
  timeout:
    description: Seconds each request may take.
    type: int
    default: 10
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: No diff.
"""

EXAMPLES = r"""
- name: Gate the release on its home page and its login page
  webstack.django.http_gate:
    host: shop.example.com
    served: {http: 80}
    hosts: [shop.example.com]
    pages:
      - {path: /, status: [200]}
      - {path: /accounts/login/, status: [200]}
  register: __gate
  until: __gate is succeeded
  retries: 15
  delay: 2
"""

RETURN = r"""
pages:
  description: For each page, the chain of requests (C(url), C(status)) and the last status.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "/", "chain": [{"url": "http://shop.example.com/", "status": 302},
            {"url": "http://shop.example.com/accounts/login/?next=/", "status": 200}], "status": 200}]
status:
  description: The last status of the last page asked.
  returned: always
  type: int
  sample: 200
content:
  description: The start of the last answer's body (at most 2000 characters).
  returned: always
  type: str
"""

import http.client
import ssl

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.parse import urljoin, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
BODY_LIMIT = 2000


class GateError(Exception):
    """The page cannot pass; the message says why."""


def host_allowed(host, patterns):
    """Django's validate_host: exact names, .domain for it and its subdomains, * for any."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith(".") and (host.endswith(pattern) or host == pattern[1:]):
            return True
    return False


def _host_header(host, scheme, port):
    return host if port == DEFAULT_PORTS.get(scheme) else "%s:%d" % (host, port)


def fetch(address, scheme, port, host_header, target, timeout):
    """One GET on this host's web server: (status, location, body)."""
    if scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(address, port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        conn.request("GET", target, headers={"Host": host_header, "User-Agent": "webstack-gate",
                                             "Accept": "text/html,*/*"})
        response = conn.getresponse()
        body = response.read(BODY_LIMIT * 2).decode("utf-8", "replace")
        return response.status, response.getheader("Location"), body
    finally:
        conn.close()


def follow(page, address, host, served, hosts, max_redirects, timeout, fetcher=fetch):
    """Ask for one page and follow its redirects; return (chain, status, body) or raise GateError."""
    scheme = page.get("scheme") or next(iter(served))
    if scheme not in served:
        raise GateError("scheme %s is not served (served: %s)" % (scheme, ", ".join(sorted(served))))
    port = served[scheme]
    target = page.get("path") or "/"
    if not target.startswith("/"):
        raise GateError("path %r does not start with /" % target)
    url = "%s://%s%s" % (scheme, _host_header(host, scheme, port), target)
    chain = []
    seen = set()
    while True:
        try:
            status, location, body = fetcher(address, scheme, port, _host_header(host, scheme, port), target, timeout)
        except (OSError, http.client.HTTPException) as exc:
            chain.append({"url": url, "status": None})
            raise GateError("%s: no answer (%s)" % (url, exc), chain)
        chain.append({"url": url, "status": status})
        if status not in (301, 302, 303, 307, 308) or not location:
            return chain, status, body
        if len(chain) > max_redirects:
            raise GateError("more than %d redirects" % max_redirects, chain)
        following = urljoin(url, location)
        parts = urlsplit(following)
        if parts.scheme not in served:
            raise GateError("%s redirects to %s, and the site serves no %s here (served: %s)" % (
                url, following, parts.scheme or "scheme", ", ".join("%s on %d" % i for i in sorted(served.items()))), chain)
        if not parts.hostname or not host_allowed(parts.hostname, hosts):
            raise GateError("%s redirects to %s, a host the site does not answer to (%s)" % (
                url, following, ", ".join(hosts)), chain)
        next_port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        if next_port != served[parts.scheme]:
            raise GateError("%s redirects to %s, and the site serves %s on port %d, not %s" % (
                url, following, parts.scheme, served[parts.scheme], next_port), chain)
        if following in seen:
            raise GateError("%s redirects in a loop" % following, chain)
        seen.add(following)
        scheme, port, host, url = parts.scheme, next_port, parts.hostname, following
        target = (parts.path or "/") + ("?" + parts.query if parts.query else "")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type="str", default="127.0.0.1"),
            host=dict(type="str", required=True),
            served=dict(type="dict", required=True),
            hosts=dict(type="list", elements="str", required=True),
            pages=dict(type="list", elements="dict", required=True),
            max_redirects=dict(type="int", default=5),
            timeout=dict(type="int", default=10),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        served = dict((str(k), int(v)) for k, v in p["served"].items())
    except (TypeError, ValueError):
        module.fail_json(msg="served: each scheme takes a port number")
    if not served or not set(served) <= set(DEFAULT_PORTS):
        module.fail_json(msg="served: http and/or https, each with its port")
    results = []
    status, body = None, ""
    for index, page in enumerate(p["pages"]):
        statuses = [int(s) for s in page.get("status") or [200]]
        name = page.get("path") or "/"
        try:
            chain, status, body = follow(page, p["address"], p["host"], served, p["hosts"],
                                         p["max_redirects"], p["timeout"])
        except GateError as exc:
            chain = exc.args[1] if len(exc.args) > 1 else []
            results.append({"path": name, "chain": chain, "status": None})
            module.fail_json(msg="page %s: %s" % (name, exc.args[0]), pages=results, status=None,
                             content="")
        results.append({"path": name, "chain": chain, "status": status})
        if status not in statuses:
            steps = " -> ".join("%s (%s)" % (c["url"], c["status"]) for c in chain)
            module.fail_json(msg="page %s answered HTTP %d, not %s: %s" % (
                name, status, "/".join(str(s) for s in statuses) if len(statuses) <= 5
                else "%d-%d" % (min(statuses), max(statuses)), steps),
                pages=results, status=status, content=body[:BODY_LIMIT])
    module.exit_json(changed=False, pages=results, status=status, content=body[:BODY_LIMIT])


if __name__ == "__main__":
    main()
