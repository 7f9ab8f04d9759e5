# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the packages of a simulated apt-get install (apt-get -s)."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: apt_closure
author: webstack.django maintainers
version_added: 0.1.0
short_description: The packages a simulated apt-get install would unpack, with their .deb file names
description:
  - Takes the output of C(apt-get -s install PACKAGES...) and returns one item per C(Inst) line,
    with the package name, the version, the architecture and the file name apt gives the downloaded
    C(.deb) in its archive directory (an epoch colon is written C(%3a)).
  - The offline bundle uses it to copy exactly the dependency closure out of apt's cache.
options:
  _input:
    description: The simulation's standard output, as a string or a list of lines.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Copy the closure's packages
  ansible.builtin.command:
    argv: "{{ ['cp', '--target-directory', '/srv/debs'] + (simulate.stdout | webstack.django.apt_closure | map(attribute='file') | list) }}"
"""

RETURN = r"""
_value:
  description: Items with C(name), C(version), C(architecture) and C(file), in the simulation's order.
  type: list
  elements: dict
"""

INST_RE = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([^\]]+)\]\)")


def apt_closure(output):
    if isinstance(output, str):
        lines = output.splitlines()
    elif isinstance(output, (list, tuple)):
        lines = [str(line) for line in output]
    else:
        raise AnsibleFilterError("apt_closure: expects apt-get -s output, got %s" % type(output).__name__)
    packages = []
    for line in lines:
        match = INST_RE.match(line)
        if not match:
            continue
        name, version, arch = match.groups()
        # apt names archive files name_version_arch.deb, escaping ':' as %3a.
        filename = "%s_%s_%s.deb" % (name.split(":")[0], version.replace(":", "%3a"), arch)
        packages.append({"name": name.split(":")[0], "version": version, "architecture": arch, "file": filename})
    return packages


class FilterModule:
    """Filters of webstack.django for the offline bundle."""

    def filters(self):
        return {"apt_closure": apt_closure}
