#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the apt_present action (the work is done by its action plugin)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: apt_present
author:
  - webstack.django maintainers (!UNKNOWN)
version_added: 0.2.0
short_description: Install missing Debian packages, probing with one dpkg-query first
description:
  - Asks C(dpkg-query) once which of the packages are installed. When all are, nothing else
    runs (one command on the host, no Python module, no apt cache opened), which keeps
    no-change runs fast.
  - Otherwise refreshes the package lists when older than O(cache_valid_time) (also in check
    mode, as it changes no configuration) and installs the missing packages in one
    C(ansible.builtin.apt) call, whose result it returns.
  - Entries that are not plain package names (a version pin such as C(nginx=1.24*), a
    wildcard, a release) are always passed to apt, which decides.
options:
  name:
    description: Packages that must be installed.
    type: list
    elements: str
    required: true
  cache_valid_time:
    description: Refresh the package lists first when they are older than this many seconds (only when something is missing).
    type: int
    default: 3600
notes:
  - Runs C(dpkg-query) through the connection's shell (with become when the task has it).
seealso:
  - module: ansible.builtin.apt
"""

EXAMPLES = r"""
- name: Install the nginx packages
  webstack.django.apt_present:
    name: [nginx, python3-cryptography]
"""

RETURN = r"""
missing:
  description: The packages that were not installed (and were passed to apt).
  returned: always
  type: list
  elements: str
  sample: [nginx]
"""
