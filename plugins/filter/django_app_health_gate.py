# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the django_app health gate asks for and where it may follow a redirect, from the
role's inputs (the health URL, its statuses, the pages, the ports the site serves)."""

from __future__ import annotations

from urllib.parse import urlsplit

DOCUMENTATION = r"""
name: django_app_health_gate
author: webstack.django maintainers
version_added: 0.1.0
short_description: The pages the health gate asks for and the schemes and ports it may follow
description:
  - >-
    Returns the two inputs of the C(webstack.django.http_gate) module that the django_app role
    derives: C(served), the port of each scheme the deployment serves (C(http) always, C(https)
    when TLS is on, and the health URL's own scheme and port when the URL names a port), and
    C(pages), the health URL's path and query with its scheme and accepted statuses, followed by
    each of O(pages).
  - A redirect to a scheme or port not in C(served) fails the gate (nothing listens there).
  - The inputs are checked by the role's preflight (C(django_app_inputs)) before this runs.
positional: status, http_port, tls_enabled, tls_port, pages
options:
  _input:
    description: The health URL (C(django_app_healthcheck_url)).
    type: str
    required: true
  status:
    description: The statuses the health URL may answer (C(django_app_healthcheck_status), as integers).
    type: list
    elements: int
    required: true
  http_port:
    description: The port nginx serves the site on over HTTP (C(django_app_http_port)).
    type: int
    required: true
  tls_enabled:
    description: Whether the site is served over HTTPS too (C(django_app_tls.enabled), as a boolean).
    type: bool
    required: true
  tls_port:
    description: The HTTPS port when TLS is on (C(django_app_tls.port)).
    type: int
    required: true
  pages:
    description: More pages to ask for (C(django_app_healthcheck_pages)), each C(path) and C(status).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Wait for the app to answer through nginx
  webstack.django.http_gate:
    address: 127.0.0.1
    host: localhost
    served: "{{ __gate.served }}"
    pages: "{{ __gate.pages }}"
  vars:
    __gate: >-
      {{ django_app_healthcheck_url | webstack.django.django_app_health_gate(
           [200], django_app_http_port, false, 443, django_app_healthcheck_pages) }}
"""

RETURN = r"""
_value:
  description:
    - C(served), a dict of scheme to port, and C(pages), a list of dicts with C(path), C(status)
      and (for the health URL) C(scheme).
  type: dict
"""


def django_app_health_gate(url, status, http_port, tls_enabled, tls_port, pages):
    """Return ``{"served": {scheme: port}, "pages": [...]}`` for the http_gate module."""
    parts = urlsplit(url)
    served = {"http": int(http_port)}
    if tls_enabled:
        served["https"] = int(tls_port)
    if parts.port:
        served[parts.scheme] = parts.port
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    first = {"path": path, "scheme": parts.scheme, "status": [int(code) for code in status]}
    return {"served": served, "pages": [first, *pages]}


class FilterModule:
    """Filters of webstack.django for the django_app role."""

    def filters(self):
        return {"django_app_health_gate": django_app_health_gate}
