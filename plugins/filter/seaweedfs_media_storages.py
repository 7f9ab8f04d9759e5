# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each app needs to store its media in SeaweedFS: endpoint, bucket, region and its keys."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: seaweedfs_media_storages
author: webstack.django maintainers
version_added: 0.4.0
short_description: The media storage of each app from the seaweedfs role's buckets
description:
  - >-
    Returns a dict keyed by app name, each value
    C({endpoint_url, bucket, region, access_key, secret_key}): what the seaweedfs role exports as
    C(seaweedfs_media_storages) for a playbook to pass to the django_app role's
    C(django_app_media_storage).
  - C(endpoint_url) is C(http://<host>:<port>), an IPv6 address in brackets.
positional: bucket_of
options:
  _input:
    description: The role's C(seaweedfs_buckets) (app, access_key, secret_key, public_read), checked before.
    type: list
    elements: dict
    required: true
  bucket_of:
    description: The bucket of each app name (the role's vars derive it once).
    type: dict
    required: true
  host:
    description: The host name apps use to reach the S3 API (C(seaweedfs_url_host)).
    type: str
    required: true
  port:
    description: The port of the S3 API (C(seaweedfs_s3_port)).
    type: int
    required: true
  region:
    description: The region the apps sign their requests for (SeaweedFS accepts any).
    type: str
    default: us-east-1
"""

EXAMPLES = r"""
- name: Export the media storages
  ansible.builtin.set_fact:
    seaweedfs_media_storages: >-
      {{ seaweedfs_buckets | webstack.django.seaweedfs_media_storages(__seaweedfs_bucket_of,
         host=seaweedfs_url_host, port=seaweedfs_s3_port) }}
  no_log: true
"""

RETURN = r"""
_value:
  description: App name to C({endpoint_url, bucket, region, access_key, secret_key}) (holds the secret keys).
  type: dict
"""


def _host(host):
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


def seaweedfs_media_storages(buckets, bucket_of, host, port, region="us-east-1"):
    """App name -> its media storage (the filter)."""
    if not isinstance(buckets, list) or not isinstance(bucket_of, Mapping):
        raise AnsibleFilterError("seaweedfs_media_storages: expects the list seaweedfs_buckets and a dict of buckets by app")
    if not isinstance(host, str) or not host:
        raise AnsibleFilterError("seaweedfs_media_storages: host must be a host name or an IP address")
    endpoint = f"http://{_host(host)}:{int(port)}"
    storages = {}
    for index, item in enumerate(buckets):
        if not isinstance(item, Mapping) or item.get("app") not in bucket_of:
            raise AnsibleFilterError(f"seaweedfs_buckets[{index}]: an app without a bucket")
        storages[item["app"]] = {
            "endpoint_url": endpoint,
            "bucket": bucket_of[item["app"]],
            "region": region,
            "access_key": item.get("access_key"),
            "secret_key": item.get("secret_key"),
        }
    return storages


class FilterModule:
    """Filters of webstack.django for the seaweedfs role."""

    def filters(self):
        """Map the filter names to their functions."""
        return {"seaweedfs_media_storages": seaweedfs_media_storages}
