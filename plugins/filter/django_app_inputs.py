# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the inputs of the webstack.django.django_app role on the controller, naming each bad one."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.module_utils.build_steps import step_problem
from ansible_collections.webstack.django.plugins.plugin_utils.app_units import asgi_problems, item_problems, name_problems
from ansible_collections.webstack.django.plugins.plugin_utils.inputs import (
    APP_NAME_RE,
    ENV_NAME_RE,
    directory_problem,
    env_name_problem,
    path_problem,
    shown,
    strict_bool,
    system_account_problem,
    SYSTEM_DIRS,
    SYSTEM_TREES,
    below,
)

DOCUMENTATION = r"""
name: django_app_inputs
author: webstack.django maintainers
version_added: 0.1.0
short_description: Check the django_app role's inputs, naming every bad one
description:
  - >-
    Takes a dict of the role's variables (any subset of them, by their names) and checks what
    the argument specification cannot: syntax, ranges, system names, paths, the secret key's
    strength and the environment. Raises one error with one line per bad value, each naming the
    variable (and the key) and what is allowed; a secret value is never shown.
  - >-
    Types are checked too, since the argument specification validates a converted copy and
    leaves the variable as it was given. A string where a list is required is refused (the
    specification would split it on commas, so one string could mean two things). A boolean
    may be any form a C(type: bool) specification takes (C("false") is false; the role converts
    it with C(webstack.django.strict_bool)).
  - >-
    Names: C(django_app_name), C(django_app_user) and C(django_app_group) match
    C(^[a-z][a-z0-9_-]{0,31}$) and are not well-known system accounts or groups (root, daemon,
    www-data, nobody, postgres, rabbitmq, systemd-*, ...); the host-side check
    (C(webstack.django.django_app_accounts)) refuses the others below UID_MIN/GID_MIN.
  - >-
    Paths: C(django_app_root) normalised (no C(..), C(//) or trailing C(/)), strictly below one
    of C(django_app_allowed_roots) (default C(/srv), C(/opt), C(/var/lib), C(/home)) and never a
    system directory; C(django_app_socket) a file directly in C(/run/uwsgi/<name>/), where the
    uwsgi role creates the app's runtime directory.
  - >-
    Processes and timers (C(django_app_processes), C(django_app_timers)): lists of dicts with only
    their own keys; a C(name) matching C(^[a-z][a-z0-9-]{0,30}$), used once among both; a
    C(command) as a build step's ([manage.py, COMMAND, ...] or a venv executable's name first);
    C(count) 1 to 64, C(stop_timeout) 1 to 3600, C(randomized_delay) 0 to 86400, C(timeout) 1 to
    86400; C(stop_signal) one of SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH;
    C(groups) a list of group names; C(every_host) and C(persistent) booleans; C(on_calendar) a line
    that can be a calendar expression (the host's C(systemd-analyze calendar) judges it in the
    preflight).
  - >-
    ASGI: C(django_app_asgi_locations) a list of URL prefixes other than C(/) (a C(/) then
    letters, digits and C(._~-/), no C(//), C(.) or C(..) segment), each once;
    C(django_app_asgi_workers) 0 (one per vCPU) to 64; C(django_app_asgi_groups) a list of group
    names; C(django_app_asgi_module) a module path with its callable; C(django_app_asgi_read_timeout)
    1 to 86400; with an ASGI server, no process or timer may be named C(asgi).
  - >-
    Object storage (C(django_app_media_storage)): C({}), or a dict of C(endpoint_url) (http:// or
    https://, a host and a port, no path), C(bucket) (an S3 bucket name), C(region) and the
    C(access_key) and C(secret_key) (single-line strings, never shown); no other key.
  - >-
    Secret key: a string of at least 50 characters, at least 5 of them different, not
    starting with C(django-insecure-) (Django's own rule, check security.W009).
  - >-
    Environment (C(django_app_env), C(django_app_secret_env)): keys are POSIX names, never one the
    role sets (DJANGO_SECRET_KEY, DJANGO_DEBUG, ... WEBSTACK_APP_SETTINGS) nor one that changes how
    a shell, the loader, Python or uWSGI starts (PATH, HOME, IFS, ENV, BASH_ENV, LD_PRELOAD,
    LD_LIBRARY_PATH, PYTHONPATH, PYTHONHOME, PYTHONSTARTUP, UWSGI_*, ...); values are single-line
    strings or numbers without quotes or backslashes.
options:
  _input:
    description: The role's variables to check, by name (a dict of variable names to values).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the role's inputs
  ansible.builtin.assert:
    that: __given | webstack.django.django_app_inputs | length > 0
    quiet: true
  vars:
    __given:
      django_app_name: "{{ django_app_name }}"
      django_app_debug: "{{ django_app_debug }}"
"""

