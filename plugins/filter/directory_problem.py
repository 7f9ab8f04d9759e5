# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a path may not be a directory a role creates and owns, or an empty string."""

from __future__ import annotations

from ansible_collections.webstack.django.plugins.plugin_utils.inputs import directory_problem as _directory_problem

DOCUMENTATION = r"""
name: directory_problem
author: webstack.django maintainers
version_added: 0.4.0
short_description: Why a path may not be a directory a role creates and owns
description:
  - >-
    A role that creates a directory, fills it and gives it to a user (a virtualenv, a tool's
    home) must not be pointed at a system directory by a mistyped or hostile inventory value:
    C(/usr) or C(/etc) as a virtualenv would be written over and chowned. This filter returns
    why the value cannot be such a directory, or an empty string when it can.
  - >-
    Refused: anything but an absolute, normalised path of letters, digits and C(_ . / + @ -); the
    root and the FHS top-level and shared directories (C(/), C(/usr), C(/usr/local), C(/var/lib),
    C(/srv), C(/opt), C(/home), ...); anything below a system tree (C(/etc), C(/usr), C(/boot),
    C(/proc), C(/sys), C(/dev), C(/run), C(/root), C(/var/log), C(/var/cache), ...); and a path not
    below one of O(allowed_roots).
  - The same rules as the C(django_app) role's directories (its C(django_app_inputs) filter).
positional: allowed_roots
options:
  _input:
    description: The path.
    type: raw
    required: true
  allowed_roots:
    description: Directories the path must be strictly below; C(/) allows any path outside the system's.
    type: list
    elements: str
    default: ['/']
"""

EXAMPLES = r"""
- name: Refuse a system directory as the virtualenv
  ansible.builtin.assert:
    that: virtualenv_path | webstack.django.directory_problem | length == 0
    fail_msg: "virtualenv_path: {{ virtualenv_path | webstack.django.directory_problem }}"
"""

RETURN = r"""
_value:
  description: Why the path cannot be the directory (naming the path), or an empty string.
  type: str
"""


def directory_problem(value, allowed_roots=("/",)):
    """Return why ``value`` cannot be a directory a role owns, or ""."""
    return _directory_problem(value, tuple(allowed_roots)) or ""


class FilterModule:
    """Filters of webstack.django for inventory paths."""

    def filters(self):
        return {"directory_problem": directory_problem}
