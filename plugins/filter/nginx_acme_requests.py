# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which ACME sites need certbot to request a certificate now."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: nginx_acme_requests
author: webstack.django maintainers
version_added: 0.2.0
short_description: The ACME sites whose certificate must be requested now
description:
  - Takes the ACME sites (as returned by C(webstack.django.nginx_sites), with C(tls.acme.names))
    and what C(community.crypto.x509_certificate_info) read from the certificates already
    issued on the host (its results registered in a loop over those sites), and returns one
    request for each site that has no certificate yet or whose certificate does not cover
    exactly the names the site wants now (a name added to or removed from C(server_names)).
  - Renewals of an unchanged certificate are not requests (the host's certbot timer does them).
  - Names compare without regard to case or order.
positional: certificates
options:
  _input:
    description: The ACME sites.
    type: list
    elements: dict
    required: true
  certificates:
    description:
      - The results of C(community.crypto.x509_certificate_info) run in a loop over the sites
        whose certificate exists (each with C(item), the site, and C(subject_alt_name)).
      - Skipped or failed results count as no certificate.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Request the certificates that are missing or whose names changed
  ansible.builtin.command:
    argv: [certbot, certonly, --cert-name, "{{ item.name }}", --domains, "{{ item.names | join(',') }}"]
  loop: "{{ __nginx_acme_sites | webstack.django.nginx_acme_requests(__nginx_acme_certificates.results) }}"
  loop_control:
    label: "{{ item.name }}: {{ item.reason }}"
"""

RETURN = r"""
_value:
  description: One request per site that needs one, in the order of the sites.
  type: list
  elements: dict
  contains:
    name:
      description: The site's name, which is the certificate's (certbot's C(--cert-name)).
      type: str
    names:
      description: The names the certificate must cover, as the site lists them.
      type: list
      elements: str
    reason:
      description: C(first certificate), or C(names changed from <the names it covers>).
      type: str
    first:
      description: Whether the site has no certificate yet.
      type: bool
"""


def _names(values):
    return {str(value).strip().lower() for value in values}


def nginx_acme_requests(sites, certificates):
    """Return a request for each ACME site whose certificate is missing or covers other names."""
    if not isinstance(sites, list) or not isinstance(certificates, list):
        raise AnsibleFilterError("nginx_acme_requests: needs a list of sites and a list of certificate results")
    issued = {}
    for result in certificates:
        if not isinstance(result, dict) or result.get("skipped") or result.get("failed"):
            continue
        site = result.get("item")
        if not isinstance(site, dict) or "name" not in site:
            raise AnsibleFilterError("nginx_acme_requests: each certificate result needs the site as its item")
        issued[site["name"]] = [value.split(":", 1)[1] for value in result.get("subject_alt_name") or []
                                if value.upper().startswith("DNS:")]
    requests = []
    for site in sites:
        try:
            wanted = list(site["tls"]["acme"]["names"])
            name = site["name"]
        except (KeyError, TypeError) as exc:
            raise AnsibleFilterError(f"nginx_acme_requests: an ACME site lacks {exc}") from exc
        if name not in issued:
            requests.append({"name": name, "names": wanted, "reason": "first certificate", "first": True})
        elif _names(issued[name]) != _names(wanted):
            was = ", ".join(sorted(_names(issued[name]))) or "no name"
            requests.append({"name": name, "names": wanted, "reason": f"names changed from {was}", "first": False})
    return requests


class FilterModule:
    """Filters of webstack.django for nginx's ACME certificates."""

    def filters(self):
        return {"nginx_acme_requests": nginx_acme_requests}
