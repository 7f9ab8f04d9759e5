# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The systemd units of the django_app role's processes and timers on one host."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.plugin_utils.app_units import (
    asgi_problems,
    item_problems,
    missing_commands,
    stale,
    units,
)

DOCUMENTATION = r"""
name: django_app_units
author: webstack.django maintainers
version_added: 0.1.0
short_description: The systemd units of an app's processes and timers on one host
description:
  - >-
    Takes C(django_app_processes) and returns the units they and C(timers) (C(django_app_timers))
    need on O(host). A process runs on every host of its C(groups) (default every host of the
    play, O(play_hosts)) as C(count) instances of the template unit C(<app>-<name>@.service); a
    timer C(<app>-<name>.timer) and its service run on the first host of its groups (inventory
    order) unless C(every_host).
  - >-
    Each unit runs the command in the live release (C(<root>/current)): C(manage.py) with the
    release's Python, or an executable of its venv/bin. The command line is quoted for systemd
    (C(%) and C($) escaped), so each argument arrives as written.
  - >-
    With O(commands) and O(executables) (what a release's probe found), the result also has
    C(missing), one line per command the release cannot run, naming its variable.
  - >-
    The inputs are checked by the role's preflight (C(django_app_inputs)); bad ones given here
    fail with the same lines, naming the variable.
positional: timers, app, root, host, groups, play_hosts
options:
  _input:
    description: The processes (C(django_app_processes)).
    type: list
    elements: dict
    required: true
  timers:
    description: The scheduled commands (C(django_app_timers)).
    type: list
    elements: dict
    required: true
  app:
    description: The app's name (C(django_app_name)), the first part of every unit name.
    type: str
    required: true
  root:
    description: The app's root (C(django_app_root)).
    type: str
    required: true
  host:
    description: The host the units are for (C(inventory_hostname)).
    type: str
    required: true
  groups:
    description: The inventory's groups (C(groups)).
    type: dict
    required: true
  play_hosts:
    description: The hosts of the play (C(ansible_play_hosts_all)), for items that name no group.
    type: list
    elements: str
    required: true
  commands:
    description: The management commands a release has (from its probe).
    type: list
    elements: str
  executables:
    description: The executables in a release's venv/bin (from its probe).
    type: list
    elements: str
  found:
    description: >-
      The names of the unit files in /etc/systemd/system that carry the role's marker for the app;
      with it the result has C(stale).
    type: list
    elements: str
  enabled:
    description: The names of the links in /etc/systemd/system/multi-user.target.wants of the app's units.
    type: list
    elements: str
  asgi:
    description: >-
      The ASGI server: C(locations) (C(django_app_asgi_locations); none, no server), C(module) (the
      ASGI application, C(module:callable)), C(workers) (at least 1), C(groups) and C(socket) (its path).
    type: dict
"""

EXAMPLES = r"""
- name: Write the process units
  ansible.builtin.template:
    src: process.service.j2
    dest: "/etc/systemd/system/{{ item.file }}"
    mode: "0644"
  loop: "{{ __units.processes }}"
  vars:
    __units: >-
      {{ django_app_processes | webstack.django.django_app_units(django_app_timers, django_app_name,
           django_app_root, inventory_hostname, groups, ansible_play_hosts_all) }}
"""

RETURN = r"""
_value:
  description:
    - C(files), the unit file names; C(instances), the process instances to run
      (C(<app>-<name>@<n>.service)); C(processes), each with C(name), C(file), C(unit),
      C(instances), C(exec), C(command), C(stop_signal), C(stop_timeout) (and the ASGI server's
      C(socket), C(file) and C(path)); C(sockets), the socket units; C(timers), each with
      C(name), C(service), C(timer), C(unit), C(exec), C(command), C(on_calendar), C(persistent),
      C(randomized_delay), C(timeout) (each item also has C(variable), the inventory entry it comes
      from); C(summary), one line of what the host runs (C(mailer x 2, cleanup at daily), or
      C(none)); with O(commands), C(missing); with O(found), C(stale) - C(files) to remove and
      C(units) to stop and disable first.
  type: dict
"""


def django_app_units(processes, timers, app, root, host, groups, play_hosts, commands=None, executables=None,
                     found=None, enabled=None, asgi=None):
    """The units of the app's processes and timers on ``host``."""
    asgi = dict(asgi or {})
    problems = item_problems("processes", processes) + item_problems("timers", timers)
    if asgi.get("locations"):
        problems += asgi_problems(asgi["locations"], asgi.get("workers", 1), asgi.get("groups", []))
        if not asgi.get("socket"):
            problems.append("asgi: needs a socket")
    if problems:
        raise AnsibleFilterError("django_app_units: " + "; ".join(problems))
    result = units(processes, timers, app, root, host, dict(groups), list(play_hosts), asgi)
    if commands is not None:
        result["missing"] = missing_commands(processes, timers, set(commands), set(executables or []),
                                             asgi=bool(result["sockets"]))
    if found is not None:
        result["stale"] = stale(result, list(found), list(enabled or []))
    return result


class FilterModule:
    """Filters of webstack.django for the django_app role."""

    def filters(self):
        return {"django_app_units": django_app_units}
