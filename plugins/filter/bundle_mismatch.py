# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare an offline bundle's manifest with the host it is about to be installed on."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: bundle_mismatch
author: webstack.django maintainers
version_added: 0.1.0
short_description: Say how an offline bundle's manifest differs from a host
description:
  - Takes the C(manifest.json) of an offline bundle and the host's facts and returns one
    message for each of distribution, release, architecture and Python ABI that differ,
    each naming the property and both values (the release, say, as C(bundle bullseye, host bookworm)).
  - An empty list means the bundle fits the host.
positional: host
options:
  _input:
    description: The bundle's manifest (C(distribution.id), C(distribution.release), C(architecture), C(python.abi)).
    type: dict
    required: true
  host:
    description: The host's C(distribution), C(release), C(architecture) (dpkg) and C(abi) (Python SOABI).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse a bundle built for another system
  ansible.builtin.assert:
    that: __mismatch | length == 0
    fail_msg: "{{ __mismatch | join('; ') }}"
  vars:
    __mismatch: >-
      {{ manifest | webstack.django.bundle_mismatch({'distribution': ansible_facts['distribution'],
         'release': ansible_facts['distribution_release'], 'architecture': 'amd64',
         'abi': 'cpython-311-x86_64-linux-gnu'}) }}
"""

RETURN = r"""
_value:
  description: One message per differing property; empty when the bundle fits the host.
  type: list
  elements: str
"""

# (label, path in the manifest, key of the host dict)
CHECKS = (
    ("distribution", ("distribution", "id"), "distribution"),
    ("release", ("distribution", "release"), "release"),
    ("architecture", ("architecture",), "architecture"),
    ("Python ABI", ("python", "abi"), "abi"),
)


def _get(data, path):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def bundle_mismatch(manifest, host):
    if not isinstance(manifest, dict):
        raise AnsibleFilterError("bundle_mismatch: the manifest must be a dict, got %s" % type(manifest).__name__)
    if not isinstance(host, dict):
        raise AnsibleFilterError("bundle_mismatch: host must be a dict, got %s" % type(host).__name__)
    messages = []
    for label, path, key in CHECKS:
        built = _get(manifest, path)
        have = host.get(key)
        if built in (None, ""):
            messages.append("%s: the manifest does not say (%s missing)" % (label, ".".join(path)))
        elif str(built) != str(have):
            messages.append("%s: bundle %s, host %s" % (label, built, have))
    return messages


class FilterModule:
    """Filters of webstack.django for the offline bundle."""

    def filters(self):
        return {"bundle_mismatch": bundle_mismatch}
