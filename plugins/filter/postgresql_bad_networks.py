# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The entries of a list that are not IP addresses or networks (for input checks)."""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: postgresql_bad_networks
author: webstack.django maintainers
version_added: 0.2.0
short_description: List the entries that are not IPv4/IPv6 addresses or networks
description:
  - Returns the entries of the input list that Python's C(ipaddress) module does not accept as
    an IPv4 or IPv6 address or, unless O(addresses_only), a network in CIDR notation (host
    bits may be set, as in C(pg_hba.conf)). An empty result means every entry is valid.
  - Used by the C(postgresql) role's input checks for C(postgresql_clients),
    C(postgresql_standbys) and C(postgresql_listen_addresses), so that no collection
    outside C(ansible-core) is needed.
options:
  _input:
    description: The entries to check; anything but a string is reported as bad.
    type: list
    elements: raw
    required: true
  addresses_only:
    description: Accept only single addresses, no C(/prefix).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Refuse bad client networks
  ansible.builtin.assert:
    that: postgresql_clients | webstack.django.postgresql_bad_networks | length == 0
    fail_msg: "postgresql_clients: not addresses or networks: {{ postgresql_clients | webstack.django.postgresql_bad_networks }}"

- name: The bad ones
  ansible.builtin.debug:
    msg: "{{ ['10.0.0.0/8', '10.0.0.300', 'fd00::/64', 'db.example'] | webstack.django.postgresql_bad_networks }}"
    # ['10.0.0.300', 'db.example']
"""

RETURN = r"""
_value:
  description: The invalid entries, in input order (as given).
  type: list
  elements: raw
"""


def _valid(entry, addresses_only):
    if not isinstance(entry, str) or entry != entry.strip() or not entry:
        return False
    try:
        if addresses_only or "/" not in entry:
            ipaddress.ip_address(entry)
        else:
            ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True


def postgresql_bad_networks(entries, addresses_only=False):
    """Return the entries that are not IP addresses (or networks)."""
    if isinstance(entries, (str, bytes)) or not hasattr(entries, "__iter__"):
        raise AnsibleFilterError(f"postgresql_bad_networks: expected a list, got {type(entries).__name__}")
    return [entry for entry in entries if not _valid(entry, addresses_only)]


class FilterModule:
    """Filters of webstack.django for PostgreSQL input checks."""

    def filters(self):
        """Map the filter names to their functions."""
        return {"postgresql_bad_networks": postgresql_bad_networks}
