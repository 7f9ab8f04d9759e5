#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: release_archive
short_description: Inspect a release archive, or unpack it into a release directory atomically
version_added: 0.1.0
description:
  - With O(state=inspected) (run it on the controller with C(delegate_to)), reads a
    gzip-compressed tar archive and fails, naming every offending member and the reason, when a
    member is an absolute path, contains C(..), is a device or a FIFO, lies below a symlink of
    the archive, appears twice as different things, is a symlink that leads out of the release
    directory, or a hard link to anything but an earlier regular file of the archive, or when a
    file listed in O(required) is missing. An archive that is not gzip, or is truncated, fails
    with the reason. Nothing changes.
  - Symlinks are judged by where they lead, not by the text of their target. Each target is
    resolved through the symlinks the archive itself creates before it, and again once every
    member is in place, so C(a/b/c/d/e/l -> ../../../../..) followed by
    C(venv -> a/b/c/d/e/l/../../../../etc/cron.d) is refused (C(venv) leads to C(/etc/cron.d)).
    The judgement is the same on every Python, with or without C(tarfile.data_filter), which the
    module does not use.
  - With O(state=unpacked), checks the archive the same way (the same function as
    O(state=inspected)) and unpacks it into a private hidden directory next to O(dest), which
    is renamed to O(dest) only when complete; on any failure the partial directory is removed.
    The unpack follows no link whatever the archive holds. Every member is created relative to
    a descriptor of its directory, opened with C(O_NOFOLLOW); owners and modes are set through
    descriptors, a symlink's own owner without following it. Modes are those of
    C(tarfile.data_filter) (no setuid, setgid, sticky or group/other write bit; directories
    0755); owners are O(owner) and O(group), never the archive's.
  - An existing O(dest) is left alone (changed=false); a symlink at O(dest) fails.
  - In an archive that passes, O(discover) reads the Django project's entry points and
    O(modules) checks module paths the deployment names, from the source files in the
    archive, parsed and never executed. Only C(manage.py), the settings files and the files of
    O(modules) are read, at most 1 MiB each. Both apply to O(state=inspected), to check mode,
    and to an unpacking (read before anything is extracted); when O(dest) already exists,
    nothing is read.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  path:
    description:
      - The archive (C(.tar.gz)).
    type: path
    required: true
  state:
    description:
      - C(inspected) checks only; C(unpacked) also unpacks into O(dest).
    type: str
    choices: [inspected, unpacked]
    default: inspected
  dest:
    description:
      - The release directory to create. Required with O(state=unpacked).
    type: path
  required:
    description:
      - Paths, relative to the archive root, that must be members (the lock file of the app).
    type: list
    elements: str
    default: []
  refused_packages:
    description:
      - Requirement specifiers (C(pyuwsgi==2.0.30)) or names (C(uwsgi)) of packages that the
        O(required) files (the lock) must not name, because the deployment installs them itself;
        each line naming one is an error, with the file and the line number.
    type: list
    elements: str
    default: []
    version_added: 0.3.0
  needed_packages:
    description:
      - Packages the O(required) files (the lock) must name, each with why the deployment needs
        it (C(django-storages) when the deployment stores uploads through its S3 backend); each
        one missing is an error, with its reason.
    type: dict
    default: {}
    version_added: 0.3.0
  owner:
    description:
      - Owner of the unpacked files.
    type: str
  group:
    description:
      - Group of the unpacked files.
    type: str
  remove_source:
    description:
      - Delete O(path) after unpacking (and after a failure), for an archive uploaded only for
        this purpose.
    type: bool
    default: false
  discover:
    description:
      - Return RV(project), the entry points read from the archive.
      - C(settings_module) is the value of the first
        C(*.setdefault("DJANGO_SETTINGS_MODULE", "<module>")) call in the top-level C(manage.py).
      - C(wsgi_module) is the C(WSGI_APPLICATION = "<package>.wsgi.application") of that settings
        module (C(a/b.py) or C(a/b/__init__.py); its star imports, C(from x import *), of other
        modules of the project are followed), given as C(<package>.wsgi:application).
      - C(asgi_module) is that settings module's C(ASGI_APPLICATION) (Channels' setting), read the
        same way, else the C(asgi.py) beside the WSGI module, as C(<package>.asgi:application);
        C(asgi_note) says why it is null (a project need not have one).
      - C(celery_module) is the module of a C(celery.py) beside the settings, nearest first
        (for C(mysite.settings.production), C(mysite/settings/celery.py) then C(mysite/celery.py)).
      - What is not found is null, and C(notes) says why.
    type: bool
    default: false
    version_added: 0.2.0
  modules:
    description:
      - Variable name to Python module path (C(package.module)), optionally with an attribute
        (C(package.module:attribute)). Each module must be a file of the archive, C(a/b.py) or
        C(a/b/__init__.py) (parent packages need no C(__init__.py)), and an attribute must be
        defined at module level (assignment, C(def), C(class) or import).
      - An attribute is not looked for in a module that uses C(from x import *), defines
        C(__getattr__) or does not parse; empty values are skipped.
      - The module fails with one line per missing module or attribute, naming the variable.
    type: dict
    default: {}
    version_added: 0.2.0
attributes:
  check_mode:
    support: full
    description: In check mode nothing is unpacked; the result says whether it would be.
  diff_mode:
    support: none
    description: No diff is returned.
