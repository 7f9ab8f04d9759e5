# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide on the host's own data whether the django_app role may take the app's account,
group and directory, before it changes any of them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: django_app_accounts
author: webstack.django maintainers
version_added: 0.1.0
short_description: Check the app's account, group and root directory as the host has them
description:
  - >-
    Takes what the host says about the app's user, group and root directory (read-only probes:
    C(getent), C(/etc/login.defs), C(stat), the directory's entries) and raises an error naming
    the variable when the role must not take them; otherwise says whether the role may create or
    update the account.
  - >-
    The app's own account is one the role created: its comment is O(marker), or (an account of an
    earlier version of the role) its home is the app's root and the root holds the role's layout
    (C(releases/) and C(shared/)).
  - >-
    An existing account that is not the app's own is refused when it is a system account (uid 0,
    or a uid below C(UID_MIN) of C(/etc/login.defs), 1000 when unset); a regular account is used as
    it is and never rewritten (no new home, shell, group or comment).
  - >-
    An existing group is refused when it is gid 0, or below C(GID_MIN) and not the primary group
    of the app's own account.
  - >-
    The root directory may be new, an empty directory (C(lost+found) aside) or one that holds the
    role's layout; a symbolic link, a file, or a directory with other content is refused.
options:
  _input:
    description:
      - >-
        What the host said: C(user) and C(group) (the names), C(root) (the path), C(passwd) and
        C(group_entry) (the C(getent) fields, or null when the name does not exist), C(login_defs)
        (the text of C(/etc/login.defs), empty when unreadable), C(root_stat) (the C(stat) result's
        C(stat)) and C(root_entries) (the names directly in the root).
    type: dict
    required: true
  marker:
    description: The comment (GECOS) the role gives the accounts it creates.
    type: str
    default: webstack.django app account
"""

EXAMPLES = r"""
- name: Decide whether the app's account may be created or updated
  ansible.builtin.set_fact:
    __django_app_host: >-
      {{ {'user': django_app_user, 'group': django_app_group, 'root': django_app_root,
          'passwd': __passwd.ansible_facts.getent_passwd[django_app_user],
          'group_entry': __group.ansible_facts.getent_group[django_app_group],
          'login_defs': __login_defs.content | b64decode, 'root_stat': __root.stat,
          'root_entries': __entries.files | map(attribute='path') | map('basename') | list}
         | webstack.django.django_app_accounts }}
"""

RETURN = r"""
_value:
  description:
    - C(manage_user) (whether the role may create or update the account), C(user_exists),
      C(uid_min) and C(gid_min).
  type: dict
"""

MARKER = "webstack.django app account"
LAYOUT = {"releases", "shared"}
IGNORED_ENTRIES = {"lost+found"}


def _login_defs(text, key, default=1000):
    match = re.search(rf"^\s*{key}\s+(\d+)\s*$", text or "", re.M)
    return int(match.group(1)) if match else default


def _number(value):
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def django_app_accounts(facts, marker=MARKER):
    """Return {'manage_user', 'user_exists', 'uid_min', 'gid_min'}; raise naming each refusal."""
    if not isinstance(facts, Mapping):
        raise AnsibleFilterError("django_app_accounts: expects a dict of what the host said")
    user, group, root = facts.get("user"), facts.get("group"), facts.get("root")
    passwd, group_entry = facts.get("passwd"), facts.get("group_entry")
    uid_min = _login_defs(facts.get("login_defs"), "UID_MIN")
    gid_min = _login_defs(facts.get("login_defs"), "GID_MIN")
    root_stat = facts.get("root_stat") or {}
    entries = set(facts.get("root_entries") or []) - IGNORED_ENTRIES
    has_layout = bool(root_stat.get("isdir")) and LAYOUT <= entries
    problems = []

    if root_stat.get("exists"):
        if root_stat.get("islnk"):
            problems.append(f"django_app_root: {root} is a symbolic link on the host; give the real directory")
        elif not root_stat.get("isdir"):
            problems.append(f"django_app_root: {root} exists on the host and is not a directory")
        elif entries and not has_layout:
            listed = ", ".join(sorted(entries)[:5]) + (", ..." if len(entries) > 5 else "")
            problems.append(f"django_app_root: {root} exists on the host and holds files the role did not lay "
                            f"out ({listed}); give a new or empty directory")

    ours, user_exists, user_gid = False, passwd is not None, None
    if user_exists:
        fields = list(passwd) + [""] * 6
        uid, user_gid, gecos, home = _number(fields[1]), _number(fields[2]), fields[3], fields[4]
        ours = uid != 0 and (gecos == marker or (home == root and has_layout))
        if not ours:
            if uid == 0:
                problems.append(f"django_app_user: {user!r} is uid 0 on the host; the app needs an account of its own")
            elif uid is None or uid < uid_min:
                problems.append(f"django_app_user: {user!r} is a system account on the host (uid {fields[1]}, "
                                f"below UID_MIN {uid_min}) that the role did not create; the app needs an account "
                                "of its own")

    if group_entry is not None:
        fields = list(group_entry) + [""] * 3
        gid = _number(fields[1])
        if gid == 0:
            problems.append(f"django_app_group: {group!r} is gid 0 on the host; the app needs a group of its own")
        elif (gid is None or gid < gid_min) and not (ours and user_gid == gid):
            problems.append(f"django_app_group: {group!r} is a system group on the host (gid {fields[1]}, below "
                            f"GID_MIN {gid_min}) that is not the group of an account the role created")

    if problems:
        raise AnsibleFilterError("\n".join(problems))
    return {"manage_user": ours or not user_exists, "user_exists": user_exists, "uid_min": uid_min,
            "gid_min": gid_min}


class FilterModule:
    """Filters of webstack.django for the django_app role."""

    def filters(self):
        return {"django_app_accounts": django_app_accounts}
