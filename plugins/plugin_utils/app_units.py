# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app's own processes and scheduled commands (django_app_processes, django_app_timers):
what an item may hold, the systemd units they become on a host, and whether the processes
passed their gate. One rule, used by the django_app_inputs and django_app_units filters."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.module_utils.build_steps import step_problem
from ansible_collections.webstack.django.plugins.module_utils.systemd_show import show_blocks
from ansible_collections.webstack.django.plugins.plugin_utils.inputs import shown, strict_bool

# A process or timer name: part of its unit's name, <app>-<name>.
UNIT_PART_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
# An inventory group name.
GROUP_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
STOP_SIGNALS = ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH")
# A calendar expression is checked by the host's own systemd-analyze in the preflight; here only
# what could not be one: a line of printable characters.
CALENDAR_RE = re.compile(r"^[A-Za-z0-9 *:/.,~+-]{1,200}$")

PROCESS_DEFAULTS = {"count": 1, "groups": [], "stop_signal": "SIGTERM", "stop_timeout": 30}
TIMER_DEFAULTS = {"groups": [], "every_host": False, "persistent": True, "randomized_delay": 0, "timeout": 3600}
PROCESS_KEYS = ("name", "command") + tuple(PROCESS_DEFAULTS)
TIMER_KEYS = ("name", "command", "on_calendar") + tuple(TIMER_DEFAULTS)
# (minimum, maximum) of each whole-number key.
BOUNDS = {"count": (1, 64), "stop_timeout": (1, 3600), "randomized_delay": (0, 86400), "timeout": (1, 86400)}


def _whole(value):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError
    return int(str(value).strip())


def item_problems(kind, items):
    """One line per problem of django_app_processes or django_app_timers (kind: processes|timers)."""
    variable = f"django_app_{kind}"
    if not isinstance(items, list):
        return [f"{variable}: must be a list of dicts (got {shown(items)})"]
    keys = PROCESS_KEYS if kind == "processes" else TIMER_KEYS
    problems = []
    for index, item in enumerate(items):
        where = f"{variable}[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be a dict ({', '.join(keys)}); got {shown(item)}")
            continue
        unknown = sorted(str(key) for key in item if key not in keys)
        if unknown:
            problems.append(f"{where}: unknown key {', '.join(unknown)} (allowed: {', '.join(keys)})")
        for key in ("name", "command") + (("on_calendar",) if kind == "timers" else ()):
            if key not in item:
                problems.append(f"{where}.{key}: is required")
        name = item.get("name")
        if "name" in item and not (isinstance(name, str) and UNIT_PART_RE.match(name)):
            problems.append(f"{where}.name: {shown(name)} must match {UNIT_PART_RE.pattern} (its unit is <app>-<name>)")
        if "command" in item:
            problem = step_problem(item["command"])
            if problem:
                problems.append(f"{where}.command: {problem}")
        for key, (low, high) in BOUNDS.items():
            if key in item and key in keys:
                try:
                    number = _whole(item[key])
                except ValueError:
                    problems.append(f"{where}.{key}: {shown(item[key])} must be a whole number from {low} to {high}")
                    continue
                if not low <= number <= high:
                    problems.append(f"{where}.{key}: {number} must be from {low} to {high}")
        if "stop_signal" in item and item["stop_signal"] not in STOP_SIGNALS:
            problems.append(f"{where}.stop_signal: {shown(item['stop_signal'])} is not one of {', '.join(STOP_SIGNALS)}")
        if "groups" in item:
            groups = item["groups"]
            if not isinstance(groups, list):
                problems.append(f"{where}.groups: must be a list of inventory group names (got {shown(groups)})")
            else:
                problems.extend(f"{where}.groups[{i}]: {shown(g)} is not a group name"
                                for i, g in enumerate(groups) if not (isinstance(g, str) and GROUP_RE.match(g)))
        for key in ("every_host", "persistent"):
            if key in item and key in keys:
                try:
                    strict_bool(f"{where}.{key}", item[key])
                except AnsibleFilterError as exc:
                    problems.append(exc.message)
        if "on_calendar" in item and kind == "timers":
            calendar = item["on_calendar"]
            if not (isinstance(calendar, str) and CALENDAR_RE.match(calendar)):
                problems.append(f"{where}.on_calendar: {shown(calendar)} is not a systemd calendar expression "
                                "(*-*-* 03:00:00, daily, Mon *-*-* 04:00, *:0/15)")
    return problems


