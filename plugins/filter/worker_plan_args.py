# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn a host's inventory settings into the arguments of webstack.django.worker_counts."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: worker_plan_args
author: webstack.django maintainers
version_added: 0.1.0
short_description: The worker_counts arguments of a host, from its groups and inventory settings
description:
  - Used by the playbooks (C(playbooks/tasks/worker_plan.yml)) to compute each host's one worker
    plan. Takes the plan's inputs as the inventory gives them and returns the keyword arguments
    of C(webstack.django.worker_counts), without the unset (null) ones, so that worker_counts'
    defaults apply.
  - What runs on the host comes from its groups (I(_input)'s C(runs)). Web is uWSGI
    (C(web=true)), worker is Celery (C(celery=true)), broker keeps RabbitMQ's memory and db
    PostgreSQL's (C(colocated)), lb is nginx only. A host in none of them is planned as a web
    host, as the uwsgi role alone sizes it.
  - The roles' explicit worker settings (C(uwsgi_processes), C(uwsgi_threads),
    C(uwsgi_harakiri), C(celery_concurrency)) become plan overrides, so that what follows from
    them follows (nginx's read timeout from C(uwsgi_harakiri), the memory and database budgets).
    Only whole numbers of at least 1 are taken; anything else is left to the role's own checks,
    which refuse it naming the variable before any change. Overrides given in the input's
    C(overrides) win over them.
positional: explicit
options:
  _input:
    description:
      - Keyword arguments of C(webstack.django.worker_counts); null values are dropped.
      - And C(runs), the host's groups as C({web, worker, broker, db, lb}) booleans, which set
        C(web) and C(celery) and add to C(colocated).
    type: dict
    required: true
  explicit:
    description: "The roles' explicit settings by variable name, e.g. C({uwsgi_processes: 4}); null values are ignored."
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Compute this host's worker plan
  ansible.builtin.set_fact:
    webstack_plan: >-
      {{ ansible_facts | webstack.django.worker_counts(**({'runs': {'web': true}, 'profile': none}
         | webstack.django.worker_plan_args({'uwsgi_harakiri': 120}))) }}
"""

RETURN = r"""
_value:
  description: "The arguments, e.g. C({web: true, celery: false, colocated: [], overrides: {uwsgi: {harakiri: 120}}})."
  type: dict
"""

# Inventory variable: (worker_counts overrides section, key).
EXPLICIT = {
    "uwsgi_processes": ("uwsgi", "processes"),
    "uwsgi_threads": ("uwsgi", "threads"),
    "uwsgi_harakiri": ("uwsgi", "harakiri"),
    "celery_concurrency": ("celery", "concurrency"),
}
WHOLE = re.compile(r"^[1-9][0-9]{0,8}$")
GROUPS = ("web", "worker", "broker", "db", "lb")
# The memory a group's service keeps on the host (worker_counts' colocated names).
GROUP_SERVICES = {"broker": "rabbitmq", "db": "postgresql"}


def _runs(runs, colocated):
    """Return (web, celery, colocated) for a host in these groups."""
    if not isinstance(runs, Mapping) or set(runs) - set(GROUPS):
        raise AnsibleFilterError(f"worker_plan_args: runs must be a dict of {', '.join(GROUPS)} booleans, got {runs!r}")
    flags = {group: bool(runs.get(group)) for group in GROUPS}
    if isinstance(colocated, str):
        colocated = [colocated]
    if not isinstance(colocated, (list, tuple)):
        raise AnsibleFilterError("worker_plan_args: colocated (webstack_colocated) must be a list of service names")
    services = [GROUP_SERVICES[group] for group in GROUP_SERVICES if flags[group]]
    services += [name for name in colocated if name not in services]
    return flags["web"] or not any(flags.values()), flags["worker"], services


def worker_plan_args(args, explicit=None):
    """Return args without null values, the well-formed explicit settings added as overrides."""
    if not isinstance(args, Mapping):
        raise AnsibleFilterError(f"worker_plan_args: expects a dict of worker_counts arguments, got {type(args).__name__}")
    result = {key: value for key, value in args.items() if value is not None}
    if "runs" in result:
        result["web"], result["celery"], result["colocated"] = _runs(result.pop("runs"), result.get("colocated") or [])
    given = result.get("overrides") or {}
    if not isinstance(given, Mapping):
        raise AnsibleFilterError("worker_plan_args: overrides (webstack_worker_overrides) must be a dict of sections")
    overrides = {}
    for name, value in (explicit or {}).items():
        if name not in EXPLICIT:
            raise AnsibleFilterError(f"worker_plan_args: unknown explicit setting {name!r}; known: {', '.join(EXPLICIT)}")
        if value is None or isinstance(value, bool) or not WHOLE.match(str(value)):
            continue
        section, key = EXPLICIT[name]
        overrides.setdefault(section, {})[key] = int(value)
    for section, values in given.items():
        overrides[section] = dict(overrides.get(section, {}), **(values or {}))
    if overrides:
        result["overrides"] = overrides
    else:
        result.pop("overrides", None)
    return result


class FilterModule:
    """Filters of webstack.django for the worker plan's inputs."""

    def filters(self):
        """Map the filter names to their functions."""
        return {"worker_plan_args": worker_plan_args}
