# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for webstack.django.apt_present: probe with dpkg-query, call apt only for what is missing."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.webstack.django.plugins.module_utils.apt_probe import missing_packages, probe_command

ARGUMENT_SPEC = {
    "name": {"type": "list", "elements": "str", "required": True},
    "cache_valid_time": {"type": "int", "default": 3600},
}


class ActionModule(ActionBase):
    """Install Debian packages that are missing, in one apt call; a no-op costs one dpkg-query."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(ARGUMENT_SPEC)[1]
        names, cache_valid_time = args["name"], args["cache_valid_time"]

        try:
            return self._run(names, cache_valid_time, result, task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def _run(self, names, cache_valid_time, result, task_vars):
        command = probe_command(names)
        stdout = ""
        if command:
            probe = self._low_level_execute_command(command)
            if probe.get("rc", 1) != 0:
                raise AnsibleActionFail(f"apt_present: dpkg-query failed: {probe.get('stderr', '')}".strip())
            stdout = probe.get("stdout", "")
        missing = missing_packages(names, stdout)
        result.update(changed=False, missing=missing)
        if not missing:
            result["msg"] = "all packages are installed"
            return result

        # Refreshing stale package lists changes no configuration, so it runs in check mode too:
        # without it a check run on a fresh host could not tell whether the packages exist.
        check_mode = self._task.check_mode
        try:
            self._task.check_mode = False
            update = self._execute_module(module_name="ansible.builtin.apt", task_vars=task_vars,
                                          module_args={"update_cache": True, "cache_valid_time": cache_valid_time})
        finally:
            self._task.check_mode = check_mode
        if update.get("failed"):
            update["missing"] = missing
            return update
        install = self._execute_module(module_name="ansible.builtin.apt", task_vars=task_vars,
                                       module_args={"name": missing, "state": "present"})
        install["missing"] = missing
        return install
