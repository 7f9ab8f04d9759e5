# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The identities of SeaweedFS's S3 gateway (its s3.json), one per app, from seaweedfs_buckets."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: seaweedfs_s3_config
author: webstack.django maintainers
version_added: 0.4.0
short_description: SeaweedFS's S3 identities (s3.json) from the seaweedfs role's buckets
description:
  - >-
    Returns the content of the S3 gateway's C(-s3.config) file: one identity per app, named after
    the app, with the app's key pair and the actions C(Read), C(Write), C(List) and C(Tagging) on
    its own bucket only (so it can neither create nor reach another bucket); and, when any bucket
    has C(public_read), the C(anonymous) identity with C(Read) on those buckets (an object can be
    fetched without a signature, a bucket never listed). No C(Admin) identity: the role creates
    the buckets with C(weed shell) on the host.
  - The inputs are checked first by C(webstack.django.seaweedfs_inputs); this filter only refuses
    what would make a wrong file (a missing key or bucket, a C(public_read) that is not a boolean),
    never showing a key.
positional: bucket_of
options:
  _input:
    description: The role's C(seaweedfs_buckets) (app, access_key, secret_key, public_read).
    type: list
    elements: dict
    required: true
  bucket_of:
    description: The bucket of each app name (the role's vars derive it once).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the S3 identities
  ansible.builtin.copy:
    content: "{{ seaweedfs_buckets | webstack.django.seaweedfs_s3_config(__seaweedfs_bucket_of) | to_nice_json }}\n"
    dest: /etc/seaweedfs/s3.json
    owner: root
    group: seaweedfs
    mode: "0640"
  no_log: true
  diff: false
"""

RETURN = r"""
_value:
  description: The s3.json content, a dict with the list C(identities) (holds the secret keys).
  type: dict
"""

ACTIONS = ("Read", "Write", "List", "Tagging")


def seaweedfs_s3_config(buckets, bucket_of):
    """The s3.json content for the buckets (the filter)."""
    if not isinstance(buckets, list) or not isinstance(bucket_of, Mapping):
        raise AnsibleFilterError("seaweedfs_s3_config: expects the list seaweedfs_buckets and a dict of buckets by app")
    identities, public = [], []
    for index, item in enumerate(buckets):
        where = f"seaweedfs_buckets[{index}]"
        if not isinstance(item, Mapping) or not all(isinstance(item.get(key), str) for key in
                                                    ("app", "access_key", "secret_key")):
            raise AnsibleFilterError(f"{where}: needs the strings app, access_key and secret_key")
        bucket = bucket_of.get(item["app"])
        if not isinstance(bucket, str) or not bucket:
            raise AnsibleFilterError(f"{where}.app: {item['app']!r} has no bucket")
        public_read = item.get("public_read", False)
        if not isinstance(public_read, bool):
            raise AnsibleFilterError(f"{where}.public_read: must be a boolean")
        identities.append({
            "name": item["app"],
            "credentials": [{"accessKey": item["access_key"], "secretKey": item["secret_key"]}],
            "actions": [f"{action}:{bucket}" for action in ACTIONS],
        })
        if public_read:
            public.append(bucket)
    if public:
        identities.append({"name": "anonymous", "actions": [f"Read:{bucket}" for bucket in public]})
    return {"identities": identities}


class FilterModule:
    """Filters of webstack.django for the seaweedfs role."""

    def filters(self):
        """Map the filter names to their functions."""
        return {"seaweedfs_s3_config": seaweedfs_s3_config}