def name_problems(processes, timers, asgi=False):
    """Names used twice among the processes and timers (they share the app's unit names), and
    the ASGI server's when it runs (``asgi``)."""
    seen = {ASGI_NAME: "the ASGI server (django_app_asgi_locations)"} if asgi else {}
    problems = []
    for kind, items in (("processes", processes), ("timers", timers)):
        for index, item in enumerate(items if isinstance(items, list) else []):
            name = item.get("name") if isinstance(item, Mapping) else None
            if not isinstance(name, str):
                continue
            where = f"django_app_{kind}[{index}].name"
            if name in seen:
                problems.append(f"{where}: {name!r} is already the name of {seen[name]} (each process and timer "
                                "of the app needs a name of its own)")
            else:
                seen[name] = where.rsplit(".", 1)[0]
    return problems


def exec_line(args):
    """A systemd ExecStart= command line of ``args``: each word double-quoted, with systemd's
    specifiers (%) and variable expansion ($) escaped, so every argument reaches the program as
    written."""
    def word(arg):
        text = str(arg).replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
        return f'"{text}"'
    return " ".join(word(arg) for arg in args)


def _argv(root, command):
    venv_bin = f"{root}/current/venv/bin"
    if command[0] == "manage.py":
        return [f"{venv_bin}/python", "manage.py"] + list(command[1:])
    return [f"{venv_bin}/{command[0]}"] + list(command[1:])


def _hosts_of(item, groups, play_hosts):
    """The hosts an item runs on, in inventory order: its groups' hosts, or the play's."""
    names = item.get("groups") or []
    if not names:
        return list(play_hosts)
    hosts = []
    for name in names:
        for host in groups.get(name, []):
            if host not in hosts:
                hosts.append(host)
    return hosts


# The ASGI server: its process's name among the app's, and how it runs (uvicorn: it takes its
# listening socket from systemd, so a restart refuses no connection; the role's README says why uvicorn).
ASGI_NAME = "asgi"
ASGI_SERVER = "uvicorn"


def asgi_argv(module, workers, stop_timeout):
    """The ASGI server's command line (its venv executable first): the socket systemd passes as
    file descriptor 3, ``workers`` processes, nginx's forwarded headers trusted (only nginx can
    reach the socket), no access log (nginx keeps one), and a graceful shutdown shorter than
    systemd's stop timeout."""
    return [ASGI_SERVER, "--fd", "3", "--workers", str(workers), "--lifespan", "off", "--no-server-header",
            "--no-access-log", "--proxy-headers", "--forwarded-allow-ips", "*",
            "--timeout-graceful-shutdown", str(max(1, stop_timeout - 5)), module]


ASGI_LOCATION_RE = re.compile(r"^/[A-Za-z0-9._~/-]*$")
ASGI_WORKERS = (0, 64)


