#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release_build
short_description: Build a reproducible release archive of a Django project
version_added: 0.2.0
description:
  - Packs the Django project O(project) into C(<dest>/<name>-<version>.tar.gz) and writes its
    checksum beside it, C(<archive>.sha256), in the format of C(sha256sum). Run it on the
    controller (delegated to C(localhost)); the archive is what the C(django_app) role
    deploys (C(django_app_release_archive)).
  - The archive is flat (C(manage.py) at its root) and holds a C(RELEASE) file whose first line
    is the version; a C(RELEASE) file at the top of the project is replaced by it.
  - Left out, at any depth, are entries named C(.git), C(__pycache__), C(dist), C(staticfiles),
    C(.venv), C(venv), C(.pytest_cache) and C(node_modules) with everything below them, and
    files matching C(*.pyc), C(*.pyo), C(*.sqlite3), C(*.sqlite3-*), C(*.db),
    C(celerybeat-schedule*), C(*.log), C(*.swp) or C(*~). Sockets and FIFOs are left out too.
  - Relative symlinks that stay inside the project are archived as symlinks; an absolute
    symlink or one pointing outside the project makes the module fail, naming it.
  - Reproducible byte for byte. Members are sorted by name, with mtime O(mtime), owner and group 0
    without names, modes normalised (C(u+rwX,go+rX,go-w)), gzip header without name and
    timestamp. The same project and version give the same SHA-256 whatever the files' own
    mtimes, so a second run reports no change.
  - Fails, writing nothing, when O(project) does not exist, has no C(manage.py) at its top, has
    no lock file O(lock), or when the version cannot be a release id.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  project:
    description:
      - The Django project directory, with C(manage.py) at its top.
    type: path
    required: true
  version:
    description:
      - The release id, written to C(RELEASE) and into the archive's name. It must match
        C(^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$).
      - When empty, the output of C(git describe --tags --always --dirty) in O(project); the
        module fails, asking for a version, when that gives none.
    type: str
    default: ""
  dest:
    description:
      - Directory the archive and its checksum are written to; created when missing.
      - It must lie outside O(project), or in one of its left-out directories (such as C(dist)).
    type: path
    required: true
  name:
    description:
      - Start of the archive's file name. Defaults to the name of the O(project) directory.
    type: str
  lock:
    description:
      - The lock file, relative to O(project), with every package pinned; the C(django_app)
        role installs the release from it.
    type: str
    default: requirements.txt
  mtime:
    description:
      - Modification time of every member, in seconds since the epoch.
      - Defaults to E(SOURCE_DATE_EPOCH) from the controller's environment, else 946684800
        (2000-01-01).
    type: int
attributes:
  check_mode:
    support: full
    description: The archive is built in memory to compute its digest; nothing is written.
  diff_mode:
    support: none
    description: No diff is returned.
notes:
  - The digest is stable for a given Python C(zlib); another C(zlib) version may compress
    differently.
seealso:
  - module: webstack.django.release_archive
    description: Checks the archive on the controller and unpacks it on the hosts.
"""

EXAMPLES = r"""
- name: Build the release archive of the project
  webstack.django.release_build:
    project: ~/src/mysite
    version: 1.4.0
    dest: "{{ playbook_dir }}/../dist"
  delegate_to: localhost
  run_once: true
  register: release

- name: Build from the current git tag, with a lock file elsewhere in the project
  webstack.django.release_build:
    project: ~/src/mysite
    dest: /srv/releases
    name: mysite
    lock: requirements/production.txt
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
archive:
  description: Absolute path of the archive.
  returned: success
  type: str
  sample: /home/me/dist/mysite-1.4.0.tar.gz
sha256:
  description: SHA-256 of the archive, also written to C(<archive>.sha256).
  returned: success
  type: str
  sample: 3f0c7c0e1c9d8b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa9988
version:
  description: The release id the archive carries in C(RELEASE).
  returned: success
  type: str
  sample: 1.4.0
members:
  description: Number of members in the archive, C(RELEASE) and directories included.
  returned: success
  type: int
  sample: 42
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.django.plugins.module_utils.release_build import (
    DEFAULT_MTIME, BuildError, build)


def _version(module, project):
    """The version from git describe in the project, or a failure asking for one."""
    version = ""
    if os.path.isdir(project) and module.get_bin_path("git") is not None:
        rc, out, _err = module.run_command(["git", "describe", "--tags", "--always", "--dirty"],
                                           cwd=project)
        if rc == 0:
            version = out.strip()
    if not version:
        module.fail_json(msg="no version: set version (e.g. version=1.4.0); %s is not a git "
                             "checkout with a commit, so git describe gives none" % project)
    return version


def _mtime(module):
    mtime = module.params["mtime"]
    if mtime is not None:
        return mtime
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch:
        return DEFAULT_MTIME
    try:
        return int(epoch)
    except ValueError:
        module.fail_json(msg="SOURCE_DATE_EPOCH=%r is not a number of seconds since the epoch" % epoch)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            project=dict(type="path", required=True),
            version=dict(type="str", default=""),
            dest=dict(type="path", required=True),
            name=dict(type="str"),
            lock=dict(type="str", default="requirements.txt"),
            mtime=dict(type="int"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    project = os.path.abspath(p["project"])
    if not os.path.isdir(project):
        module.fail_json(msg="project directory %s does not exist" % project)
    version = p["version"] or _version(module, project)
    try:
        result = build(project, version, p["dest"], name=p["name"], lock=p["lock"],
                       mtime=_mtime(module), write=not module.check_mode)
    except BuildError as exc:
        module.fail_json(msg=str(exc), version=version)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot build the release of %s: %s" % (project, exc), version=version)
    module.exit_json(version=version, **result)


if __name__ == "__main__":
    main()
