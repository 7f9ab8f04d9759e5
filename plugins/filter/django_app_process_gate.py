# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether an app's process instances passed their gate after a restart."""

from __future__ import annotations

from ansible_collections.webstack.django.plugins.plugin_utils.app_units import gate_problems

DOCUMENTATION = r"""
name: django_app_process_gate
author: webstack.django maintainers
version_added: 0.1.0
short_description: Why an app's process instances did not pass their gate
description:
  - >-
    Reads the output of C(systemctl show --property=Id,ActiveState,SubState,NRestarts,Result) for
    the instances some seconds after they were (re)started, and the same right after the start
    (O(before)), and returns one line per instance that is not active or that systemd restarted
    in between (a command that exits, at once or soon; systemd's NRestarts is not reset by a
    manual restart, hence the two readings). An empty list means every instance passed.
positional: instances, before
options:
  _input:
    description: The output of C(systemctl show) (blocks separated by a blank line).
    type: str
    required: true
  instances:
    description: The unit names of the instances (C(<app>-<name>@<n>.service)).
    type: list
    elements: str
    required: true
  before:
    description: The same C(systemctl show) output, read right after the instances were started.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Fail when a process did not stay up
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join('; ') }}"
  vars:
    __problems: >-
      {{ __show.stdout | webstack.django.django_app_process_gate(['demo-mailer@1.service'], __started.stdout) }}
"""

RETURN = r"""
_value:
  description: One line per instance that did not pass (empty when all did).
  type: list
  elements: str
"""


def django_app_process_gate(show_output, instances, before=""):
    """One line per instance that is not active or was restarted by systemd since ``before``."""
    return gate_problems(str(show_output), list(instances), str(before))


class FilterModule:
    """Filters of webstack.django for the django_app role."""

    def filters(self):
        return {"django_app_process_gate": django_app_process_gate}
