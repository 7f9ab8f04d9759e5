#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the converge_stamp action (the work is done by its action plugin)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: converge_stamp
author:
  - webstack.django maintainers (!UNKNOWN)
version_added: 0.2.0
short_description: Tell in one shell command whether a role's last converge still holds
description:
  - Runs inside a role. Its fingerprint covers the role's files and the collection's plugins,
    every variable whose name starts with O(prefix) (templated), O(inputs) and a few host
    facts (distribution, release, architecture, vCPUs, memory, host names).
  - It observes, in one shell command on the host (no Python module), the stamp the role last
    recorded, every path under O(paths) (type, mode, owner, group, link target, the sha256 of
    each file), the enablement and state of O(units) and the version of O(packages).
  - With O(state=probe) it returns RV(current) true when the stamp has the same fingerprint
    and observed digest, every unit is active and the stamp is younger than O(max_age); it
    changes nothing and runs in check mode.
  - With O(state=recorded) it writes the stamp (root-only, atomically), which is bookkeeping
    and never reported as a change; in check mode it writes nothing.
  - Inputs hold secrets, so no digest of one is ever returned or shown. A stamp keeps keyed
    digests (HMAC-SHA256) only, under a random key made on the host (C(<stamp_dir>/.key),
    root-only, read into the controller's memory only); a probe that finds the
    stamp not holding stages this run's keyed digests beside it (C(<name>.staged)) and
    returns a random token in RV(parts) for the record step. Whatever is written travels on
    the command's standard input, and the commands' output is hidden at every verbosity, as a
    C(no_log) task's is.
options:
  name:
    description: The stamp's name (one per role and host), the file C(<stamp_dir>/<name>.json).
    type: str
    required: true
  state:
    description: Probe the stamp or record it.
    type: str
    choices: [probe, recorded]
    default: probe
  prefix:
    description: Variables whose names start with this are inputs (without C(<prefix>converge_*)). Default C(<name>_).
    type: str
  exclude:
    description: Variables of O(prefix) that are not inputs (the role's own results, set during a run).
    type: list
    elements: str
    default: []
  inputs:
    description: Other values the role's result depends on (a computed plan, for example).
    type: raw
    default: {}
  paths:
    description: Files and directories (walked) whose tree and content the role manages.
    type: list
    elements: str
    default: []
  shallow:
    description: Directories observed with their direct entries only (content sums for the files among them).
    type: list
    elements: str
    default: []
  parts:
    description:
      - With O(state=recorded), what the probe returned as RV(parts); the stamp then keeps the
        inputs the probe staged, as they were when the role started. Computed again when omitted.
      - When the staged inputs are gone (another probe ran since), nothing is recorded and the next
        run converges in full.
    type: dict
  units:
    description: systemd units that must be active, and whose enablement is observed.
    type: list
    elements: str
    default: []
  packages:
    description: Debian packages whose version and status are observed.
    type: list
    elements: str
    default: []
  max_age:
    description: Seconds after which a stamp no longer holds (0 never expires).
    type: int
    default: 0
  stamp_dir:
    description: Where the stamps are kept on the host.
    type: str
    default: /var/lib/webstack/converge
notes:
  - The stamps' key and the staged file are bookkeeping like the stamp itself; a probe that
    makes them still reports no change, and a check run makes neither.
  - State kept inside a service (RabbitMQ users, PostgreSQL roles) is not observed; a stamp's
    O(max_age) bounds how long such drift goes unrepaired.
"""

EXAMPLES = r"""
- name: Probe whether the last converge of nginx holds
  webstack.django.converge_stamp:
    name: nginx
    paths: [/etc/nginx]
    units: [nginx.service]
    packages: [nginx]
  register: __nginx_converge

- name: Record this converge of nginx
  webstack.django.converge_stamp:
    name: nginx
    state: recorded
    paths: [/etc/nginx]
    units: [nginx.service]
    packages: [nginx]
  when: not __nginx_converge.current
"""

RETURN = r"""
current:
  description: Whether the last recorded converge still holds (always true after recording).
  returned: always
  type: bool
  sample: true
reason:
  description: Why it holds or not, for the operator.
  returned: always
  type: str
  sample: the host's files, units or packages changed since the last converge
parts:
  description:
    - A random token naming the inputs this probe staged on the host, for O(state=recorded) to
      record; no value and no digest of one is returned.
  returned: when the last converge does not hold and this is not a check run
  type: dict
  sample: {staged: 5c0f3a9e61d24b7f8e2a4c6d0b1f3e57}
stamp:
  description: The stamp's path on the host.
  returned: when the host was observed
  type: str
  sample: /var/lib/webstack/converge/nginx.json
"""
