# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Size PostgreSQL's memory and connection settings from a host's memory and vCPUs."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: postgresql_settings
author: webstack.django maintainers
version_added: 0.2.0
short_description: Compute PostgreSQL memory, connection and WAL settings for a host
description:
  - Turns a host's memory and vCPUs into the settings the C(postgresql) role writes to its
    C(conf.d) drop-in.
  - "C(shared_buffers) is 25% of memory, at most 8192 MB; C(effective_cache_size) 75%;
    C(maintenance_work_mem) memory / 16 within 64..2048 MB; C(work_mem)
    (memory - shared_buffers) / (3 x max_connections) within 4..256 MB;
    C(max_parallel_workers) the vCPUs, at most 8, and C(max_parallel_workers_per_gather) half of
    them, 1..4. Sizes are whole MB, written as C(<n>MB)."
  - C(max_connections) is 100 unless given; C(work_mem) follows it. C(wal_level=replica) and
    C(max_wal_senders=10) allow streaming replication.
  - O(overrides) win over every computed value; an unknown key or a bad value raises an error
    that names C(postgresql_settings) and the key.
  - "Overridden sizes are bounded by the host's memory, so that no value keeps the server from
    starting or lets it run the host out of memory: C(shared_buffers) 128kB to 40% of memory;
    C(effective_cache_size) 8kB to all of it; C(maintenance_work_mem) 1MB to 25%; C(work_mem)
    64kB to (memory - shared_buffers) / max_connections, so that one sort per connection fits.
    An error names the key and the allowed range for this host."
positional: max_connections
options:
  _input:
    description:
      - Ansible facts (C(ansible_facts), or C(hostvars[host]) with C(ansible_) prefixes), read
        for C(memtotal_mb), else C(memory_mb.real.total); and C(processor_vcpus), else
        C(processor_nproc), else 1.
      - "Or a plain dict C({memtotal_mb: M, vcpus: N})."
    type: dict
    required: true
  max_connections:
    description: The server's C(max_connections), 5..10000; an override of the same key wins.
    type: int
    default: 100
  overrides:
    description:
      - Explicit settings by name (the keys of the result), winning over the computed ones.
        Sizes are an integer (MB) or a string with its unit (C(kB), C(MB), C(GB), C(TB)) such as
        C(512MB) or C(2GB); a string without a unit is refused (PostgreSQL would read it in 8kB
        pages or in kB depending on the setting).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Compute the settings of this host
  ansible.builtin.set_fact:
    pg_settings: "{{ ansible_facts | webstack.django.postgresql_settings }}"

- name: Size for 300 connections and pin shared_buffers
  ansible.builtin.debug:
    msg: >-
      {{ {'memtotal_mb': 8192, 'vcpus': 4}
         | webstack.django.postgresql_settings(300, overrides={'shared_buffers': '1GB'}) }}
    # work_mem=6MB, effective_cache_size=6144MB, shared_buffers=1GB
"""

RETURN = r"""
_value:
  description:
    - "Settings by name: C(shared_buffers), C(effective_cache_size), C(maintenance_work_mem),
      C(work_mem) (strings C(<n>MB) unless overridden), C(max_connections) (int),
      C(max_parallel_workers), C(max_parallel_workers_per_gather) (ints), C(wal_level)
      (C(replica)), C(max_wal_senders) (int)."
  type: dict
