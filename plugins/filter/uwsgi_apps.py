# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate the uWSGI app definitions of the webstack.django.uwsgi role and size them from the plan."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.webstack.django.plugins.plugin_utils.inputs import shown, system_account_problem

display = Display()

DOCUMENTATION = r"""
name: uwsgi_apps
author: webstack.django maintainers
version_added: 0.1.0
short_description: Validate uWSGI app definitions and fill in their defaults and worker settings
description:
  - Takes the apps given to the C(webstack.django.uwsgi) role and returns them with every key
    filled in, ready for the ini and unit templates.
  - Checks what the role's argument specification cannot express (name syntax, absolute paths,
    socket location, process counts of at least 1, option names) and raises an error naming the
    variable and the item, so bad input fails before the host is touched.
  - With a worker plan (C(webstack.django.worker_counts)), adds C(settings), the plan's C(uwsgi)
    section with the role-wide explicit values and then the app's C(overrides) applied, C(listen)
    clamped to O(somaxconn). C(thunder_lock) is turned off for multi-threaded workers unless set
    explicitly, because threads waiting on that lock cannot be cancelled and a graceful (chain)
    reload of an idle worker would wait for traffic.
positional: extra_apps
options:
  _input:
    description: The apps, as in C(uwsgi_apps).
    type: list
    elements: dict
    required: true
  extra_apps:
    description: More apps, as in C(uwsgi_extra_apps); reported under that name.
    type: list
    elements: dict
    default: []
  plan:
    description: Worker plan of the host; without it only validation and defaults are done (C(settings) is null).
    type: dict
  overrides:
    description: Role-wide explicit values (C(processes), C(threads), C(listen), C(harakiri)); null values are ignored.
    type: dict
    default: {}
  somaxconn:
    description: The host's usable C(net.core.somaxconn); C(listen) is clamped to it.
    type: int
  socket_group:
    description: Default group of the unix sockets (the web server's).
    type: str
    default: www-data
  socket_mode:
    description: Mode of the unix sockets.
    type: str
    default: "0660"
  install:
    description: Default of each app's C(install).
    type: bool
    default: true
  runtime_root:
    description: Directory under which each app gets its runtime directory.
    type: str
    default: /run/uwsgi
  config_dir:
    description: Directory of the ini files.
    type: str
    default: /etc/uwsgi
  options:
    description: More uWSGI options for every app (C(uwsgi_options)); an app's own C(options) win.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Validate the apps
  ansible.builtin.set_fact:
    __uwsgi_apps: "{{ uwsgi_apps | webstack.django.uwsgi_apps(uwsgi_extra_apps) }}"

- name: Size the apps from the host's plan
  ansible.builtin.set_fact:
    __uwsgi_apps: >-
      {{ uwsgi_apps | webstack.django.uwsgi_apps(uwsgi_extra_apps,
           plan=ansible_facts | webstack.django.worker_counts, somaxconn=4096) }}
"""

RETURN = r"""
_value:
  description:
    - The apps with every key present, plus C(service) (unit name), C(ini), C(runtime_dir),
      C(stats), C(master_fifo), C(unix_socket) (bool), C(upstream) (for an nginx upstream) and
      C(settings) (worker settings, null without a plan).
  type: list
  elements: dict
"""

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ACCOUNT_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\$?$")
MODULE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_.]*)?$")
TCP_RE = re.compile(r"^(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9_.-]*):(\d+)$")
ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
OPTION_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MODE_RE = re.compile(r"^0?[0-7]{3}$")

