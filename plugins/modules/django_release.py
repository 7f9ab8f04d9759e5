#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: django_release
short_description: Switch, roll back and prune versioned releases of a Django app
version_added: 0.1.0
description:
  - Manages the release layout C(<root>/releases/<id>), C(<root>/shared) and the symlink
    C(<root>/current -> releases/<id>), and records every switch in the release history
    file C(<root>/releases.json).
  - The switch is atomic, a temporary symlink is renamed over C(current), so there is
    never a moment without C(current).
  - The history file, not directory modification times, decides what a rollback returns to
    and which releases pruning keeps.
  - The module does not create release directories or C(shared); unpack releases into
    C(<root>/releases/<id>) before switching to them.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  root:
    description:
      - The application root, for example C(/srv/demo).
    type: path
    required: true
  release:
    description:
      - Release id, the name of a directory under C(<root>/releases).
      - Letters, digits, C(.), C(_) and C(-), 1 to 64 characters, starting with a letter or a digit.
      - Required with O(state=current). With O(state=rollback), the release to return to;
        without it, the release deployed before the current one according to the history.
    type: str
  state:
    description:
      - V(current) points C(current) at O(release) and records a C(deployed) entry when the
        link changed.
      - V(rollback) points C(current) at O(release), or at the previous deployed release,
        and records a C(rolled_back) entry. Without O(release), every run goes one step
        further back; pass O(release) for an idempotent rollback.
      - V(pruned) keeps the O(keep) releases that appear last in the history, plus the
        current and the previous release and every release a running process names in its
        command line (uWSGI's master keeps the interpreter of the release it started in across
        chain reloads), and deletes the other release directories.
        Directories the history does not mention are left alone.
    type: str
    choices: [current, rollback, pruned]
    default: current
  keep:
    description:
      - With O(state=pruned), how many of the newest releases to keep (at least 1).
    type: int
    default: 5
  note:
    description:
      - Free text stored with the history entry, for example the reason for a rollback.
    type: str
  failed:
    description:
      - With O(state=rollback), also record the release being left as C(failed), for
        example after a failed health check. Automatic rollbacks never return to a
        failed release.
    type: bool
    default: false
  owner:
    description:
      - Owner of the history file.
    type: str
  group:
    description:
      - Group of the history file.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    description: Reports what would change (switch, history entries, pruned releases) and changes nothing.
  diff_mode:
    support: full
    description: Shows the target of C(current) before and after, or the release directories
      a prune removes.
  platform:
    support: full
    description: POSIX hosts.
    platforms: posix
notes:
  - History entries are JSON objects with the keys C(id), C(state) (C(deployed),
    C(rolled_back) or C(failed)), C(at) (UTC, ISO 8601), C(previous) (what C(current)
    pointed at before the switch) and C(note), oldest first.
"""

EXAMPLES = r"""
- name: Switch the demo app to release 20240501-1
  webstack.django.django_release:
    root: /srv/demo
    release: "20240501-1"
    state: current
    owner: root
    group: demo

- name: Roll back to the previous release after a failed health check
  webstack.django.django_release:
    root: /srv/demo
    state: rollback
    failed: true
    note: "/healthz answered 502"

- name: Roll back to a named release
  webstack.django.django_release:
    root: /srv/demo
    release: "20240430-3"
    state: rollback
    note: Bad migration in 20240501-1

- name: Keep the three newest releases (plus current and previous)
  webstack.django.django_release:
    root: /srv/demo
    state: pruned
    keep: 3
"""

RETURN = r"""
current:
  description: The release C(current) points at after this run (would point at, in check mode).
  returned: always
  type: str
  sample: "20240501-1"
previous:
  description: The release C(current) pointed at before this run, null when there was no link.
  returned: always
  type: str
  sample: "20240430-3"
rollback_target:
  description: The release a rollback without O(release) would return to now, or null.
  returned: always
  type: str
  sample: "20240430-3"
history:
  description: The release history after this run, oldest first.
  returned: always
  type: list
  elements: dict
  sample:
    - id: "20240430-3"
      state: deployed
      at: "2024-04-30T09:12:44Z"
      previous: null
      note: null
    - id: "20240501-1"
      state: deployed
      at: "2024-05-01T12:00:00Z"
      previous: "20240430-3"
      note: null
releases:
  description: Release ids on disk after this run, sorted by name.
  returned: always
  type: list
  elements: str
  sample: ["20240430-3", "20240501-1"]
