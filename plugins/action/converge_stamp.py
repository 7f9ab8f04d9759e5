# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for webstack.django.converge_stamp: one shell command tells whether a role's last converge holds."""

from __future__ import annotations

import os
import posixpath
import secrets
import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.webstack.django.plugins.module_utils.converge_probe import (
    decide, input_parts, keyed_parts, observe_command, observed_digest, parse_observation, staged_path,
    staged_text, stamp_text, tree_digest, write_command)

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
    """Probe or record a role's converge stamp; the probe changes nothing the role manages and runs in check mode.

    Nothing derived from an input leaves this plugin: the result holds a decision, a reason that
    names inputs (never values or digests), the stamp's path and a random token; the commands it
    runs carry what they write on standard input, and their output is hidden like a no_log
    task's (the ssh connection prints a command's output at -vvv otherwise).
    """

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

    def _parts(self, args, role_path, task_vars):
        """This run's plain input digests (in memory only), or (None, why) when an input does not template."""
        code = tree_digest(role_path) + tree_digest(os.path.dirname(os.path.dirname(role_path)), ("plugins",))
        try:
            return input_parts(code, self._inputs(args, task_vars)), None
        except Exception as error:  # pylint: disable=broad-exception-caught
            # The error's text may quote a value: only its kind is reported.
            return None, f"the role's inputs could not be read ({type(error).__name__})"

    def _private(self, command, in_data=None):
        """Run command on the host as a no_log task would: its output (the stamps' key among it)
        and its input are never displayed, at any verbosity."""
        no_log = self._play_context.no_log
        self._play_context.no_log = True
        try:
            return self._low_level_execute_command(command, in_data=in_data)
        finally:
            self._play_context.no_log = no_log

    def _observe(self, args, stamp_path, create_key):
        probe = self._private(observe_command(stamp_path, args["paths"], args["units"], args["packages"],
                                              args["shallow"], create_key=create_key))
        if probe.get("rc", 1) != 0:
            raise AnsibleActionFail(f"converge_stamp: the observation failed: {probe.get('stderr', '')}".strip())
        try:
            return parse_observation(probe.get("stdout", ""))
        except ValueError as error:
            raise AnsibleActionFail(f"converge_stamp: {error}") from error

    def _write(self, path, text, remove=()):
        written = self._private(write_command(path, remove), in_data=(text + "\n").encode())
        if written.get("rc", 1) != 0:
            raise AnsibleActionFail(f"converge_stamp: could not write {path}: {written.get('stderr', '')}".strip())

    def _run(self, args, role_path, result, task_vars):
        stamp_path = posixpath.join(args["stamp_dir"], args["name"] + ".json")
        if args["state"] == "probe":
            return self._probe(args, role_path, result, task_vars, stamp_path)
        return self._record(args, role_path, result, task_vars, stamp_path)

    def _probe(self, args, role_path, result, task_vars, stamp_path):
        # The inputs the record step compares with are the ones seen here, at the start of the
        # role (its tasks may set variables of its own prefix): they are staged on the host,
        # keyed, and the result carries only a random token naming them.
        parts, why = self._parts(args, role_path, task_vars)
        if parts is None:
            result.update(changed=False, current=False, reason=why)
            return result
        check_mode = bool(self._task.check_mode)
        stamp, observed, units, private = self._observe(args, stamp_path, create_key=not check_mode)
        key = private["key"]
        if key is None and not check_mode:
            raise AnsibleActionFail(f"converge_stamp: no key could be made beside {stamp_path}")
        if key is None:
            current, reason = False, "no stamp of an earlier converge"
        else:
            parts = keyed_parts(key, parts)
            current, reason = decide(stamp, parts, observed_digest(observed, key), units, args["units"],
                                     args["max_age"], time.time())
        result.update(changed=False, current=current, reason=reason, stamp=stamp_path)
        if not current and not check_mode:
            token = secrets.token_hex(16)
            self._write(staged_path(stamp_path), staged_text(token, parts))
            result["parts"] = {"staged": token}
        return result

    def _record(self, args, role_path, result, task_vars, stamp_path):
        # Recording is bookkeeping: never reported as a change, and not done in check mode.
        result.update(changed=False, current=True, reason="recorded", stamp=stamp_path)
        if self._task.check_mode:
            result["reason"] = "not recorded in check mode"
            return result
        _stamp, observed, _units, private = self._observe(args, stamp_path, create_key=True)
        key = private["key"]
        if key is None:
            raise AnsibleActionFail(f"converge_stamp: no key could be made beside {stamp_path}")
        if args["parts"] is not None:
            staged = private["staged"] or {}
            if not staged.get("token") or staged.get("token") != args["parts"].get("staged"):
                result.update(current=False, reason="not recorded: the inputs its probe staged are gone")
                return result
            parts = staged.get("parts") or {}
        else:
            plain, why = self._parts(args, role_path, task_vars)
            if plain is None:
                result.update(current=False, reason=f"not recorded: {why}")
                return result
            parts = keyed_parts(key, plain)
        self._write(stamp_path, stamp_text(parts, observed_digest(observed, key), time.time()),
                    remove=[staged_path(stamp_path)])
        return result