RETURN = r"""
_value:
  description: The names of the variables checked, sorted (no value, so nothing secret is returned).
  type: list
  elements: str
"""

RELEASE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MODULE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_.]*)?$")
# Host names Django answers to: names, IP addresses, .domain or * (no commas, no whitespace).
HOST_RE = re.compile(r"^(\*|\.?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:.]+)$")
ORIGIN_RE = re.compile(r"^https?://(\*\.)?([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")
CHECK_ID_RE = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*\.[A-Za-z]+[0-9]+$")
URL_RE = re.compile(r"^https?://[^\s'\"\\]+$")
SERVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9@_.:-]{0,127}$")
SOCKET_FILE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
# What an environment file value cannot carry (it is written between single quotes).
ENV_VALUE_REFUSED = re.compile(r"[\x00-\x1f\x7f'\\]")

# The environment the role writes itself (vars/main.yml __django_app_environment, and
# bin/manage's DJANGO_STATIC_ROOT): django_app_env and django_app_secret_env cannot override it.
ROLE_ENV = frozenset({
    "DJANGO_SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOWED_HOSTS", "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_DEBUG", "DJANGO_SECURE_SSL", "DJANGO_STATE_DIR", "DJANGO_SILENCED_CHECKS", "DJANGO_STATIC_ROOT",
    "DJANGO_MEDIA_ROOT", "DJANGO_MEDIA_URL", "WEBSTACK_APP_SETTINGS",
    "DJANGO_MEDIA_S3_ENDPOINT_URL", "DJANGO_MEDIA_S3_BUCKET", "DJANGO_MEDIA_S3_REGION",
    "DJANGO_MEDIA_S3_ACCESS_KEY", "DJANGO_MEDIA_S3_SECRET_KEY",
})
DEFAULT_ALLOWED_ROOTS = ("/srv", "/opt", "/var/lib", "/home")
RUNTIME_ROOT = "/run/uwsgi"
SECRET_MIN_LENGTH = 50
SECRET_MIN_UNIQUE = 5
SECRET_INSECURE_PREFIX = "django-insecure-"

BOOLS = ("django_app_settings_overlay", "django_app_debug", "django_app_check_deploy", "django_app_secure_ssl",
         "django_app_migrate", "django_app_collectstatic", "django_app_healthcheck")
