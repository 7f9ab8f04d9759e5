# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for webstack.django.converge_stamp: one shell command tells whether a role's last converge holds."""

from __future__ import annotations

import os
import posixpath
import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.webstack.django.plugins.module_utils.converge_probe import (
    decide, input_parts, observe_command, observed_digest, parse_observation, stamp_text, tree_digest,
    write_command)

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "probe", "choices": ["probe", "recorded"]},
    "prefix": {"type": "str"},
    "inputs": {"type": "raw", "default": {}},
    "paths": {"type": "list", "elements": "str", "default": []},
    "units": {"type": "list", "elements": "str", "default": []},
    "packages": {"type": "list", "elements": "str", "default": []},
    "shallow": {"type": "list", "elements": "str", "default": []},
    "max_age": {"type": "int", "default": 0},
    "parts": {"type": "dict"},
    "exclude": {"type": "list", "elements": "str", "default": []},
    "stamp_dir": {"type": "str", "default": "/var/lib/webstack/converge"},
}

# The facts a role's output may depend on besides its variables.
FACTS = ("distribution", "distribution_major_version", "distribution_release", "architecture",
         "processor_vcpus", "memtotal_mb", "hostname", "nodename", "fqdn")


class ActionModule(ActionBase):
    """Probe or record a role's converge stamp; the probe changes nothing and runs in check mode."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(ARGUMENT_SPEC)[1]
        role = self._task._role
        if role is None:
            raise AnsibleActionFail("converge_stamp: runs only in a role's tasks (it fingerprints the role)")
        try:
            return self._run(args, role.get_role_path(), result, task_vars or {})
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def _inputs(self, args, task_vars):
        """The role's variables (its prefix), the extra inputs and the facts, templated."""
        prefix = args["prefix"] or args["name"] + "_"
        own = sorted(key for key in task_vars
                     if key.startswith(prefix) and not key.startswith(prefix + "converge_")
                     and key not in args["exclude"])
        facts = task_vars.get("ansible_facts") or {}
        return {
            "vars": {key: self._templar.template(task_vars[key]) for key in own},
            "inputs": args["inputs"],
            "facts": {key: facts.get(key) for key in FACTS},
            "host": task_vars.get("inventory_hostname"),
        }

    def _run(self, args, role_path, result, task_vars):
        # A record keeps the inputs the probe saw at the start of the role, the ones the next
        # probe compares with (the role's tasks may set variables of its own prefix).
        parts = args["parts"]
        if parts is None:
            code = tree_digest(role_path) + tree_digest(os.path.dirname(os.path.dirname(role_path)), ("plugins",))
            try:
                parts = input_parts(code, self._inputs(args, task_vars))
            except Exception as error:  # pylint: disable=broad-exception-caught
                # An input that does not template cannot be compared: the role converges in full.
                result.update(changed=False, current=False, reason=f"the role's inputs could not be read: {error}")
                return result
        stamp_path = posixpath.join(args["stamp_dir"], args["name"] + ".json")
        command = observe_command(stamp_path, args["paths"], args["units"], args["packages"], args["shallow"])
        probe = self._low_level_execute_command(command)
        if probe.get("rc", 1) != 0:
            raise AnsibleActionFail(f"converge_stamp: the observation failed: {probe.get('stderr', '')}".strip())
        try:
            stamp, observed, units = parse_observation(probe.get("stdout", ""))
        except ValueError as error:
            raise AnsibleActionFail(f"converge_stamp: {error}") from error
        digest = observed_digest(observed)
        now = time.time()
        if args["state"] == "probe":
            current, reason = decide(stamp, parts, digest, units, args["units"], args["max_age"], now)
            result.update(changed=False, current=current, reason=reason, stamp=stamp_path, parts=parts)
            return result
        # Recording is bookkeeping: never reported as a change, and not done in check mode.
        result.update(changed=False, current=True, reason="recorded", stamp=stamp_path)
        if self._task.check_mode:
            result["reason"] = "not recorded in check mode"
            return result
        written = self._low_level_execute_command(write_command(stamp_path, stamp_text(parts, digest, now)))
        if written.get("rc", 1) != 0:
            raise AnsibleActionFail(f"converge_stamp: could not write {stamp_path}: {written.get('stderr', '')}".strip())
        return result
