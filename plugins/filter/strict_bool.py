# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An inventory value as a boolean, the way a type: bool argument specification takes it."""

from __future__ import annotations

from ansible_collections.webstack.django.plugins.plugin_utils.inputs import strict_bool as _strict_bool

DOCUMENTATION = r"""
name: strict_bool
author: webstack.django maintainers
version_added: 0.1.0
short_description: An inventory value as a boolean, or an error naming the variable
description:
  - >-
    A role's argument specification checks that a C(type: bool) value can be a boolean, but
    leaves the variable as it was given: C(-e django_app_debug=false) stays the string
    C("false"), which Jinja takes as true. This filter returns the boolean the specification
    meant (C(true)/C(false), C(yes)/C(no), C(on)/C(off), C(1)/C(0), C(y)/C(n), C(t)/C(f) in any
    case; Ansible's C(boolean) with C(strict=True)).
  - Anything else (another string, a list, a dict, null) raises an error that names the variable.
positional: name
options:
  _input:
    description: The value.
    type: raw
    required: true
  name:
    description: The variable (or key path) the value comes from, for the error message.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Write DEBUG only when asked, whatever form the value came in
  ansible.builtin.set_fact:
    __django_app_debug: "{{ django_app_debug | webstack.django.strict_bool('django_app_debug') }}"
"""

RETURN = r"""
_value:
  description: The boolean.
  type: bool
"""


def strict_bool(value, name):
    """Return ``value`` as a bool; raise AnsibleFilterError naming ``name`` when it is none."""
    return _strict_bool(name, value)


class FilterModule:
    """Filters of webstack.django for inventory values."""

    def filters(self):
        return {"strict_bool": strict_bool}