ENV_DICTS = ("django_app_env", "django_app_secret_env")
SECRET_STRINGS = ("django_app_database_url", "django_app_broker_url")
CHECK_FAIL_LEVELS = ("error", "security", "warning")
# The object storage of the uploads (django_app_media_storage): its endpoint (scheme, host and
# port only), an S3 bucket name, a region; the keys are secrets, never shown.
MEDIA_STORAGE_KEYS = ("endpoint_url", "bucket", "region", "access_key", "secret_key")
MEDIA_STORAGE_REQUIRED = ("endpoint_url", "bucket", "access_key", "secret_key")
ENDPOINT_RE = re.compile(r"^https?://(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?/?$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
REGION_RE = re.compile(r"^[a-z0-9-]{1,32}$")
# A URL path of its own for the uploads: /media/, /uploads/files/ (not /, never /static/).
MEDIA_URL_RE = re.compile(r"^/([A-Za-z0-9_~-][A-Za-z0-9_.~-]*/)+$")
SIZE_RE = re.compile(r"^[1-9][0-9]{0,5}[kKmMgG]?$")


class _Problems:
    """The problems found, one line each, in the order of the variables."""

    def __init__(self):
        self.lines = []

    def add(self, where, message):
        self.lines.append(f"{where}: {message}")


def _type_name(value):
    """What a value is, in words (Ansible hands over subclasses of str, dict and list)."""
    for kind, words in ((bool, "a boolean"), (str, "a string"), (Mapping, "a dict"), (list, "a list"),
                        ((int, float), "a number")):
        if isinstance(value, kind):
            return words
    return "null" if value is None else type(value).__name__


def _is_str(value):
    return isinstance(value, str)


def _is_map(value):
    return isinstance(value, Mapping)


def _int(problems, name, value, minimum, maximum):
    if isinstance(value, bool) or isinstance(value, (list, dict)) or value is None:
        problems.add(name, f"must be a whole number from {minimum} to {maximum} (got {_type_name(value)})")
        return
    try:
        number = int(str(value).strip())
    except ValueError:
        problems.add(name, f"{shown(value)} must be a whole number from {minimum} to {maximum}")
        return
    if not minimum <= number <= maximum:
        problems.add(name, f"{number} must be from {minimum} to {maximum}")


def _str_list(problems, name, value, pattern=None, what="", allow_empty=True):
    """The items of a list of strings, or None after adding the problem."""
    if not isinstance(value, list):
        example = "['shop.example.com']" if name == "django_app_allowed_hosts" else "[...]"
        problems.add(name, f"must be a list (got {_type_name(value)} {shown(value)}); write it as a YAML list, "
                           f"e.g. {example}")
        return None
    if not allow_empty and not value:
        problems.add(name, f"must list at least one {what}")
        return None
    for index, item in enumerate(value):
        if not isinstance(item, str) or (pattern is not None and not pattern.match(item)):
            problems.add(f"{name}[{index}]", f"{shown(item)} is not {what}")
    return value


def _name(problems, name, value, what):
    if not _is_str(value) or not APP_NAME_RE.match(value):
        problems.add(name, f"{shown(value)} must match {APP_NAME_RE.pattern} (lowercase letters, digits, _ and -)")
        return
    problem = system_account_problem(value, what)
    if problem:
        problems.add(name, problem)


def _allowed_roots(problems, value):
    roots = _str_list(problems, "django_app_allowed_roots", value, what="an absolute path")
    if roots is None:
        return DEFAULT_ALLOWED_ROOTS
    for index, root in enumerate(roots):
        problem = path_problem(root)
        if not problem and (root == "/" or root in SYSTEM_TREES or any(below(root, t) for t in SYSTEM_TREES)):
            problem = f"{root!r} is the root or a system tree"
        if problem:
            problems.add(f"django_app_allowed_roots[{index}]", problem)
    return tuple(roots)


def _root(problems, value, allowed_roots):
    problem = directory_problem(value, allowed_roots)
    if problem:
        problems.add("django_app_root", problem)


def _media_root(problems, value, allowed_roots, app_root):
    """Uploads outlive releases: never in the app's releases, its live link, its wrapper or its config."""
    name = "django_app_media_root"
    problem = directory_problem(value, allowed_roots)
    if problem:
        problems.add(name, problem)
        return
    if not _is_str(app_root) or path_problem(app_root):
        return
    inside = [f"{app_root}/{part}" for part in ("releases", "current", "bin", "shared/config", "shared/state")]
    if value == app_root or value in inside or any(below(value, d) for d in inside):
        problems.add(name, f"{value!r} is not a directory of its own: uploads must outlive every release "
                           f"(e.g. {app_root}/shared/media), never in {', '.join(inside)} or {app_root} itself")


def _items(problems, name, value, what):
    """(index, item) of a list, or none after adding the problem: the list is not one."""
    if not isinstance(value, list):
        problems.add(name, f"must be a list of {what} (got {_type_name(value)} {shown(value)})")
        return []
    return enumerate(value)


def _build_steps(problems, value):
    name = "django_app_build_steps"
    for index, step in _items(problems, name, value, "argument lists"):
        problem = step_problem(step)
        if problem:
            problems.add(f"{name}[{index}]", problem)


def _socket(problems, value, name):
    problem = path_problem(value)
    if problem:
        problems.add("django_app_socket", problem)
        return
    if name is None:  # no good app name to place it by
        return
    runtime_dir = f"{RUNTIME_ROOT}/{name}"
    directory, _slash, filename = value.rpartition("/")
    if directory != runtime_dir or not SOCKET_FILE_RE.match(filename) or value in SYSTEM_DIRS:
        problems.add("django_app_socket", f"{value!r} must be a file directly in {runtime_dir}/ (the app's "
                                          "runtime directory, which the uwsgi role creates), e.g. "
                                          f"{runtime_dir}/uwsgi.sock")


def _secret_key(problems, value):
    name = "django_app_secret_key"
    if not _is_str(value):
        problems.add(name, f"must be a string (got {_type_name(value)})")
        return
    if not value:
        problems.add(name, "must not be empty (a random string of at least 50 characters, kept in a vault)")
        return
    reasons = []
    if len(value) < SECRET_MIN_LENGTH:
        reasons.append(f"it has fewer than {SECRET_MIN_LENGTH} characters")
    if len(set(value)) < SECRET_MIN_UNIQUE:
        reasons.append(f"it has fewer than {SECRET_MIN_UNIQUE} different characters")
    if value.startswith(SECRET_INSECURE_PREFIX):
        reasons.append(f"it starts with '{SECRET_INSECURE_PREFIX}', the development key startproject writes")
    if reasons:
        problems.add(name, f"is too weak ({'; '.join(reasons)}): give a random key of at least {SECRET_MIN_LENGTH} "
                           "characters (Django's check security.W009), e.g. from python3 -c 'import secrets; "
                           "print(secrets.token_urlsafe(50))'")
    if ENV_VALUE_REFUSED.search(value):
        problems.add(name, "contains a quote, a backslash, a newline or another control character "
                           "(the environment file cannot carry them)")


def _env(problems, name, value, secret):
    if not _is_map(value):
        problems.add(name, f"must be a dict of environment variable names to values (got {_type_name(value)})")
        return
    for key, item in value.items():
        problem = env_name_problem(key, ROLE_ENV)
        # A key that is no name is shown in the message, not in the path.
        where = f"{name}.{key}" if _is_str(key) and ENV_NAME_RE.match(key) else name
        if problem:
            problems.add(where, problem)
            continue
        if isinstance(item, (Mapping, list)) or item is None:
            problems.add(where, f"must be a string or a number (got {_type_name(item)})")
        elif ENV_VALUE_REFUSED.search(str(item)):
            shown_value = "" if secret else f"{shown(item)} "
            problems.add(where, f"the value {shown_value}contains a quote, a backslash, a newline or another "
                                "control character (the environment file cannot carry them)")


def _secret_string(problems, name, value):
    if not _is_str(value):
        problems.add(name, f"must be a string (got {_type_name(value)})")
    elif ENV_VALUE_REFUSED.search(value):
        problems.add(name, "contains a quote, a backslash, a newline or another control character "
                           "(the environment file cannot carry them)")


def _pattern(problems, name, value, pattern, what, optional=False):
    if optional and value == "":
        return
    if not _is_str(value) or not pattern.match(value):
        problems.add(name, f"{shown(value)} is not {what}")


def _statuses(problems, value, name="django_app_healthcheck_status"):
    if not isinstance(value, list) or not value:
        problems.add(name, f"must be a non-empty list of HTTP statuses (100-599) that pass the gate "
                           f"(got {_type_name(value)} {shown(value)})")
        return
    for index, item in enumerate(value):
        try:
            status = None if isinstance(item, bool) else int(str(item))
        except ValueError:
            status = None
        if status is None or not 100 <= status <= 599:
            problems.add(f"{name}[{index}]", f"{shown(item)} is not an HTTP status (100-599)")


PAGE_PATH_RE = re.compile(r"^/[^\s'\"\\#]*$")


def _media_storage(problems, value):
    name = "django_app_media_storage"
    if not _is_map(value):
        problems.add(name, f"must be a dict {{endpoint_url, bucket, region, access_key, secret_key}}, or {{}} for "
                           f"the media directory (got {_type_name(value)})")
        return
    if not value:
        return
    unknown = sorted(str(key) for key in value if key not in MEDIA_STORAGE_KEYS)
    if unknown:
        problems.add(name, f"unknown key {', '.join(unknown)} ({', '.join(MEDIA_STORAGE_KEYS)})")
    for key in MEDIA_STORAGE_REQUIRED:
        if key not in value:
            problems.add(f"{name}.{key}", "is required with an object storage")
    if "endpoint_url" in value:
        _pattern(problems, f"{name}.endpoint_url", value["endpoint_url"], ENDPOINT_RE,
                 "the URL of an S3-compatible endpoint: http:// or https://, a host and a port, no path "
                 "(http://storage:8333)")
    if "bucket" in value:
        _pattern(problems, f"{name}.bucket", value["bucket"], BUCKET_RE,
                 "an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)")
    if "region" in value:
        _pattern(problems, f"{name}.region", value["region"], REGION_RE, "a region name (us-east-1)")
    for key in ("access_key", "secret_key"):
        if key in value:
            where = f"{name}.{key}"
            _secret_string(problems, where, value[key])
            if _is_str(value[key]) and not value[key].strip():
                problems.add(where, "is empty")


def _pages(problems, value):
    name = "django_app_healthcheck_pages"
    for index, page in _items(problems, name, value, "{path, status}"):
        where = f"{name}[{index}]"
        if not _is_map(page):
            problems.add(where, f"must be a dict {{path, status}} (got {_type_name(page)} {shown(page)})")
            continue
        unknown = sorted(str(k) for k in page if k not in ("path", "status"))
        if unknown:
            problems.add(where, f"unknown key {', '.join(unknown)} (path, status)")
        _pattern(problems, f"{where}.path", page.get("path"), PAGE_PATH_RE, "a path of the site (/accounts/login/)")
        if "status" in page:
            _statuses(problems, page["status"], f"{where}.status")


def django_app_inputs(values):
    """Check the role's variables given by name; return their names, or raise naming each bad one."""
    if not _is_map(values):
        raise AnsibleFilterError(f"django_app_inputs: expects a dict of the role's variables, got {_type_name(values)}")
    problems = _Problems()
    given = dict(values)

    for name, what in (("django_app_name", "account"), ("django_app_user", "account"),
                       ("django_app_group", "group")):
        if name in given:
            _name(problems, name, given[name], what)
    if "django_app_web_group" in given and (not _is_str(given["django_app_web_group"])
                                            or not re.match(r"^[a-z_][a-z0-9_-]{0,31}$", given["django_app_web_group"])):
        problems.add("django_app_web_group", f"{shown(given['django_app_web_group'])} is not a group name")

    allowed_roots = _allowed_roots(problems, given.get("django_app_allowed_roots", list(DEFAULT_ALLOWED_ROOTS)))
    # The root and the socket are named after the app by default: with a bad name, only the name is reported.
    name = given.get("django_app_name")
    bad_name = "django_app_name" in given and not (_is_str(name) and APP_NAME_RE.match(name))

    def named_after_bad_name(value):
        return bad_name and _is_str(name) and bool(name) and _is_str(value) and name in value

    if "django_app_root" in given and not named_after_bad_name(given["django_app_root"]):
        _root(problems, given["django_app_root"], allowed_roots)
    if "django_app_media_root" in given and not named_after_bad_name(given["django_app_media_root"]):
        _media_root(problems, given["django_app_media_root"], allowed_roots, given.get("django_app_root"))
    if "django_app_media_url" in given:
        _pattern(problems, "django_app_media_url", given["django_app_media_url"], MEDIA_URL_RE,
                 "a URL path of its own for the uploads, with a / at each end (/media/)")
        if given["django_app_media_url"] == "/static/":
            problems.add("django_app_media_url", "'/static/' is where the static files are served")
    if "django_app_upload_max_size" in given:
        _pattern(problems, "django_app_upload_max_size", str(given["django_app_upload_max_size"]), SIZE_RE,
                 "an nginx size (20m, 512k, 1g)")
    if "django_app_check_fail_level" in given and given["django_app_check_fail_level"] not in CHECK_FAIL_LEVELS:
        problems.add("django_app_check_fail_level",
                     f"{shown(given['django_app_check_fail_level'])} is not one of {', '.join(CHECK_FAIL_LEVELS)}")
    if "django_app_build_steps" in given:
        _build_steps(problems, given["django_app_build_steps"])
    for kind in ("processes", "timers"):
        if f"django_app_{kind}" in given:
            problems.lines.extend(item_problems(kind, given[f"django_app_{kind}"]))
    asgi_on = isinstance(given.get("django_app_asgi_locations"), list) and bool(given["django_app_asgi_locations"])
    if "django_app_asgi_locations" in given:
        problems.lines.extend(asgi_problems(given["django_app_asgi_locations"], given.get("django_app_asgi_workers", 0),
                                            given.get("django_app_asgi_groups", [])))
    if "django_app_asgi_module" in given and given["django_app_asgi_module"]:
        _pattern(problems, "django_app_asgi_module", given["django_app_asgi_module"], MODULE_RE,
                 "a Python module path with its callable (mysite.asgi:application)")
    if "django_app_asgi_read_timeout" in given:
        _int(problems, "django_app_asgi_read_timeout", given["django_app_asgi_read_timeout"], 1, 86400)
    if isinstance(given.get("django_app_processes"), list) and isinstance(given.get("django_app_timers"), list):
        problems.lines.extend(name_problems(given["django_app_processes"], given["django_app_timers"], asgi=asgi_on))
    if "django_app_process_gate_seconds" in given:
        _int(problems, "django_app_process_gate_seconds", given["django_app_process_gate_seconds"], 1, 300)
    if "django_app_socket" in given and not named_after_bad_name(given["django_app_socket"]):
        _socket(problems, given["django_app_socket"], name if not bad_name else None)

    for name in BOOLS:
        if name in given:
            try:
                strict_bool(name, given[name])
            except AnsibleFilterError as exc:
                problems.lines.append(exc.message)

    if "django_app_secret_key" in given:
        _secret_key(problems, given["django_app_secret_key"])
    for name in SECRET_STRINGS:
        if name in given:
            _secret_string(problems, name, given[name])
    for name in ENV_DICTS:
        if name in given:
            _env(problems, name, given[name], secret=name == "django_app_secret_env")

    if "django_app_allowed_hosts" in given:
        _str_list(problems, "django_app_allowed_hosts", given["django_app_allowed_hosts"], HOST_RE,
                  "a host name (a name, an IP address, .example.org or *; no commas, spaces or quotes)",
                  allow_empty=False)
    if "django_app_csrf_trusted_origins" in given:
        _str_list(problems, "django_app_csrf_trusted_origins", given["django_app_csrf_trusted_origins"], ORIGIN_RE,
                  "an origin (https://example.org, https://*.example.org:8443)")
    if "django_app_silenced_checks" in given:
        _str_list(problems, "django_app_silenced_checks", given["django_app_silenced_checks"], CHECK_ID_RE,
                  "a system check id (security.W005)")
    # django_app_http_port and django_app_tls are checked by the nginx role's own filter
    # (webstack.django.nginx_sites, in the preflight), which names them.
    if "django_app_server_names" in given:
        # Each name is checked by the nginx role's own filter too.
        _str_list(problems, "django_app_server_names", given["django_app_server_names"], what="a string")
    if "django_app_venv_packages" in given:
        _str_list(problems, "django_app_venv_packages", given["django_app_venv_packages"], what="a string")
    if "django_app_healthcheck_status" in given:
        _statuses(problems, given["django_app_healthcheck_status"])
    if "django_app_healthcheck_pages" in given:
        _pages(problems, given["django_app_healthcheck_pages"])
    if "django_app_media_storage" in given:
        _media_storage(problems, given["django_app_media_storage"])

    for name, minimum, maximum in (("django_app_keep_releases", 1, 1000), ("django_app_healthcheck_retries", 1, 1000),
                                   ("django_app_healthcheck_delay", 0, 3600),
                                   ("django_app_converge_max_age", 0, 10 * 365 * 86400)):
        if name in given:
            _int(problems, name, given[name], minimum, maximum)

    for name in ("django_app_release_id", "django_app_rollback_release"):
        if name in given:
            _pattern(problems, name, given[name], RELEASE_RE, "a release id ([A-Za-z0-9._-], at most 64, "
                     "not starting with . or -; empty: the default)", optional=True)
    for name in ("django_app_settings_module", "django_app_wsgi_module", "django_app_celery_module"):
        if name in given:
            _pattern(problems, name, given[name], MODULE_RE, "a Python module path (mysite.settings, "
                     "mysite.wsgi:application; empty: read from the release archive)", optional=True)
    if "django_app_uwsgi_service" in given:
        _pattern(problems, "django_app_uwsgi_service", given["django_app_uwsgi_service"], SERVICE_RE,
                 "a systemd unit name")
    if "django_app_healthcheck_url" in given:
        _pattern(problems, "django_app_healthcheck_url", given["django_app_healthcheck_url"], URL_RE,
                 "an http:// or https:// URL")
    if "django_app_version_url" in given:
        _pattern(problems, "django_app_version_url", given["django_app_version_url"], URL_RE,
                 "an http:// or https:// URL (empty: no version check)", optional=True)
    if "django_app_healthcheck_host" in given:
        _pattern(problems, "django_app_healthcheck_host", given["django_app_healthcheck_host"], HOST_RE,
                 "a host name")
    if "django_app_tls" in given and not _is_map(given["django_app_tls"]):
        problems.add("django_app_tls", f"must be a dict of nginx_sites tls keys (got {_type_name(given['django_app_tls'])})")
    for name in ("django_app_release_archive", "django_app_requirements", "django_app_wheelhouse",
                 "django_app_migrate_host", "django_app_pre_migrate_tasks", "django_app_rollback_note"):
        if name in given and not _is_str(given[name]):
            problems.add(name, f"must be a string (got {_type_name(given[name])})")

    if problems.lines:
        raise AnsibleFilterError("\n".join(problems.lines))
    return sorted(given)


class FilterModule:
    """Filters of webstack.django for the django_app role."""

    def filters(self):
        return {"django_app_inputs": django_app_inputs}