APP_KEYS = {
    "name", "state", "venv", "chdir", "module", "user", "group", "env_file", "environment",
    "socket", "socket_group", "install", "installer", "overrides", "options",
}
# Who installs uWSGI into an app's venv: the venv's own pip, or the collection's uv (a venv
# made for uv, as the django_app role makes a release's, has no pip).
INSTALLERS = ("pip", "uv")
DAY = 86400
INT_SETTINGS = {
    # key: (minimum, maximum). The maxima keep uWSGI able to start and are documented in the
    # role's README: beyond them a value is a typo, not a plan.
    "processes": (1, 1024), "threads": (1, 256), "listen": (1, 65535), "harakiri": (0, DAY),
    "max_requests": (0, 10_000_000), "max_requests_delta": (0, 1_000_000),
    "max_worker_lifetime": (0, 31 * DAY), "max_worker_lifetime_delta": (0, DAY),
    "reload_on_rss": (0, 1_048_576), "cheaper": (0, 1024), "cheaper_initial": (1, 1024),
    "cheaper_step": (1, 1024),
}
BOOL_SETTINGS = {"enable_threads", "thunder_lock"}
STR_SETTINGS = {"cheaper_algo"}
SETTINGS = set(INT_SETTINGS) | BOOL_SETTINGS | STR_SETTINGS
REQUIRED_PLAN = ("processes", "threads", "listen", "harakiri", "max_requests")
ROLE_OVERRIDES = ("processes", "threads", "listen", "harakiri")
# ini options the role writes itself: set them through the app's keys or overrides instead.
MANAGED_OPTIONS = {
    "master", "strict", "need-app", "die-on-term", "vacuum", "lazy-apps", "lazy", "chdir",
    "pythonpath", "home", "virtualenv", "venv", "module", "wsgi", "socket", "uwsgi-socket",
    "http-socket", "chmod-socket", "chown-socket", "stats", "master-fifo", "uid", "gid",
    "daemonize", "pidfile", "hook-pre-app", "buffer-size", "worker-reload-mercy",
} | {key.replace("_", "-") for key in SETTINGS}


def _fail(where, msg):
    raise AnsibleFilterError(f"{where}: {msg}")


def _int(where, value, minimum, maximum=None):
    if isinstance(value, bool):
        _fail(where, f"{value!r} is not a whole number")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        _fail(where, f"{value!r} is not a whole number")
    if number < minimum:
        _fail(where, f"{number} must be at least {minimum}")
    if maximum is not None and number > maximum:
        _fail(where, f"{number} is above the maximum {maximum}")
    return number


