# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the inputs of the webstack.django.seaweedfs role on the controller, naming each bad one."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.plugin_utils.inputs import (
    APP_NAME_RE,
    below,
    directory_problem,
    path_problem,
    shown,
)

DOCUMENTATION = r"""
name: seaweedfs_inputs
author: webstack.django maintainers
version_added: 0.4.0
short_description: Check the seaweedfs role's inputs, naming every bad one
description:
  - >-
    Takes a dict of the role's variables (any subset of them, by their names) and the bucket of
    each app (the role's C(__seaweedfs_bucket_of), where the bucket names are derived), and
    checks what the argument specification cannot. Raises one error with one line per bad value,
    each naming the variable (and the item and key); a secret key, and an access key, is never
    shown, nor its length.
  - >-
    C(seaweedfs_buckets): a list of dicts with the keys C(app), C(access_key), C(secret_key) and
    C(public_read) only. C(app) matches C(^[a-z][a-z0-9_-]{0,31}$) (as C(django_app_name)) and is
    not C(anonymous) (SeaweedFS's identity of unsigned requests); its bucket (C(_) replaced by
    C(-)) is an S3 bucket name, 3 to 63 characters ending with a letter or digit. C(access_key)
    has 8 to 128 letters and digits; C(secret_key) at least 16 printable ASCII characters without
    whitespace; C(public_read) a real boolean (the string C("false") is refused, Jinja would take
    it as true). Apps, buckets and access keys are unique.
  - >-
    C(seaweedfs_data_dir): a normalised absolute path, never a system directory or below
    C(/etc), C(/usr), C(/proc), C(/sys), C(/dev), C(/boot), C(/run), C(/root), ...; nor below
    C(/tmp), C(/var/tmp) or C(/home), which the service's sandbox hides (C(PrivateTmp),
    C(ProtectHome)); nor the role's own directories (O(reserved_dirs)).
  - >-
    C(seaweedfs_s3_bind_address) an IPv4 or IPv6 address; C(seaweedfs_s3_port) 1024 to 55535 (the
    server takes the port 10000 above it for gRPC; no capability binds a lower one) and none of
    the ports SeaweedFS uses itself on loopback (O(reserved_ports)); C(seaweedfs_url_host) a host
    name or an IP address; C(seaweedfs_volume_size_limit_mb) 1 to 30000; C(seaweedfs_volume_max)
    0 to 100000; C(seaweedfs_wheelhouse) empty or a normalised absolute path.
positional: bucket_of
options:
  _input:
    description: The role's variables to check, by name (a dict of variable names to values).
    type: dict
    required: true
  bucket_of:
    description: The bucket of each app name (the role's vars derive it once).
    type: dict
    required: true
  reserved_dirs:
    description: Directories of the role itself that the data directory may not be or be below.
    type: list
    elements: str
    default: []
  reserved_ports:
    description: Ports SeaweedFS listens on itself (on loopback), refused as the S3 port.
    type: list
    elements: int
    default: []
"""

EXAMPLES = r"""
- name: Check the role's inputs
  ansible.builtin.assert:
    that: __given | webstack.django.seaweedfs_inputs(__seaweedfs_bucket_of) | length > 0
    quiet: true
  vars:
    __given:
      seaweedfs_buckets: "{{ seaweedfs_buckets }}"
      seaweedfs_s3_port: "{{ seaweedfs_s3_port }}"
"""

RETURN = r"""
_value:
  description: The names of the variables checked, sorted (no value, so nothing secret is returned).
  type: list
  elements: str
"""

BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
ACCESS_KEY_RE = re.compile(r"^[A-Za-z0-9]{8,128}$")
SECRET_KEY_RE = re.compile(r"^[\x21-\x7e]{16,}$")
HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$")
BUCKET_KEYS = ("app", "access_key", "secret_key", "public_read")
# SeaweedFS's identity of unsigned requests: an app of that name would be merged with it.
RESERVED_APPS = ("anonymous",)
# Trees the service's sandbox hides from it (PrivateTmp=, ProtectHome=): data there is lost or unreachable.
HIDDEN_TREES = ("/tmp", "/var/tmp", "/home")
S3_PORT_RANGE = (1024, 55535)
INT_RANGES = {
    "seaweedfs_volume_size_limit_mb": (1, 30000),
    "seaweedfs_volume_max": (0, 100000),
}