"""

SHARED_BUFFERS_FRACTION = 0.25
SHARED_BUFFERS_MAX_MB = 8192
EFFECTIVE_CACHE_FRACTION = 0.75
MAINTENANCE_DIVISOR = 16
MAINTENANCE_MIN_MB = 64
MAINTENANCE_MAX_MB = 2048
WORK_MEM_PER_CONNECTION = 3     # sort/hash operations assumed per connection at once
WORK_MEM_MIN_MB = 4
WORK_MEM_MAX_MB = 256
MAX_CONNECTIONS = 100
MAX_CONNECTIONS_RANGE = (5, 10000)
MAX_PARALLEL_WORKERS = 8        # the default max_worker_processes, which bounds it
MAX_PARALLEL_PER_GATHER = 4
MAX_WAL_SENDERS = 10
MIN_MEMORY_MB = 256

SIZE_KEYS = ("shared_buffers", "effective_cache_size", "maintenance_work_mem", "work_mem")
INT_KEYS = ("max_connections", "max_parallel_workers", "max_parallel_workers_per_gather",
            "max_wal_senders")
KNOWN_KEYS = SIZE_KEYS + INT_KEYS + ("wal_level",)
SIZE_PATTERN = re.compile(r"^([1-9][0-9]*)(kB|MB|GB|TB)$")
UNIT_KB = {"kB": 1, "MB": 1024, "GB": 1024 ** 2, "TB": 1024 ** 3}
# Bounds of an overridden size in kB: the least PostgreSQL accepts, and the most as a share of
# the host's memory (work_mem's is computed from shared_buffers and max_connections).
SHARED_BUFFERS_MAX_SHARE = 0.40
SIZE_BOUNDS_KB = {
    "shared_buffers": (128, SHARED_BUFFERS_MAX_SHARE, "40% of the host's memory"),
    "effective_cache_size": (8, 1.0, "the host's memory"),
    "maintenance_work_mem": (1024, 0.25, "25% of the host's memory"),
    "work_mem": (64, None, "(memory - shared_buffers) / max_connections"),
}
WAL_LEVELS = ("replica", "logical")


def _fail(field, msg):
    raise AnsibleFilterError(f"postgresql_settings: {field}: {msg}")


def _int(field, value, minimum, maximum=None):
    """Return value as an int within [minimum, maximum]; raise naming the field."""
    if isinstance(value, bool) or value is None:
        _fail(field, f"{value!r} is not an integer")
    try:
        number = float(value)
    except (TypeError, ValueError):
        _fail(field, f"{value!r} is not an integer")
    if math.isnan(number) or math.isinf(number) or number != int(number):
        _fail(field, f"{value!r} is not an integer")
    number = int(number)
    if number < minimum or (maximum is not None and number > maximum):
        upper = "" if maximum is None else f"..{maximum}"
        _fail(field, f"{number} is out of range {minimum}{upper}")
    return number


def _fact(facts, *path):
    """facts[path...] with or without the ansible_ prefix on the first key, else None."""
    for first in (path[0], "ansible_" + path[0]):
        value = facts.get(first)
        for key in path[1:]:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is not None:
            return value
    return None


def host_resources(facts):
    """(memory_mb, vcpus) read from facts or a plain dict; raise naming the missing field."""
    if not isinstance(facts, Mapping):
        _fail("input", f"expected a dict of facts, got {type(facts).__name__}")
    memory = _fact(facts, "memtotal_mb")
    if memory is None:
        memory = _fact(facts, "memory_mb", "real", "total")
    if memory is None:
        _fail("memtotal_mb", "missing from the input (gather the hardware facts)")
    memory_mb = _int("memtotal_mb", memory, MIN_MEMORY_MB)
    vcpus = _fact(facts, "vcpus")
    if vcpus is None:
        vcpus = _fact(facts, "processor_vcpus")
    if vcpus is None:
        vcpus = _fact(facts, "processor_nproc")
    return memory_mb, _int("vcpus", 1 if vcpus is None else vcpus, 1)


def _override(key, value):
    """Check one override; return the value to write."""
    field = f"postgresql_settings.{key}"
    if key in SIZE_KEYS:
        if isinstance(value, str):
            if not SIZE_PATTERN.match(value):
                _fail(field, f"{value!r} is not a size with its unit such as 512MB or 2GB")
            return value
        return f"{_int(field, value, 1)}MB"
    if key in INT_KEYS:
        low, high = MAX_CONNECTIONS_RANGE if key == "max_connections" else (0, 1024)
        return _int(field, value, low, high)
    if value not in WAL_LEVELS:
        _fail(field, f"{value!r} is not one of {', '.join(WAL_LEVELS)}")
    return value


def size_kb(text):
    """kB in a size written as the filter writes it (<n>kB, MB, GB or TB)."""
    number, unit = SIZE_PATTERN.match(text).groups()
    return int(number) * UNIT_KB[unit]


def _shown(kb):
    """A size in kB as the largest whole unit that holds it (for messages)."""
    for unit in ("TB", "GB", "MB"):
        if kb % UNIT_KB[unit] == 0:
            return f"{kb // UNIT_KB[unit]}{unit}"
    return f"{kb}kB"


def _check_bounds(settings, overridden, memory_mb):
    """Refuse an overridden size outside its bounds for this host, naming the key and the range."""
    memory_kb = memory_mb * 1024
    for key in SIZE_KEYS:
        if key not in overridden:
            continue
        low, share, what = SIZE_BOUNDS_KB[key]
        if share is None:
            high = (memory_kb - size_kb(settings["shared_buffers"])) // settings["max_connections"]
        else:
            high = int(memory_mb * share) * 1024
        value = size_kb(settings[key])
        if value < low or value > high:
            _fail(f"postgresql_settings.{key}",
                  f"{overridden[key]!r} is out of range {_shown(low)}-{_shown(max(high, low))} on this host "
                  f"(at most {what}; the host has {memory_mb} MB)")


def unknown_keys(overrides):
    """The keys of overrides that are not settings this filter knows, sorted."""
    return sorted(str(key) for key in (overrides or {}) if key not in KNOWN_KEYS)


def postgresql_settings(facts, max_connections=None, overrides=None):
    """Return the settings for the host these facts describe (the filter)."""
    memory_mb, vcpus = host_resources(facts)
    overrides = {} if overrides is None else overrides
    if not isinstance(overrides, Mapping):
        _fail("overrides", f"expected a dict, got {type(overrides).__name__}")
    unknown = unknown_keys(overrides)
    if unknown:
        _fail("unknown setting", f"{', '.join(unknown)} (known: {', '.join(sorted(KNOWN_KEYS))})")
    checked = {key: _override(key, value) for key, value in overrides.items()}

    connections = MAX_CONNECTIONS if max_connections is None else _int(
        "max_connections", max_connections, *MAX_CONNECTIONS_RANGE)
    connections = checked.get("max_connections", connections)
    shared_mb = min(int(memory_mb * SHARED_BUFFERS_FRACTION), SHARED_BUFFERS_MAX_MB)
    work_mb = (memory_mb - shared_mb) // (WORK_MEM_PER_CONNECTION * connections)
    settings = {
        "shared_buffers": f"{shared_mb}MB",
        "effective_cache_size": f"{int(memory_mb * EFFECTIVE_CACHE_FRACTION)}MB",
        "maintenance_work_mem": f"{min(max(memory_mb // MAINTENANCE_DIVISOR, MAINTENANCE_MIN_MB), MAINTENANCE_MAX_MB)}MB",
        "work_mem": f"{min(max(work_mb, WORK_MEM_MIN_MB), WORK_MEM_MAX_MB)}MB",
        "max_connections": connections,
        "max_parallel_workers": min(vcpus, MAX_PARALLEL_WORKERS),
        "max_parallel_workers_per_gather": min(max(vcpus // 2, 1), MAX_PARALLEL_PER_GATHER),
        "wal_level": "replica",
        "max_wal_senders": MAX_WAL_SENDERS,
    }
    settings.update(checked)
    _check_bounds(settings, {key: overrides[key] for key in checked if key in SIZE_KEYS}, memory_mb)
    return settings


class FilterModule:
    """Filters of webstack.django for PostgreSQL."""

    def filters(self):
        """Map the filter names to their functions."""
        return {"postgresql_settings": postgresql_settings}