def _bool(where, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    _fail(where, f"{value!r} is not a boolean")


def _abs(where, value):
    if not isinstance(value, str) or not value.startswith("/") or posixpath.normpath(value) != value.rstrip("/") \
            or re.search(r"\s", value):
        _fail(where, f"{value!r} must be an absolute, normalised path without spaces")
    return value.rstrip("/") or "/"


def _setting(where, key, value):
    if key in INT_SETTINGS:
        return _int(where, value, *INT_SETTINGS[key])
    if key in BOOL_SETTINGS:
        return _bool(where, value)
    if value is not None and not isinstance(value, str):
        _fail(where, f"{value!r} must be a string")
    return value


def _overrides(where, values, skip_null=False):
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        _fail(where, "must be a dict of worker settings")
    result = {}
    for key, value in values.items():
        if key not in SETTINGS:
            _fail(f"{where}.{key}", f"unknown setting; allowed: {', '.join(sorted(SETTINGS))}")
        if value is None and skip_null:
            continue
        result[key] = _setting(f"{where}.{key}", key, value)
    return result


def _options(where, values):
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        _fail(where, "must be a dict of uWSGI option names to values")
    result = {}
    for key, value in values.items():
        if not isinstance(key, str) or not OPTION_RE.match(key):
            _fail(f"{where}.{key}", "is not a uWSGI option name (lowercase words joined by -)")
        if key in MANAGED_OPTIONS:
            _fail(f"{where}.{key}", "is set by the role; use the app's keys or overrides")
        items = value if isinstance(value, list) else [value]
        lines = []
        for item in items:
            if isinstance(item, bool):
                item = "true" if item else "false"
            if isinstance(item, (dict, list)) or item is None or "\n" in str(item):
                _fail(f"{where}.{key}", f"{item!r} must be a single-line scalar or a list of them")
            lines.append(str(item))
        result[key] = lines
    return result


def _environment(where, values):
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        _fail(where, "must be a dict of variable names to values")
    result = {}
    for key, value in values.items():
        if not isinstance(key, str) or not ENV_RE.match(key):
            _fail(f"{where}.{key}", "is not a valid environment variable name")
        if isinstance(value, (dict, list)) or value is None or re.search(r"[\x00-\x1f\x7f\"\\]", str(value)):
            _fail(f"{where}.{key}", "must be a single-line scalar without quotes, backslashes or control characters")
        result[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return result


def _socket(where, value, name, runtime_root):
    runtime_dir = f"{runtime_root}/{name}"
    if value is None:
        return f"{runtime_dir}/uwsgi.sock", True
    if not isinstance(value, str):
        _fail(where, f"{value!r} must be a path or host:port")
    if value.startswith("/"):
        _abs(where, value)
        if posixpath.dirname(value) != runtime_dir:
            _fail(where, f"{value!r} must be in the app's runtime directory {runtime_dir}/ "
                         "(systemd creates it for the app user), or host:port")
        return value, True
    match = TCP_RE.match(value)
    if not match or not 1 <= int(match.group(2)) <= 65535:
        _fail(where, f"{value!r} is neither an absolute unix socket path nor host:port")
    return value, False


def _plan_uwsgi(plan):
    if not isinstance(plan, Mapping) or not isinstance(plan.get("uwsgi"), Mapping):
        _fail("uwsgi_worker_plan", "must be a plan from webstack.django.worker_counts (with a uwsgi section)")
    section = plan["uwsgi"]
    for key in REQUIRED_PLAN:
        if section.get(key) is None:
            _fail(f"uwsgi_worker_plan.uwsgi.{key}", "is missing")
    return {key: _setting(f"uwsgi_worker_plan.uwsgi.{key}", key, value)
            for key, value in section.items() if key in SETTINGS and value is not None}


def _settings(where, base, role, app, somaxconn):
    settings = dict(base)
    settings.update(role)
    settings.update(app)
    settings.setdefault("enable_threads", True)
    settings.setdefault("thunder_lock", False)
    for key in ("max_requests_delta", "max_worker_lifetime", "max_worker_lifetime_delta", "reload_on_rss"):
        settings.setdefault(key, 0)
    if settings["threads"] > 1 and "thunder_lock" not in app:
        settings["thunder_lock"] = False
    explicit_cheaper = "cheaper" in app
    cheaper = settings.get("cheaper") or 0
    if cheaper >= settings["processes"]:
        if explicit_cheaper:
            _fail(f"{where}.overrides.cheaper", f"{cheaper} must be below processes ({settings['processes']})")
        cheaper = 0
    settings["cheaper"] = cheaper
    if not cheaper:
        settings.update(cheaper_algo=None, cheaper_initial=None, cheaper_step=None)
    else:
        settings.setdefault("cheaper_algo", "busyness")
        initial = settings.get("cheaper_initial") or cheaper
        settings["cheaper_initial"] = min(max(initial, cheaper), settings["processes"])
        settings.setdefault("cheaper_step", 1)
        settings["cheaper_step"] = settings["cheaper_step"] or 1
    settings["listen_requested"] = settings["listen"]
    if somaxconn is not None and settings["listen"] > somaxconn:
        display.warning(f"{where}: listen {settings['listen']} is above net.core.somaxconn {somaxconn}; "
                        f"using {somaxconn} (set uwsgi_raise_somaxconn to raise the kernel limit instead)")
        settings["listen"] = somaxconn
    return settings


def _installer(where, value):
    if value is None:
        return "pip"
    if value not in INSTALLERS:
        _fail(where, f"{shown(value)} is not one of {', '.join(INSTALLERS)}")
    return value


def _app(where, app, defaults):
    if not isinstance(app, Mapping):
        _fail(where, "must be a dict")
    unknown = sorted(set(app) - APP_KEYS)
    if unknown:
        _fail(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(APP_KEYS))}")
    name = app.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        _fail(f"{where}.name", f"{name!r} must match {NAME_RE.pattern} (no '/', no spaces)")
    state = app.get("state") or "present"
    if state not in ("present", "absent"):
        _fail(f"{where}.state", f"{state!r} is not one of present, absent")
    runtime_dir = f"{defaults['runtime_root']}/{name}"
    result = {
        "name": name,
        "state": state,
        "service": f"uwsgi-{name}.service",
        "ini": f"{defaults['config_dir']}/{name}.ini",
        "runtime_dir": runtime_dir,
        "stats": f"{runtime_dir}/stats.sock",
        "master_fifo": f"{runtime_dir}/master.fifo",
    }
    if state == "absent":
        return result

    for key in ("venv", "chdir", "module"):
        if not app.get(key):
            _fail(f"{where}.{key}", "is required for a present app")
    module = app["module"]
    if not isinstance(module, str) or not MODULE_RE.match(module):
        _fail(f"{where}.module", f"{module!r} must be a Python module path, e.g. demo.wsgi:application")
    user = app.get("user") or name
    if not isinstance(user, str) or not ACCOUNT_RE.match(user):
        _fail(f"{where}.user", f"{user!r} is not a valid user name")
    # The same names the django_app role refuses (plugin_utils/inputs.py): root, www-data, ...
    if system_account_problem(user):
        _fail(f"{where}.user", f"the app must run as an unprivileged user of its own: {system_account_problem(user)}")
    group = app.get("group") or user
    socket_group = app.get("socket_group") or defaults["socket_group"]
    for key, value in (("group", group), ("socket_group", socket_group)):
        if not isinstance(value, str) or not ACCOUNT_RE.match(value):
            _fail(f"{where}.{key}", f"{value!r} is not a valid group name")
    socket, unix = _socket(f"{where}.socket", app.get("socket"), name, defaults["runtime_root"])
    env_file = app.get("env_file")
    result.update({
        "venv": _abs(f"{where}.venv", app["venv"]),
        "chdir": _abs(f"{where}.chdir", app["chdir"]),
        "module": module,
        "user": user,
        "group": group,
        "env_file": _abs(f"{where}.env_file", env_file) if env_file else None,
        "environment": _environment(f"{where}.environment", app.get("environment")),
        "socket": socket,
        "unix_socket": unix,
        "socket_group": socket_group,
        "socket_mode": defaults["socket_mode"],
        "upstream": f"unix:{socket}" if unix else socket,
        "install": _bool(f"{where}.install", defaults["install"] if app.get("install") is None else app["install"]),
        "installer": _installer(f"{where}.installer", app.get("installer")),
        "overrides": _overrides(f"{where}.overrides", app.get("overrides")),
        "options": {**defaults["options"], **_options(f"{where}.options", app.get("options"))},
        "settings": None,
    })
    return result


def uwsgi_apps(apps, extra_apps=None, plan=None, overrides=None, somaxconn=None, socket_group="www-data",
               socket_mode="0660", install=True, runtime_root="/run/uwsgi", config_dir="/etc/uwsgi", options=None):
    """Return validated apps with defaults (and worker settings with a plan); raise naming the bad field."""
    role = {}
    for key, value in (overrides or {}).items():
        if key not in ROLE_OVERRIDES:
            _fail(f"uwsgi_{key}", f"is not a role-wide worker setting; allowed: {', '.join(ROLE_OVERRIDES)}")
        if value is not None:
            role[key] = _setting(f"uwsgi_{key}", key, value)
    if not isinstance(socket_mode, str) or not MODE_RE.match(socket_mode):
        _fail("uwsgi_socket_mode", f"{socket_mode!r} must be an octal mode such as '0660'")
    if not isinstance(socket_group, str) or not ACCOUNT_RE.match(socket_group):
        _fail("uwsgi_socket_group", f"{socket_group!r} is not a valid group name")
    if somaxconn is not None:
        somaxconn = _int("net.core.somaxconn", somaxconn, 1)
    defaults = {"socket_group": socket_group, "socket_mode": socket_mode, "install": install,
                "options": _options("uwsgi_options", options),
                "runtime_root": runtime_root.rstrip("/"), "config_dir": config_dir.rstrip("/")}

    result = []
    for var, items in (("uwsgi_apps", apps), ("uwsgi_extra_apps", extra_apps or [])):
        if not isinstance(items, list):
            _fail(var, f"must be a list, got {type(items).__name__}")
        for index, app in enumerate(items):
            result.append((f"{var}[{index}]", _app(f"{var}[{index}]", app, defaults)))

    seen, sockets = {}, {}
    for where, app in result:
        if app["name"] in seen:
            _fail(f"{where}.name", f"{app['name']!r} is also used by {seen[app['name']]}")
        seen[app["name"]] = where
        if app["state"] == "present":
            if app["socket"] in sockets:
                _fail(f"{where}.socket", f"{app['socket']!r} is also used by {sockets[app['socket']]}")
            sockets[app["socket"]] = where

    if plan is not None:
        base = _plan_uwsgi(plan)
        for where, app in result:
            if app["state"] == "present":
                app["settings"] = _settings(where, base, role, app["overrides"], somaxconn)
    return [app for _ignored, app in result]


class FilterModule:
    """Filters of webstack.django for uWSGI."""

    def filters(self):
        return {"uwsgi_apps": uwsgi_apps}
