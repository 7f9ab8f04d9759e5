#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: django_release_info
short_description: Read the releases of a Django app and their history
version_added: 0.1.0
description:
  - Reads the layout that M(webstack.django.django_release) manages, C(<root>/releases/<id>)
    and C(<root>/current), and the release history C(<root>/releases.json), and returns them
    with the release a rollback would return to. Changes nothing.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  root:
    description:
      - The application root, for example C(/srv/demo).
    type: path
    required: true
attributes:
  check_mode:
    support: full
    description: The module only reads, in check mode too.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
"""

EXAMPLES = r"""
- name: Read the release layout
  webstack.django.django_release_info:
    root: /srv/demo
  register: __releases

- name: Show the release a rollback would return to
  ansible.builtin.debug:
    msg: "{{ __releases.rollback_target }}"
"""

RETURN = r"""
current:
  description: The release C(current) points at, null when there is no link.
  returned: always
  type: str
  sample: "20240501-1"
rollback_target:
  description: The release a rollback without a named release would return to, or null.
  returned: always
  type: str
  sample: "20240430-3"
history:
  description: The release history, oldest first.
  returned: always
  type: list
  elements: dict
  sample:
    - id: "20240501-1"
      state: deployed
      at: "2024-05-01T12:00:00Z"
      previous: "20240430-3"
      note: null
reported:
  description:
    - The first line of the C(RELEASE) file of the release C(current) points at (the id the release
      reports about itself, which its version URL answers), stripped.
    - Null when there is no C(current), the release has no C(RELEASE) file or its first line is empty.
  returned: always
  type: str
  sample: "v1.4.2"
releases:
  description: Release ids on disk, sorted by name.
  returned: always
  type: list
  elements: str
  sample: ["20240430-3", "20240501-1"]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.django.plugins.module_utils.releases import (
    ReleaseError, history_path, list_releases, load_history, read_current, reported_id, rollback_target)


def main():
    module = AnsibleModule(argument_spec=dict(root=dict(type="path", required=True)),
                           supports_check_mode=True)
    root = module.params["root"]
    if not os.path.isdir(root):
        module.fail_json(msg="root: %s is not a directory" % root)
    try:
        current = read_current(root)
        history = load_history(history_path(root))
        releases = list_releases(root)
    except (ReleaseError, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, current=current, history=history, releases=releases,
                     rollback_target=rollback_target(history, current) if current else None,
                     reported=reported_id(root, current) if current else None)


if __name__ == "__main__":
    main()
