#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: openpgp_signature
short_description: Verify a detached OpenPGP signature with gpgv against a given public key
version_added: 0.1.0
description:
  - Checks that O(signature) (or the file O(signature_path)) is a valid detached OpenPGP
    signature over O(content) (or the file O(path)) made by a key of O(public_key), with
    C(gpgv) on the host. Only the keys of O(public_key) are trusted; the host's own keyrings
    are not read.
  - Fails naming the reason when the signature is not valid - no signature, a signature by
    another key (with its key ID), a bad signature (the data was changed after it was signed),
    an expired or revoked key - and returns that reason in RV(reason).
  - Nothing on the host changes; the keyring, data and signature are written to the module's
    temporary directory only.
  - The offline bundle uses it on every target before anything else on the host changes, with
    the signed C(SHA256SUMS) read from the tarball on the controller, and again on the unpacked
    copy.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  public_key:
    description:
      - One or more ASCII-armored OpenPGP public key blocks; text around the blocks is ignored.
    type: str
    required: true
  content:
    description:
      - The signed data. Mutually exclusive with O(path).
    type: str
  path:
    description:
      - File on the host holding the signed data. Mutually exclusive with O(content).
    type: path
  signature:
    description:
      - The ASCII-armored detached signature; an empty string is an unsigned O(content).
        Mutually exclusive with O(signature_path).
    type: str
  signature_path:
    description:
      - File on the host holding the detached signature; a missing file is an unsigned O(path).
        Mutually exclusive with O(signature).
    type: path
  gpgv:
    description:
      - The C(gpgv) executable, looked up on the host's PATH when not absolute.
    type: str
    default: gpgv
attributes:
  check_mode:
    support: full
    description: Verifies the same way; nothing changes in either mode.
  diff_mode:
    support: none
    description: No diff is returned.
notes:
  - C(gpgv) comes with the C(gpgv) package, part of every Debian and Ubuntu base system.
"""

EXAMPLES = r"""
- name: Verify the bundle's checksum list before unpacking it
  webstack.django.openpgp_signature:
    public_key: "{{ lookup('ansible.builtin.file', 'files/webstack-bundle.pub.asc') }}"
    content: "{{ sums }}"
    signature: "{{ sums_signature }}"

- name: Verify the unpacked copy
  webstack.django.openpgp_signature:
    public_key: "{{ lookup('ansible.builtin.file', 'files/webstack-bundle.pub.asc') }}"
    path: /var/lib/webstack/bundle/3f2a9c1e0b7d/SHA256SUMS
    signature_path: /var/lib/webstack/bundle/3f2a9c1e0b7d/SHA256SUMS.asc
"""

RETURN = r"""
valid:
  description: Whether the signature is valid and made by a key of O(public_key).
  returned: always
  type: bool
  sample: true
reason:
  description:
    - Why the signature is not valid, V(null) when it is.
    - One of V(unsigned), V(unknown key) (signed by another key), V(bad signature),
      V(expired key), V(revoked key), V(error).
  returned: always
  type: str
  sample: unknown key
fingerprint:
  description: Fingerprint of the key that made a good signature.
  returned: always
  type: str
  sample: 6D2B1E0C8F0A4E4C9C3A5B7E2F1D0C9B8A7F6E5D
key_id:
  description: Key ID the signature names (also for a signature by another key).
  returned: always
  type: str
  sample: 2F1D0C9B8A7F6E5D
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.webstack.django.plugins.module_utils.openpgp import explain, verify


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            public_key=dict(type="str", required=True),
            content=dict(type="str"),
            path=dict(type="path"),
            signature=dict(type="str"),
            signature_path=dict(type="path"),
            gpgv=dict(type="str", default="gpgv"),
        ),
        mutually_exclusive=[("content", "path"), ("signature", "signature_path")],
        required_one_of=[("content", "path"), ("signature", "signature_path")],
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, valid=False, reason=None, fingerprint=None, key_id=None)
    gpgv = params["gpgv"] if os.path.isabs(params["gpgv"]) else module.get_bin_path(params["gpgv"])
    if not gpgv:
        module.fail_json(msg="%s not found on the host (package gpgv)" % params["gpgv"], **result)

    if params["path"] is not None:
        if not os.path.isfile(params["path"]):
            module.fail_json(msg="%s: no such file, nothing to verify" % params["path"], **result)
        data = read(params["path"])
    else:
        data = to_bytes(params["content"])
    if params["signature_path"] is not None:
        signature = read(params["signature_path"]) if os.path.isfile(params["signature_path"]) else b""
    else:
        signature = to_bytes(params["signature"])

    def run(argv):
        return module.run_command(argv, check_rc=False)

    try:
        valid, reason, fingerprint, key_id, output = verify(
            run, gpgv, module.tmpdir, params["public_key"], data, signature)
    except ValueError as exc:
        module.fail_json(msg="public_key: %s" % exc, **result)
    result.update(valid=valid, reason=reason, fingerprint=fingerprint, key_id=key_id)
    if not valid:
        module.fail_json(msg=explain(reason, key_id), gpgv_output=output, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