"""

EXAMPLES = r"""
- name: Refuse a hostile release archive before anything is uploaded
  webstack.django.release_archive:
    path: dist/myapp-1.4.2.tar.gz
    required: [requirements.txt]
  delegate_to: localhost
  run_once: true

- name: Read the project's entry points and check the module paths of the deployment
  webstack.django.release_archive:
    path: dist/myapp-1.4.2.tar.gz
    discover: true
    modules:
      django_app_settings_module: mysite.settings
      django_app_wsgi_module: mysite.wsgi:application
  delegate_to: localhost
  run_once: true
  register: release

- name: Unpack the release atomically
  webstack.django.release_archive:
    path: /srv/myapp/releases/.incoming.tar.gz
    dest: /srv/myapp/releases/1.4.2
    state: unpacked
    owner: myapp
    group: myapp
    remove_source: true
"""

RETURN = r"""
sha256:
  description: SHA-256 of the archive.
  returned: success
  type: str
  sample: 3f0c7c0e1c9d8b6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa9988
members:
  description: Number of members in the archive.
  returned: success
  type: int
  sample: 42
project:
  description:
    - The entry points read from the archive (O(discover)); each is null when not found.
  returned: with discover=true, when the archive passes the checks
  type: dict
  contains:
    settings_module:
      description: The C(DJANGO_SETTINGS_MODULE) default of C(manage.py).
      returned: always
      type: str
      sample: mysite.settings
    wsgi_module:
      description: The settings' C(WSGI_APPLICATION) as C(module:attribute).
      returned: always
      type: str
      sample: mysite.wsgi:application
    asgi_module:
      description: The settings' C(ASGI_APPLICATION), else the C(asgi.py) beside the WSGI module, as C(module:attribute).
      returned: always
      type: str
      sample: mysite.asgi:application
    asgi_note:
      description: Why RV(project.asgi_module) is null; null when it is not.
      returned: always
      type: str
      sample: mysite/settings.py sets no ASGI_APPLICATION and there is no asgi.py beside the WSGI module
    celery_module:
      description: The module of the C(celery.py) beside the settings.
      returned: always
      type: str
      sample: mysite.celery
    notes:
      description: What could not be found, and why.
      returned: always
      type: list
      elements: str
      sample: ["no celery.py beside mysite.settings (looked for mysite/celery.py)"]
errors:
  description: Every reason the archive was refused, or one line per missing module of O(modules).
  returned: failure
  type: list
  elements: str
  sample: ["django_app_wsgi_module: mysite/wsgi.py defines no 'application'"]
"""

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.django.plugins.module_utils.archives import (
    ArchiveError, ProjectError, inspect_release, sha256_of, unpack)


def _id(module, name, lookup, what):
    if name is None:
        return None
    try:
        return lookup(name)
    except KeyError:
        module.fail_json(msg="%s: %s does not exist on the host" % (what, name))


def _project(params, project):
    return dict(project=project) if params["discover"] and project is not None else {}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", default="inspected", choices=["inspected", "unpacked"]),
            dest=dict(type="path"),
            required=dict(type="list", elements="str", default=[]),
            owner=dict(type="str"),
            group=dict(type="str"),
            remove_source=dict(type="bool", default=False),
            discover=dict(type="bool", default=False),
            modules=dict(type="dict", default={}),
            refused_packages=dict(type="list", elements="str", default=[]),
            needed_packages=dict(type="dict", default={}),
        ),
        required_if=[("state", "unpacked", ["dest"])],
        supports_check_mode=True,
    )
    p = module.params
    if p["state"] == "unpacked" and os.path.islink(p["dest"]):
        module.fail_json(msg="dest: %s is a symlink (-> %s), not a release directory: refusing to use it"
                             % (p["dest"], os.readlink(p["dest"])))
    if p["state"] == "unpacked" and os.path.isdir(p["dest"]):
        if p["remove_source"] and os.path.exists(p["path"]) and not module.check_mode:
            os.remove(p["path"])
        module.exit_json(changed=False, dest=p["dest"])
    if not os.path.isfile(p["path"]):
        module.fail_json(msg="%s is not a file" % p["path"])
    try:
        sha256 = sha256_of(p["path"])
        if p["state"] == "inspected" or module.check_mode:
            members, errors, project = inspect_release(p["path"], p["required"], p["discover"], p["modules"],
                                                       p["refused_packages"], p["needed_packages"])
            if errors:
                module.fail_json(msg="%s must not be unpacked: %s" % (p["path"], "; ".join(errors)),
                                 errors=errors)
            module.exit_json(changed=p["state"] == "unpacked", sha256=sha256, members=len(members),
                             **_project(p, project))
        uid = _id(module, p["owner"], lambda n: pwd.getpwnam(n).pw_uid, "owner")
        gid = _id(module, p["group"], lambda n: grp.getgrnam(n).gr_gid, "group")
        members, project = unpack(p["path"], p["dest"], p["required"], uid, gid, p["discover"], p["modules"],
                                  p["refused_packages"], p["needed_packages"])
    except ProjectError as exc:
        module.fail_json(msg=str(exc), errors=exc.errors, **_project(p, exc.project))
    except ArchiveError as exc:
        module.fail_json(msg=str(exc))
    finally:
        if p["remove_source"] and p["state"] == "unpacked" and not module.check_mode \
                and os.path.exists(p["path"]):
            os.remove(p["path"])
    module.exit_json(changed=True, sha256=sha256, members=len(members), dest=p["dest"], **_project(p, project))


if __name__ == "__main__":
    main()