def _as_int(value):
    """An integer as the argument specification takes it (an int or a string of digits, as -e
    gives one), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,10}", value):
        return int(value)
    return None


def _type_name(value):
    return type(value).__name__


def _buckets(problems, buckets, bucket_of):
    name = "seaweedfs_buckets"
    if not isinstance(buckets, list):
        problems.append(f"{name}: must be a list of dicts (got {_type_name(buckets)})")
        return
    apps, names, keys = {}, {}, {}
    for index, item in enumerate(buckets):
        where = f"{name}[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be a dict with app, access_key, secret_key and public_read "
                            f"(got {_type_name(item)})")
            continue
        unknown = sorted(str(key) for key in item if key not in BUCKET_KEYS)
        if unknown:
            problems.append(f"{where}: unknown keys {', '.join(unknown)} (allowed: {', '.join(BUCKET_KEYS)})")
        app = item.get("app")
        if not isinstance(app, str) or not APP_NAME_RE.match(app):
            problems.append(f"{where}.app: {shown(app)} must be an app name (^[a-z][a-z0-9_-]{{0,31}}$)")
        elif app in RESERVED_APPS:
            problems.append(f"{where}.app: {app!r} is SeaweedFS's identity of unsigned requests; use another name")
        else:
            bucket = bucket_of.get(app) if isinstance(bucket_of, Mapping) else None
            if not isinstance(bucket, str) or not BUCKET_RE.match(bucket):
                problems.append(f"{where}.app: {app!r} gives the bucket {shown(bucket)}, and an S3 bucket name has "
                                "3 to 63 characters (lowercase letters, digits, -) and ends with a letter or digit: "
                                "use an app name of at least 3 characters that ends with a letter or digit")
            else:
                apps.setdefault(app, []).append(index)
                names.setdefault(bucket, []).append(index)
        access_key = item.get("access_key")
        if not isinstance(access_key, str) or not ACCESS_KEY_RE.match(access_key):
            problems.append(f"{where}.access_key: must be 8 to 128 letters and digits")
        else:
            keys.setdefault(access_key, []).append(index)
        secret_key = item.get("secret_key")
        if not isinstance(secret_key, str) or not SECRET_KEY_RE.match(secret_key):
            problems.append(f"{where}.secret_key: must be at least 16 printable ASCII characters without whitespace")
        if "public_read" in item and not isinstance(item["public_read"], bool):
            problems.append(f"{where}.public_read: {shown(item['public_read'])} must be a boolean (true or false, "
                            "unquoted; a string such as \"false\" is refused)")
    for what, seen in (("app", apps), ("bucket", names), ("access key", keys)):
        for value, indexes in seen.items():
            if len(indexes) > 1:
                shown_value = "" if what == "access key" else f" {value!r}"
                problems.append(f"{name}: items {', '.join(str(i) for i in indexes)} have the same {what}{shown_value}; "
                                f"each app needs its own")


def _data_dir(problems, value, reserved_dirs):
    name = "seaweedfs_data_dir"
    problem = directory_problem(value, ["/"])
    if problem is None:
        tree = next((t for t in HIDDEN_TREES if value == t or below(value, t)), None)
        if tree:
            problem = f"{value!r} is below {tree}, which the service's sandbox hides from it"
    if problem is None:
        mine = next((d for d in reserved_dirs if value == d or below(value, d) or below(d, value)), None)
        if mine:
            problem = f"{value!r} overlaps {mine}, a directory of the role itself"
    if problem:
        problems.append(f"{name}: {problem}")


def _s3_port(problems, value, reserved_ports):
    name = "seaweedfs_s3_port"
    low, high = S3_PORT_RANGE
    value = _as_int(value) if _as_int(value) is not None else value
    if _as_int(value) is None or not low <= value <= high:
        problems.append(f"{name}: {shown(value)} is out of range {low}-{high} (the gRPC port is 10000 above it, "
                        "and no capability binds a port below 1024)")
    elif value in reserved_ports:
        problems.append(f"{name}: {value} is a port SeaweedFS uses itself on loopback "
                        f"({', '.join(str(p) for p in sorted(reserved_ports))})")


def _address(problems, value):
    name = "seaweedfs_s3_bind_address"
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        ipaddress.ip_address(value)
    except ValueError:
        problems.append(f"{name}: {shown(value)} is not an IPv4 or IPv6 address")


def _url_host(problems, value):
    name = "seaweedfs_url_host"
    if isinstance(value, str):
        try:
            ipaddress.ip_address(value)
            return
        except ValueError:
            if len(value) <= 253 and HOST_RE.match(value):
                return
    problems.append(f"{name}: {shown(value)} must be a host name or an IP address")


def seaweedfs_inputs(given, bucket_of, reserved_dirs=(), reserved_ports=()):
    """Raise AnsibleFilterError with one line per bad input; return the names checked."""
    if not isinstance(given, Mapping):
        raise AnsibleFilterError(f"seaweedfs_inputs: expects a dict of variables, got {_type_name(given)}")
    problems = []
    if "seaweedfs_buckets" in given:
        _buckets(problems, given["seaweedfs_buckets"], bucket_of)
    if "seaweedfs_data_dir" in given:
        _data_dir(problems, given["seaweedfs_data_dir"], list(reserved_dirs))
    if "seaweedfs_s3_port" in given:
        _s3_port(problems, given["seaweedfs_s3_port"], set(reserved_ports))
    if "seaweedfs_s3_bind_address" in given:
        _address(problems, given["seaweedfs_s3_bind_address"])
    if "seaweedfs_url_host" in given:
        _url_host(problems, given["seaweedfs_url_host"])
    for name, (low, high) in INT_RANGES.items():
        if name in given and (_as_int(given[name]) is None or not low <= _as_int(given[name]) <= high):
            problems.append(f"{name}: {shown(given[name])} is out of range {low}-{high}")
    if "seaweedfs_wheelhouse" in given:
        value = given["seaweedfs_wheelhouse"]
        problem = None if value == "" else path_problem(value)
        if problem:
            problems.append(f"seaweedfs_wheelhouse: {problem} (empty: install from the index)")
    if problems:
        raise AnsibleFilterError("\n".join(problems))
    return sorted(given)


class FilterModule:
    """Filters of webstack.django for the seaweedfs role."""

    def filters(self):
        """Map the filter names to their functions."""
        return {"seaweedfs_inputs": seaweedfs_inputs}