def asgi_problems(locations, workers, groups):
    """One line per problem of the ASGI inputs (django_app_asgi_locations, _workers, _groups)."""
    problems = []
    if not isinstance(locations, list):
        problems.append(f"django_app_asgi_locations: must be a list of URL prefixes such as /ws/ (got {shown(locations)})")
    else:
        for index, location in enumerate(locations):
            where = f"django_app_asgi_locations[{index}]"
            if not (isinstance(location, str) and ASGI_LOCATION_RE.match(location)) or "//" in str(location) \
                    or "/../" in f"{location}/" or "/./" in f"{location}/":
                problems.append(f"{where}: {shown(location)} is not a URL prefix (/ws/, /async/): "
                                "a / then letters, digits and ._~-/")
            elif location == "/":
                problems.append(f"{where}: / is the WSGI app's (uWSGI); name the prefixes the ASGI server answers")
            elif location in locations[:index]:
                problems.append(f"{where}: {location} is listed twice")
    low, high = ASGI_WORKERS
    try:
        number = _whole(workers)
        if not low <= number <= high:
            problems.append(f"django_app_asgi_workers: {number} must be from {low} (one per vCPU) to {high}")
    except ValueError:
        problems.append(f"django_app_asgi_workers: {shown(workers)} must be a whole number from {low} (one per vCPU) "
                        f"to {high}")
    if not isinstance(groups, list):
        problems.append(f"django_app_asgi_groups: must be a list of inventory group names (got {shown(groups)})")
    else:
        problems.extend(f"django_app_asgi_groups[{i}]: {shown(g)} is not a group name"
                        for i, g in enumerate(groups) if not (isinstance(g, str) and GROUP_RE.match(g)))
    return problems


def _asgi_process(asgi, app, root):
    unit = f"{app}-{ASGI_NAME}"
    stop_timeout = PROCESS_DEFAULTS["stop_timeout"]
    workers = _whole(asgi["workers"])
    command = asgi_argv(asgi["module"], workers, stop_timeout)
    return {
        "name": ASGI_NAME, "variable": "django_app_asgi_locations", "file": f"{unit}@.service", "unit": unit,
        "instances": [f"{unit}@1.service"], "exec": exec_line(_argv(root, command)), "command": command,
        "stop_signal": "SIGTERM", "stop_timeout": stop_timeout,
        "socket": {"file": f"{unit}.socket", "path": asgi["socket"]}, "workers": workers,
    }


def units(processes, timers, app, root, host, groups, play_hosts, asgi=None):
    """The units the app's processes and timers need on ``host``.

    A process runs on every host of its groups (default: every host of the play); a timer on
    the first of them (inventory order) unless ``every_host``. With ``asgi`` (``locations``,
    ``module``, ``workers``, ``groups``, ``socket``) and locations in it, the ASGI server is one
    more process, on the hosts of its groups, started by its socket unit. Returns ``files``
    (unit file names), ``processes`` and ``timers`` (what each unit is made of), ``instances``
    (the process instances to run) and ``sockets`` (socket units)."""
    result = {"files": [], "processes": [], "timers": [], "instances": [], "sockets": []}
    if asgi and asgi.get("locations") and host in _hosts_of(asgi, groups, play_hosts):
        process = _asgi_process(asgi, app, root)
        result["processes"].append(process)
        result["files"].extend([process["file"], process["socket"]["file"]])
        result["instances"].extend(process["instances"])
        result["sockets"].append(process["socket"]["file"])
    for index, item in enumerate(processes):
        spec = dict(PROCESS_DEFAULTS, **item)
        if host not in _hosts_of(spec, groups, play_hosts):
            continue
        unit = f"{app}-{spec['name']}"
        count = _whole(spec["count"])
        instances = [f"{unit}@{n}.service" for n in range(1, count + 1)]
        result["processes"].append({
            "name": spec["name"], "variable": f"django_app_processes[{index}]",
            "file": f"{unit}@.service", "unit": unit, "instances": instances,
            "exec": exec_line(_argv(root, spec["command"])), "command": list(spec["command"]),
            "stop_signal": spec["stop_signal"], "stop_timeout": _whole(spec["stop_timeout"]),
        })
        result["files"].append(f"{unit}@.service")
        result["instances"].extend(instances)
    for index, item in enumerate(timers):
        spec = dict(TIMER_DEFAULTS, **item)
        hosts = _hosts_of(spec, groups, play_hosts)
        every = strict_bool("every_host", spec["every_host"])
        if host not in (hosts if every else hosts[:1]):
            continue
        unit = f"{app}-{spec['name']}"
        result["timers"].append({
            "name": spec["name"], "variable": f"django_app_timers[{index}]", "service": f"{unit}.service", "timer": f"{unit}.timer", "unit": unit,
            "exec": exec_line(_argv(root, spec["command"])), "command": list(spec["command"]),
            "on_calendar": spec["on_calendar"], "persistent": strict_bool("persistent", spec["persistent"]),
            "randomized_delay": _whole(spec["randomized_delay"]), "timeout": _whole(spec["timeout"]),
        })
        result["files"].extend([f"{unit}.service", f"{unit}.timer"])
    result["summary"] = ", ".join(
        [f"{p['name']} ({ASGI_SERVER}, {p['workers']} workers)" if p.get("socket") else f"{p['name']} x {len(p['instances'])}"
         for p in result["processes"]]
        + [f"{t['name']} at {t['on_calendar']}" for t in result["timers"]]) or "none"
    return result


