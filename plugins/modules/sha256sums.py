#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: sha256sums
short_description: Write or verify a SHA256SUMS file covering every file of a directory
version_added: 0.1.0
description:
  - With O(state=present), writes C(<path>/SHA256SUMS) in the format of C(sha256sum), one line
    per regular file under O(path) (recursively, sorted, relative paths), the file itself and its
    detached signature C(<name>.asc) excepted (a signature cannot be listed in what it signs).
    The file is rewritten only when its content changes.
  - With O(state=verified), reads C(<path>/SHA256SUMS) and checks every file it lists; it also
    fails on files under O(path) that it does not list. The failure message names every file
    that does not match, is missing or is not listed. Nothing on the host changes.
  - The offline bundle uses it on the builder to seal the bundle and on each target to verify
    the bundle before anything from it is used.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  path:
    description:
      - The directory.
    type: path
    required: true
  state:
    description:
      - V(present) writes the checksum file, V(verified) checks the directory against it.
    type: str
    choices: [present, verified]
    default: verified
  name:
    description:
      - Name of the checksum file inside O(path).
    type: str
    default: SHA256SUMS
attributes:
  check_mode:
    support: full
    description: Reports whether the checksum file would change and writes nothing.
  diff_mode:
    support: none
    description: No diff is returned.
notes:
  - Symbolic links and other non-regular files under O(path) make the module fail,
    a bundle holds regular files only.
"""

EXAMPLES = r"""
- name: Seal the bundle directory
  webstack.django.sha256sums:
    path: /srv/bundle/webstack-bundle
    state: present

- name: Verify the unpacked bundle before using it
  webstack.django.sha256sums:
    path: /var/lib/webstack/bundle/3f2a9c1e0b7d
"""

RETURN = r"""
files:
  description: Number of files covered by the checksum file.
  returned: always
  type: int
  sample: 112
mismatched:
  description: Files whose SHA-256 differs from the checksum file (O(state=verified)).
  returned: always
  type: list
  elements: str
  sample: [debs/nginx_1.22.1-9+deb12u3_amd64.deb]
missing:
  description: Files listed in the checksum file that do not exist (O(state=verified)).
  returned: always
  type: list
  elements: str
unlisted:
  description: Files under O(path) that the checksum file does not list (O(state=verified)).
  returned: always
  type: list
  elements: str
"""

import hashlib
import os

from ansible.module_utils.basic import AnsibleModule

CHUNK = 1024 * 1024


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def walk(root, name):
    """Relative paths of the regular files under root, sorted, without the checksum file and its
    detached signature.

    Raises ValueError naming an entry that is neither a regular file nor a directory."""
    found = []
    for current, dirs, files in os.walk(root):
        dirs.sort()
        for entry in dirs + files:
            full = os.path.join(current, entry)
            if os.path.islink(full) or not (os.path.isfile(full) or os.path.isdir(full)):
                raise ValueError("not a regular file: " + os.path.relpath(full, root))
        for entry in files:
            rel = os.path.relpath(os.path.join(current, entry), root)
            if rel not in (name, name + ".asc"):
                found.append(rel)
    return sorted(found)


def render(root, files):
    return "".join("%s  %s\n" % (sha256(os.path.join(root, rel)), rel) for rel in files)


def parse(text, name="SHA256SUMS"):
    """{relative path: hex digest} from sha256sum output; raises ValueError on a bad line."""
    entries = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, rel = line.partition("  ")
        if not sep:
            digest, sep, rel = line.partition(" *")
        digest = digest.lower()
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or not rel:
            raise ValueError(name + " line %d is not '<sha256>  <file>'" % number)
        if rel.startswith("/") or ".." in rel.split("/"):
            raise ValueError(name + " line %d names a path outside the directory: %s" % (number, rel))
        entries[rel] = digest
    return entries


def verify(root, name):
    """(files, mismatched, missing, unlisted) of root against its checksum file."""
    with open(os.path.join(root, name)) as handle:
        listed = parse(handle.read(), name)
    present = walk(root, name)
    mismatched, missing = [], []
    for rel, digest in sorted(listed.items()):
        full = os.path.join(root, rel)
        if not os.path.isfile(full):
            missing.append(rel)
        elif sha256(full) != digest:
            mismatched.append(rel)
    unlisted = [rel for rel in present if rel not in listed]
    return len(listed), mismatched, missing, unlisted


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "verified"], default="verified"),
            name=dict(type="str", default="SHA256SUMS"),
        ),
        supports_check_mode=True,
    )
    root = module.params["path"]
    name = module.params["name"]
    sums = os.path.join(root, name)
    result = dict(changed=False, files=0, mismatched=[], missing=[], unlisted=[])
    if not os.path.isdir(root):
        module.fail_json(msg="%s is not a directory" % root, **result)

    try:
        if module.params["state"] == "present":
            files = walk(root, name)
            content = render(root, files)
            result["files"] = len(files)
            old = None
            if os.path.exists(sums):
                with open(sums) as handle:
                    old = handle.read()
            if old != content:
                result["changed"] = True
                if not module.check_mode:
                    tmp = sums + ".tmp"
                    with open(tmp, "w") as handle:
                        handle.write(content)
                    os.chmod(tmp, 0o644)
                    os.rename(tmp, sums)
            module.exit_json(**result)

        if not os.path.isfile(sums):
            module.fail_json(msg="%s: no %s in the directory, nothing can be verified" % (root, name), **result)
        files, mismatched, missing, unlisted = verify(root, name)
    except ValueError as exc:
        module.fail_json(msg="%s: %s" % (root, exc), **result)

    result.update(files=files, mismatched=mismatched, missing=missing, unlisted=unlisted)
    problems = (["checksum mismatch: " + ", ".join(mismatched)] if mismatched else []) \
        + (["missing: " + ", ".join(missing)] if missing else []) \
        + (["not listed in %s: %s" % (name, ", ".join(unlisted))] if unlisted else [])
    if problems:
        module.fail_json(msg="%s failed verification against %s: %s" % (root, name, "; ".join(problems)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