removed:
  description: Release ids deleted by O(state=pruned) (that would be deleted, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["20240301-1"]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.django.plugins.module_utils.releases import (
    ReleaseError, entry, history_path, list_releases, load_history, plan_prune, read_current, releases_in_use,
    releases_dir, remove_release, rollback_target, save_history, switch_current,
    valid_release_id)


def plan(root, state, release=None, keep=5, note=None, failed=False, at=None):
    """Work out what a run would do, reading only. Raises ReleaseError for bad layouts."""
    current = read_current(root)
    history = load_history(history_path(root))
    on_disk = list_releases(root)
    result = {"previous": current, "target": current, "entries": [], "removed": [],
              "history": history, "on_disk": on_disk}

    if state == "current":
        _require_on_disk(root, release, on_disk)
        if release != current:
            result["target"] = release
            result["entries"] = [entry(release, "deployed", current, note, at)]
    elif state == "rollback":
        if current is None:
            raise ReleaseError("no release to roll back from: %s/current does not exist" % root)
        target = release or rollback_target(history, current)
        if target is None:
            raise ReleaseError("no previous release to roll back to from %s: %s records none "
                               "(name one with the release option)" % (current, history_path(root)))
        _require_on_disk(root, target, on_disk)
        if target != current:
            result["target"] = target
            if failed:
                result["entries"].append(entry(current, "failed", None, note, at))
            result["entries"].append(entry(target, "rolled_back", current, note, at))
    elif state == "pruned":
        protected = [current, rollback_target(history, current)] + sorted(releases_in_use(root))
        result["removed"] = plan_prune(history, on_disk, keep, protected)[1]
    return result


def _require_on_disk(root, release, on_disk):
    if release not in on_disk:
        raise ReleaseError("release %s does not exist: %s is not a directory"
                           % (release, os.path.join(releases_dir(root), release)))


def apply(root, planned):
    """Carry out a plan: switch the link, then record it, then delete pruned releases."""
    if planned["target"] != planned["previous"]:
        switch_current(root, planned["target"])
    if planned["entries"]:
        save_history(history_path(root), planned["history"] + planned["entries"])
    for release in planned["removed"]:
        remove_release(root, release)


def diff_of(planned):
    """The --diff view: the link target when switching, the release list when pruning."""
    if planned["target"] != planned["previous"]:
        return {"before": _link_text(planned["previous"]), "after": _link_text(planned["target"])}
    if planned["removed"]:
        kept = [r for r in planned["on_disk"] if r not in planned["removed"]]
        return {"before": _dirs_text(planned["on_disk"]), "after": _dirs_text(kept)}
    return None


def _link_text(release):
    return "current -> %s\n" % release if release else ""


def _dirs_text(releases):
    return "".join("releases/%s\n" % r for r in releases)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", required=True),
            release=dict(type="str"),
            state=dict(type="str", default="current",
                       choices=["current", "rollback", "pruned"]),
            keep=dict(type="int", default=5),
            note=dict(type="str"),
            failed=dict(type="bool", default=False),
            owner=dict(type="str"),
            group=dict(type="str"),
        ),
        required_if=[("state", "current", ["release"])],
        supports_check_mode=True,
    )
    p = module.params
    if p["release"] is not None and not valid_release_id(p["release"]):
        module.fail_json(msg="release: %r is not a valid release id (a letter or digit, then letters, "
                             "digits, '.', '_' and '-', 1 to 64 characters)" % p["release"])
    if p["keep"] < 1:
        module.fail_json(msg="keep: must be at least 1, got %d" % p["keep"])
    if not os.path.isdir(p["root"]):
        module.fail_json(msg="root: %s is not a directory" % p["root"])

    try:
        planned = plan(p["root"], p["state"], p["release"], p["keep"], p["note"], p["failed"])
        changed = bool(planned["target"] != planned["previous"] or planned["entries"]
                       or planned["removed"])
        if changed and not module.check_mode:
            apply(p["root"], planned)
    except (ReleaseError, OSError) as exc:
        module.fail_json(msg=str(exc))

    path = history_path(p["root"])
    if os.path.exists(path):
        changed = module.set_owner_if_different(path, p["owner"], changed)
        changed = module.set_group_if_different(path, p["group"], changed)

    history = planned["history"] + planned["entries"]
    result = dict(
        changed=changed,
        current=planned["target"],
        previous=planned["previous"],
        rollback_target=rollback_target(history, planned["target"]) if planned["target"] else None,
        history=history,
        releases=[r for r in planned["on_disk"] if r not in planned["removed"]],
        removed=planned["removed"],
    )
    diff = diff_of(planned)
    if diff and module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
