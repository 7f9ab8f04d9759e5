#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: django_migrations_info
short_description: Compare a Django release's migration graph with the migrations applied in its database
version_added: 0.2.0
description:
  - Runs the release's own C(manage.py shell) once and loads Django's migration graph and the
    database's C(django_migrations) table through Django's C(MigrationLoader).
  - Returns the migrations applied in the database that the release does not know (a rollback
    to that release would run code older than the schema) and those the release has but the
    database has not applied. Changes nothing.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  command:
    description:
      - The C(manage.py) invocation of the release, as an argument list, without a subcommand,
        for example C([/srv/demo/bin/manage, --release, 1.0.0]) or
        C([/srv/demo/releases/1.0.0/venv/bin/python, /srv/demo/releases/1.0.0/manage.py]).
      - It must set the app's environment (settings module, database URL) itself.
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    support: full
    description: The module only reads, in check mode too.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
"""

EXAMPLES = r"""
- name: Ask which applied migrations release 1.0.0 does not know
  webstack.django.django_migrations_info:
    command: [/srv/demo/bin/manage, --release, 1.0.0]
  register: __schema

- name: Refuse to roll back past a migration
  ansible.builtin.assert:
    that: __schema.unknown | length == 0
    fail_msg: "Applied migrations unknown to 1.0.0: {{ __schema.unknown | join(', ') }}"
"""

RETURN = r"""
unknown:
  description: Migrations (C(app.name)) applied in the database that the release's graph does not contain, sorted.
  returned: always
  type: list
  elements: str
  sample: ["core.0002_add_price"]
unapplied:
  description: Migrations of the release's graph not applied in the database, sorted.
  returned: always
  type: list
  elements: str
  sample: []
applied:
  description: How many migrations the database records as applied.
  returned: always
  type: int
  sample: 21
"""

import json

from ansible.module_utils.basic import AnsibleModule

MARK = "WEBSTACK-MIGRATIONS "

# Run inside `manage.py shell -c`: Django is set up with the release's settings.
SCRIPT = """
import json
from django.db import connections, DEFAULT_DB_ALIAS
from django.db.migrations.loader import MigrationLoader
loader = MigrationLoader(connections[DEFAULT_DB_ALIAS], ignore_no_migrations=True)
graph = set(loader.graph.nodes)
applied = set(loader.applied_migrations)
replaced = set()
for key, migration in loader.disk_migrations.items():
    replaced.update(migration.replaces or [])
print(%r + json.dumps({
    "unknown": sorted("%%s.%%s" %% key for key in applied - graph - replaced),
    "unapplied": sorted("%%s.%%s" %% key for key in graph - applied),
    "applied": len(applied),
}))
""" % MARK


def parse(stdout):
    """The result line the script printed, as a dict; ValueError when there is none."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    raise ValueError("no result line in the output of manage.py shell")


def main():
    module = AnsibleModule(
        argument_spec=dict(command=dict(type="list", elements="str", required=True)),
        supports_check_mode=True,
    )
    command = module.params["command"]
    if not command:
        module.fail_json(msg="command must not be empty")
    rc, stdout, stderr = module.run_command(command + ["shell", "-c", SCRIPT])
    if rc != 0:
        module.fail_json(msg="manage.py shell failed (rc %d): %s" % (rc, (stderr or stdout).strip()[-2000:]),
                         rc=rc)
    try:
        result = parse(stdout)
    except ValueError as exc:
        module.fail_json(msg="%s: %s" % (exc, stdout.strip()[-2000:]))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