def stale(result, found, enabled):
    """What the host has of the app but the inventory no longer lists: ``files``, the unit files
    the role wrote (``found``, their names) that are not wanted; ``units``, what to stop and
    disable first: the enabled process instances (``enabled``, names of the links in
    multi-user.target.wants) of the role's templates that are not wanted, and the timers and
    timer services of the unwanted files."""
    wanted = set(result["files"])
    found = [name for name in found if name not in wanted]
    ours = set(found) | wanted
    units_ = [name for name in enabled
              if re.sub(r"@[^@]*\.service$", "@.service", name) in ours and name not in result["instances"]]
    units_ += [name for name in found if not name.endswith("@.service")]
    return {"files": sorted(found), "units": sorted(set(units_))}


def missing_commands(processes, timers, commands, executables, asgi=False):
    """The items whose command the release cannot run: a manage.py command it does not have
    (``commands``, from Django's registry) or an executable not in its venv/bin; and the ASGI
    server, when it runs (``asgi``), among the executables."""
    problems = []
    if asgi and ASGI_SERVER not in executables:
        problems.append(f"django_app_asgi_locations: the release's venv/bin has no {ASGI_SERVER}, the ASGI server "
                        f"(add {ASGI_SERVER} to the project's requirements, and websockets for websocket routes)")
    for kind, items in (("processes", processes), ("timers", timers)):
        for index, item in enumerate(items):
            command = item["command"]
            where = f"django_app_{kind}[{index}].command"
            if command[0] == "manage.py" and command[1] not in commands:
                problems.append(f"{where}: the release has no management command {command[1]!r}")
            elif command[0] != "manage.py" and command[0] not in executables:
                problems.append(f"{where}: the release's venv/bin has no executable {command[0]!r}")
    return problems


def _restarts(fields):
    try:
        return int(fields.get("NRestarts") or 0)
    except ValueError:
        return 0


def gate_problems(show_output, instances, before_output=""):
    """Why the process instances did not pass their gate, from ``systemctl show
    --property=Id,ActiveState,SubState,NRestarts,Result`` of them some seconds after their start
    (``show_output``) and right after it (``before_output``): each must be active, and systemd
    must not have restarted it in between (its NRestarts counts every automatic restart since
    the unit was loaded; a manual restart does not reset it)."""
    after, before = show_blocks(str(show_output).splitlines()), show_blocks(str(before_output).splitlines())
    problems = []
    for instance in instances:
        fields = after.get(instance)
        if fields is None:
            problems.append(f"{instance} is not known to systemd")
            continue
        restarts = _restarts(fields) - _restarts(before.get(instance, {}))
        if fields.get("ActiveState") != "active" or restarts > 0:
            problems.append(f"{instance} is {fields.get('ActiveState', '?')} ({fields.get('SubState', '?')}, "
                            f"result {fields.get('Result', '?')}, restarted {restarts} times by systemd)")
    return problems
