# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Serve a self-signed certificate for ACME sites whose first certificate is not issued yet."""

from __future__ import annotations

import copy

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: nginx_acme_bootstrap
author: webstack.django maintainers
version_added: 0.2.0
short_description: Point ACME sites without an issued certificate at a self-signed one
description:
  - Takes the sites returned by C(webstack.django.nginx_sites) and the names of the sites whose
    ACME certificate exists on the host, and returns the sites as nginx must serve them now.
  - An ACME site whose certificate is not issued yet gets its self-signed C(tls.acme.bootstrap)
    pair as C(tls.certificate) and C(tls.certificate_key) and C(tls.self_signed) true, so nginx
    starts (and answers the http-01 challenge) before the first certificate exists.
  - Every other site is returned unchanged.
positional: issued
options:
  _input:
    description: The sites, as returned by C(webstack.django.nginx_sites).
    type: list
    elements: dict
    required: true
  issued:
    description: Names of the sites whose ACME certificate is on the host.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: The sites as nginx serves them before the first certificate is issued
  ansible.builtin.set_fact:
    __nginx_sites_served: "{{ __nginx_sites | webstack.django.nginx_acme_bootstrap(['demo']) }}"
"""

RETURN = r"""
_value:
  description: The sites, the not yet issued ACME sites pointed at their self-signed pair.
  type: list
  elements: dict
"""


def nginx_acme_bootstrap(sites, issued):
    """Return the sites with not yet issued ACME sites on their bootstrap certificate."""
    if not isinstance(sites, list) or not isinstance(issued, list):
        raise AnsibleFilterError("nginx_acme_bootstrap: needs a list of sites and a list of names")
    result = []
    for site in sites:
        acme = site.get("tls", {}).get("acme") if isinstance(site, dict) else None
        if not acme or site["name"] in issued:
            result.append(site)
            continue
        site = copy.deepcopy(site)
        site["tls"].update(acme["bootstrap"], self_signed=True)
        result.append(site)
    return result


class FilterModule:
    """Filters of webstack.django for nginx."""

    def filters(self):
        return {"nginx_acme_bootstrap": nginx_acme_bootstrap}
