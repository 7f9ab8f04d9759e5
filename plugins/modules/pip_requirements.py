#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create a virtualenv with the distribution's venv module and install requirements into it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: pip_requirements
author:
  - webstack.django maintainers (!UNKNOWN)
version_added: 0.1.0
short_description: Create a virtualenv and install requirements into it, from an index or a wheelhouse
description:
  - Creates the virtualenv with the distribution's C(python3 -m venv) when it is missing (never
    touches the system Python, see PEP 668), then runs the virtualenv's own pip to install a
    requirements file and/or a list of packages.
  - Installs offline from a wheelhouse directory (C(--no-index --find-links DIR)) when
    O(wheelhouse) is set; adds C(--require-hashes) by itself when the requirements file carries
    C(--hash=) options.
  - Idempotent, the change is judged by comparing C(pip list) (C(uv pip list) with O(uv)) before and after, so a run that
    installs nothing reports no change. With C(--diff), the diff lists C(name==version) of every
    distribution in the virtualenv before and after.
  - With O(uv), uv installs instead of pip (C(uv pip install --python VENV/bin/python)), with the
    same requirements, hashes, wheelhouse, indexes and cache, the same owner, but wheels are
    unpacked in parallel and linked from the cache, so a virtualenv whose lock the cache already
    holds is installed several times faster than by pip. The virtualenv is still
    made by the distribution's venv module, without pip (C(--without-pip), a few hundredths of a
    second instead of seconds for C(ensurepip)); C(uv pip list) judges the change and C(uv pip install
    --dry-run) predicts it in check mode (pip's prediction when uv is not installed yet and the
    virtualenv has pip; otherwise the change is reported as unknown).
  - In check mode, pip's C(install --dry-run --report) (pip 22.2 and later) predicts exactly what
    would be installed, including dependencies; an older pip falls back to comparing the
    requirements with the installed versions (dependencies are then not predicted). A missing
    virtualenv is reported as a change, with the requested requirements as the diff.
  - When it runs as root, pip runs as O(owner), or as the owner of an existing virtualenv, so the
    files in the virtualenv keep one owner.
  - As root, it follows no symlink another user could have placed on the way to the virtualenv
    (a link is followed only in a directory owned by root and writable by nobody else; a
    virtualenv path through a release the app user owns that holds C(venv -> /etc/cron.d) fails,
    naming the link), creates and chowns the virtualenv directory through a descriptor, never
    by its path, and reads the requirements files (and the files they include) as the user pip
    runs as.
options:
  virtualenv:
    description: Absolute path of the virtualenv; created when missing.
    type: path
    required: true
  requirements:
    description: Absolute path of a requirements file on the target.
    type: path
  packages:
    description: Requirement specifiers to install, e.g. C(pyuwsgi==2.0.30.post1).
    type: list
    elements: str
    default: []
  wheelhouse:
    description: Directory of wheels on the target; install offline from it (C(--no-index --find-links)).
    type: path
  index_url:
    description: Package index to use instead of PyPI; not with O(wheelhouse).
    type: str
  extra_index_urls:
    description: Further package indexes; not with O(wheelhouse).
    type: list
    elements: str
    default: []
  require_hashes:
    description:
      - Pass C(--require-hashes). Null turns it on when the requirements file carries C(--hash=) options.
      - Every requirement must then carry a hash, so O(packages) must be empty.
    type: bool
  extra_args:
    description: More arguments for C(pip install).
    type: list
    elements: str
    default: []
  python:
    description: Interpreter that creates a missing virtualenv (the distribution's, with its venv module).
    type: str
    default: /usr/bin/python3
  system_site_packages:
    description: Give a new virtualenv access to the system site-packages.
    type: bool
    default: false
  cache_dir:
    description:
      - pip's cache (downloads and built wheels), kept between runs so that the next virtualenv
        with mostly the same requirements installs from it (hashes are checked as for a download).
        A directory the user pip runs as owns, not a link; without it, pip runs with no cache.
    type: path
    version_added: 0.3.0
  uv:
    description:
      - Absolute path of a uv executable on the target (webstack.django's pin, see the
        virtualenv role's C(virtualenv_installer)) that installs instead of the virtualenv's pip.
      - It runs as the same user as pip would, with C(--compile-bytecode) (pip compiles too),
        with the operating system's certificate store (C(--system-certs), as the distribution's
        pip), and with no C(uv.toml) and none of the C(UV_*) settings of the environment.
      - O(extra_args) must then be uv's (C(uv pip install --help)).
    type: path
    version_added: 0.4.0
  owner:
    description:
      - User that owns a new virtualenv and runs pip. Default, the owner of an existing virtualenv,
        else the user the module runs as. Another user than the module's needs root (become).
    type: str
  group:
    description: Group of a new virtualenv and of pip's process; default the primary group of the user pip runs as.
    type: str
attributes:
  check_mode:
    support: full
    description: Predicts the change with C(pip install --dry-run --report) and changes nothing.
  diff_mode:
    support: full
    description: Shows the requirements installed before and after.
notes:
  - Requirements and packages must not change behind pip's back (editable installs are listed like any other).
  - The virtualenv's pip must support C(--dry-run --report) (pip 22.2, Debian 12 ships 23.0) for an
    exact check-mode prediction.
requirements:
  - The distribution's venv module (C(python3-venv) on Debian and Ubuntu).
"""

EXAMPLES = r"""
- name: Install the app's locked requirements from PyPI
  webstack.django.pip_requirements:
    virtualenv: /srv/demo/venv
    requirements: /srv/demo/current/requirements.txt

- name: Install the release's lock with uv, from the cache the previous release filled
  webstack.django.pip_requirements:
    virtualenv: /srv/demo/releases/43/venv
    requirements: /srv/demo/releases/43/requirements.txt
    uv: /opt/webstack/uv/bin/uv
    cache_dir: /srv/demo/shared/cache
    owner: demo
    group: demo

- name: Install offline from a wheelhouse (hashes are required when the file carries them)
  webstack.django.pip_requirements:
    virtualenv: /srv/demo/releases/42/venv
    requirements: /srv/bundle/wheelhouse/requirements.txt
    wheelhouse: /srv/bundle/wheelhouse
    owner: demo
    group: demo

- name: Add uWSGI to an existing virtualenv
  webstack.django.pip_requirements:
    virtualenv: /srv/demo/venv
    packages:
      - pyuwsgi==2.0.30.post1
"""

RETURN = r"""
virtualenv:
  description: Path of the virtualenv.
  returned: always
  type: str
created:
  description: Whether the virtualenv was (or in check mode, would be) created.
  returned: always
  type: bool
packages:
  description: Distributions in the virtualenv after the run (predicted in check mode), name to version.
  returned: always
  type: dict
  sample: {"Django": "5.2.19", "pip": "23.0.1"}
changes:
  description: Distributions added, removed or changed; C(before)/C(after) are null when absent.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "six", "before": "1.16.0", "after": "1.17.0"}]
pip_version:
  description: Version of the virtualenv's pip (null when the virtualenv does not exist in check mode, and when O(uv) installs).
  returned: always
  type: str
cmd:
  description: The pip command that ran (or would run).
  returned: always
  type: list
  elements: str
require_hashes:
  description: Whether C(--require-hashes) was used.
  returned: always
  type: bool
stdout:
  description: Output of pip.
  returned: when pip ran
  type: str
stderr:
  description: Errors and warnings of pip.
  returned: when pip ran
  type: str
"""

import contextlib
import grp
import json
import os
import pwd
import re
import stat
import subprocess

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.webstack.django.plugins.module_utils.safe_paths import UnsafePath, open_directory

HASH_RE = re.compile(r"(^|\s)--hash[=\s]")
PIP_VERSION_RE = re.compile(r"^pip (\d+)\.(\d+)")
REPORT_PIP = (22, 2)  # first pip with `install --dry-run --report`

# Run by the virtualenv's interpreter when its pip is too old for --dry-run --report: which of
# the given requirement lines does the virtualenv not satisfy yet? Uses pip's vendored packaging.
CHECK_SCRIPT = r"""
import json, sys
from importlib import metadata
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
missing = []
for line in json.load(sys.stdin):
    try:
        req = Requirement(line)
    except Exception:
        missing.append({"line": line, "name": line, "version": None})
        continue
    if req.marker is not None and not req.marker.evaluate():
        continue
    try:
        installed = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        installed = None
    if installed is not None and not req.url and req.specifier.contains(installed, prereleases=True):
        continue
    pinned = [s.version for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
    missing.append({"line": line, "name": req.name, "version": pinned[0] if pinned else None})
print(json.dumps(missing))
"""


def canonical(name):
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path, seen=None):
    """The requirement specifiers of a requirements file (and the files it includes), options dropped."""
    seen = seen if seen is not None else set()
    path = os.path.realpath(path)
    if path in seen:
        return []
    seen.add(path)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    text = re.sub(r"\\\r?\n", " ", text)
    lines = []
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        match = re.match(r"^(-r|--requirement)(\s+|=)(\S+)", line)
        if match:
            lines.extend(requirement_lines(os.path.join(os.path.dirname(path), match.group(3)), seen))
            continue
        if line.startswith("-"):
            continue  # global options (--index-url, -c, -e ...) are not requirements
        line = re.split(r"\s+--?[A-Za-z]", " " + line)[0].strip()
        if line:
            lines.append(line)
    return lines


def has_hashes(path):
    """Whether a requirements file carries --hash options."""
    with open(path, encoding="utf-8") as handle:
        return any(HASH_RE.search(line) for line in handle if not line.lstrip().startswith("#"))


def freeze_lines(packages):
    """name==version lines, sorted case-insensitively, for the diff."""
    return "".join(f"{name}=={version}\n" for name, version in sorted(packages.items(), key=lambda i: canonical(i[0])))


def compare(before, after):
    """The added, removed and changed distributions between two {name: version} maps."""
    old = {canonical(n): (n, v) for n, v in before.items()}
    new = {canonical(n): (n, v) for n, v in after.items()}
    changes = []
    for key in sorted(set(old) | set(new)):
        o, n = old.get(key), new.get(key)
        if o and n and o[1] == n[1]:
            continue
        changes.append({"name": (n or o)[0], "before": o[1] if o else None, "after": n[1] if n else None})
    return changes


def apply_predicted(before, installs):
    """The {name: version} map after installing the predicted (name, version) pairs."""
    after = dict(before)
    index = {canonical(n): n for n in after}
    for name, version in installs:
        old = index.get(canonical(name))
        if old is not None:
            del after[old]
        after[name] = version
        index[canonical(name)] = name
    return after


class Runner:
    """Run commands, as another user when the module runs as root."""

    def __init__(self, module, user=None, group=None, cache_dir=None):
        self.module = module
        self.kwargs = {}
        # uv reads the settings of its environment (UV_*): only the ones given here count.
        self.env = {name: value for name, value in os.environ.items() if not name.startswith("UV_")}
        self.env.update({"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
                         "PIP_NO_WARN_SCRIPT_LOCATION": "1", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"})
        self.env.pop("PYTHONPATH", None)
        self.env.pop("PYTHONHOME", None)
        self.env.pop("VIRTUAL_ENV", None)
        # pip's cache is the one given or none, never one the environment names.
        self.env.pop("PIP_CACHE_DIR", None)
        self.env.pop("PIP_NO_CACHE_DIR", None)
        if cache_dir:
            self.env["PIP_CACHE_DIR"] = cache_dir
        else:
            self.env["PIP_NO_CACHE_DIR"] = "1"
        if user is not None and user.pw_uid != os.geteuid():
            gid = group.gr_gid if group is not None else user.pw_gid
            self.kwargs = {"user": user.pw_uid, "group": gid,
                           "extra_groups": sorted(set(os.getgrouplist(user.pw_name, gid)))}
            self.env.update({"HOME": user.pw_dir, "USER": user.pw_name, "LOGNAME": user.pw_name})

    def __call__(self, cmd, stdin=None, check=True):
        try:
            proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=self.env, cwd="/",
                                  check=False, **self.kwargs)
        except OSError as exc:
            self.module.fail_json(msg=f"cannot run {cmd[0]}: {exc}", cmd=cmd)
        if check and proc.returncode != 0:
            self.module.fail_json(msg=f"{' '.join(cmd[:4])} ... failed with exit code {proc.returncode}",
                                  cmd=cmd, rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)
        return proc


def cache_dir_problem(path, uid):
    """Why ``path`` cannot be pip's cache for ``uid`` (absolute, a directory that is no link,
    owned by that user), or None; no path is no problem."""
    if not path:
        return None
    if not os.path.isabs(path):
        return f"{path!r} must be an absolute path"
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"{path} cannot be read: {exc.strerror}"
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        return f"{path} is not a directory (a link is not followed)"
    if info.st_uid != uid:
        return f"{path} is not owned by the user pip runs as (uid {uid})"
    return None


def lookup_user(module, name):
    """pwd entry of a user name or uid, or None when it does not exist."""
    try:
        return pwd.getpwuid(int(name)) if str(name).isdigit() else pwd.getpwnam(name)
    except KeyError:
        return None


def lookup_group(module, name):
    """grp entry of a group name or gid, or None when it does not exist."""
    try:
        return grp.getgrgid(int(name)) if str(name).isdigit() else grp.getgrnam(name)
    except KeyError:
        return None


def pip_list(run, python, uv=None):
    """{name: version} of every distribution in the virtualenv: `pip list`, or the same list
    from uv when it installs (a Rust binary answers in milliseconds, pip in about a second)."""
    cmd = [python, "-m", "pip", "list", "--format=json"]
    if uv:
        # No cache: a list reads none, and the user's home (the app's root) may be root's.
        cmd = [uv, "pip", "list", "--format=json", "--no-config", "--no-cache", "--python", python]
    proc = run(cmd)
    try:
        return {item["name"]: item["version"] for item in json.loads(proc.stdout)}
    except (ValueError, KeyError, TypeError) as exc:
        run.module.fail_json(msg=f"cannot read `pip list`: {exc}", stdout=proc.stdout, stderr=proc.stderr)


def pip_version(run, python):
    """The virtualenv pip's version as a (major, minor) tuple and a string."""
    proc = run([python, "-m", "pip", "--version"], check=False)
    if proc.returncode != 0 and "No module named pip" in proc.stderr:
        run.module.fail_json(msg=f"{python} has no pip (a virtualenv made for uv, without pip): install into it "
                                 "with uv (this module's uv option; the virtualenv role's virtualenv_installer: uv; "
                                 "a uWSGI app's installer: uv)", stderr=proc.stderr)
    if proc.returncode != 0:
        run.module.fail_json(msg=f"{python} -m pip --version failed with exit code {proc.returncode}",
                             rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)
    match = PIP_VERSION_RE.match(proc.stdout.strip())
    if not match:
        run.module.fail_json(msg=f"cannot read pip's version from {proc.stdout!r}")
    return (int(match.group(1)), int(match.group(2))), proc.stdout.split()[1]


def predict(run, python, pip_args, version, requested):
    """(name, version) pairs pip would install: pip's report, or a comparison for an old pip."""
    if version >= REPORT_PIP:
        proc = run([python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-"] + pip_args)
        try:
            report = json.loads(proc.stdout)
            return [(i["metadata"]["name"], i["metadata"]["version"]) for i in report.get("install", [])]
        except (ValueError, KeyError, TypeError) as exc:
            run.module.fail_json(msg=f"cannot read pip's install report: {exc}", stdout=proc.stdout)
    proc = run([python, "-c", CHECK_SCRIPT], stdin=json.dumps(requested))
    return [(m["name"], m["version"] or "(unknown version)") for m in json.loads(proc.stdout)]


@contextlib.contextmanager
def as_user(user, group):
    """Run the block with the effective ids (and groups) of user when root, so that what it
    opens is what that user could open: a requirements file of a release is read as the user
    pip runs as, never as root (a link or an include in it cannot make root read /etc/shadow)."""
    if user is None or os.geteuid() != 0 or user.pw_uid == 0:
        yield
        return
    gid = group.gr_gid if group is not None else user.pw_gid
    saved_groups, saved_gid = os.getgroups(), os.getegid()
    os.setgroups(sorted(set(os.getgrouplist(user.pw_name, gid))))
    os.setegid(gid)
    os.seteuid(user.pw_uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(saved_gid)
        os.setgroups(saved_groups)


# A line of uv's plan: ` + name==version`, or ` + name @ url` for a direct reference.
UV_PLAN_RE = re.compile(r"^ \+ ([A-Za-z0-9][A-Za-z0-9._-]*)(?:==(\S+)| @ \S+)", re.M)


def predict_uv(run, install):
    """(name, version) pairs `uv pip install` would install: its --dry-run plan (the lines
    ` + name==version`; a replaced version is a ` - ` line and a ` + ` line)."""
    proc = run(install + ["--dry-run"])
    return [(name, version or "(unknown version)")
            for name, version in UV_PLAN_RE.findall(proc.stdout + "\n" + proc.stderr)]


def uv_install(uv, python, pip_args, cache_dir):
    """The `uv pip install` command of the same install as `pip install PIP_ARGS`: uv has no
    --no-input (it never asks), and names its cache options differently."""
    args = [arg for arg in pip_args if arg != "--no-input"]
    cache = ["--cache-dir", cache_dir] if cache_dir else ["--no-cache"]
    return [uv, "pip", "install", "--python", python, "--no-config", "--compile-bytecode", "--system-certs",
            "--no-progress"] + cache + args


def virtualenv_stat(module, path):
    """os.stat of the virtualenv directory, reached without following a symlink another user
    could have placed, or None when it does not exist."""
    try:
        fd, _created = open_directory(path)
    except FileNotFoundError:
        return None
    except (UnsafePath, OSError) as exc:
        module.fail_json(msg=f"virtualenv: {exc}")
    try:
        return os.fstat(fd)
    finally:
        os.close(fd)


def create_virtualenv(module, run, path, user, group, with_pip=True):
    """Make the directory (owned by the user) and run the distribution's venv module in it
    (without pip when uv installs: ensurepip takes seconds, the venv module alone a tenth).

    The directory is made and chowned through a descriptor (open_directory): a symlink on the
    way that another user could have placed is refused, never followed."""
    python = module.params["python"]
    try:
        fd, _created = open_directory(path, create=True)
    except (UnsafePath, OSError) as exc:
        module.fail_json(msg=f"cannot create {path}: {exc}")
    try:
        if user is not None and os.geteuid() == 0:
            os.fchown(fd, user.pw_uid, group.gr_gid if group is not None else user.pw_gid)
    finally:
        os.close(fd)
    cmd = [python, "-m", "venv"]
    if not with_pip:
        cmd.append("--without-pip")
    if module.params["system_site_packages"]:
        cmd.append("--system-site-packages")
    proc = run(cmd + [path], check=False)
    if proc.returncode != 0:
        hint = ""
        if "ensurepip" in proc.stdout + proc.stderr:
            hint = " (is the distribution's python3-venv package installed?)"
        module.fail_json(msg=f"`{python} -m venv {path}` failed{hint}", rc=proc.returncode,
                         stdout=proc.stdout, stderr=proc.stderr)


def main():
    module = AnsibleModule(
        argument_spec={
            "virtualenv": {"type": "path", "required": True},
            "requirements": {"type": "path"},
            "packages": {"type": "list", "elements": "str", "default": []},
            "wheelhouse": {"type": "path"},
            "index_url": {"type": "str"},
            "extra_index_urls": {"type": "list", "elements": "str", "default": []},
            "require_hashes": {"type": "bool"},
            "extra_args": {"type": "list", "elements": "str", "default": []},
            "python": {"type": "str", "default": "/usr/bin/python3"},
            "system_site_packages": {"type": "bool", "default": False},
            "owner": {"type": "str"},
            "group": {"type": "str"},
            "cache_dir": {"type": "path"},
            "uv": {"type": "path"},
        },
        supports_check_mode=True,
    )
    p = module.params
    venv = p["virtualenv"]
    for key in ("virtualenv", "requirements", "wheelhouse"):
        if p[key] and not os.path.isabs(p[key]):
            module.fail_json(msg=f"{key}: {p[key]!r} must be an absolute path")
    packages = [pkg.strip() for pkg in p["packages"] if pkg and pkg.strip()]
    if p["uv"] and not os.path.isabs(p["uv"]):
        module.fail_json(msg=f"uv: {p['uv']!r} must be an absolute path")
    # The uv to run, when it is there (in check mode it may not be installed yet).
    uv_ready = p["uv"] if p["uv"] and os.path.isfile(p["uv"]) and os.access(p["uv"], os.X_OK) else None
    if p["uv"] and not module.check_mode and not uv_ready:
        module.fail_json(msg=f"uv: {p['uv']} is not an executable file on the target")
    if p["wheelhouse"] and (p["index_url"] or p["extra_index_urls"]):
        module.fail_json(msg="wheelhouse: installs offline, so index_url and extra_index_urls must not be set")

    result = {"changed": False, "virtualenv": venv, "created": False, "packages": {}, "changes": [],
              "pip_version": None, "cmd": [], "require_hashes": False}
    # In check mode on a fresh host, files and users made by earlier (skipped) tasks may be missing:
    # the run is then reported as a change without running pip.
    unknown = []
    for key in ("requirements", "wheelhouse"):
        if p[key] and not os.path.exists(p[key]):
            if not module.check_mode:
                module.fail_json(msg=f"{key}: {p[key]} does not exist on the target")
            unknown.append(f"{key} {p[key]} does not exist yet")

    venv_stat = virtualenv_stat(module, venv)
    exists = venv_stat is not None and os.path.isfile(os.path.join(venv, "bin", "python"))
    user = group = None
    if p["owner"]:
        user = lookup_user(module, p["owner"])
        if user is None:
            if not module.check_mode:
                module.fail_json(msg=f"owner: user {p['owner']!r} does not exist")
            unknown.append(f"user {p['owner']} does not exist yet")
    elif exists:
        user = pwd.getpwuid(venv_stat.st_uid)
    if p["group"]:
        group = lookup_group(module, p["group"])
        if group is None:
            if not module.check_mode:
                module.fail_json(msg=f"group: group {p['group']!r} does not exist")
            unknown.append(f"group {p['group']} does not exist yet")
    if user is not None and user.pw_uid != os.geteuid() and os.geteuid() != 0:
        module.fail_json(msg=f"pip must run as {user.pw_name}, the virtualenv's owner: run the task as root (become)")
    run = Runner(module, user, group, p["cache_dir"])
    if p["cache_dir"] and module.check_mode and not os.path.lexists(p["cache_dir"]):
        unknown.append(f"cache_dir {p['cache_dir']} does not exist yet")
    else:
        cache_problem = cache_dir_problem(p["cache_dir"], user.pw_uid if user is not None else os.geteuid())
        if cache_problem:
            module.fail_json(msg=f"cache_dir: {cache_problem}")

    require_hashes = p["require_hashes"]
    requested = list(packages)
    if p["requirements"] and os.path.exists(p["requirements"]):
        try:
            with as_user(user, group):
                if require_hashes is None:
                    require_hashes = has_hashes(p["requirements"])
                requested += requirement_lines(p["requirements"])
        except (OSError, UnicodeDecodeError) as exc:
            module.fail_json(msg=f"requirements: cannot read {p['requirements']} as "
                                 f"{user.pw_name if user is not None else 'the module user'}: {exc}")
    require_hashes = bool(require_hashes)
    if require_hashes and packages:
        module.fail_json(msg="packages: hash-checking mode (require_hashes, or --hash in the requirements file) "
                             "needs a hash for every requirement; list the packages in the hashed requirements file")
    result["require_hashes"] = require_hashes

    pip_args = ["--no-input"]
    if p["wheelhouse"]:
        pip_args += ["--no-index", "--find-links", p["wheelhouse"]]
    if p["index_url"]:
        pip_args += ["--index-url", p["index_url"]]
    for url in p["extra_index_urls"]:
        pip_args += ["--extra-index-url", url]
    if require_hashes:
        pip_args.append("--require-hashes")
    if p["requirements"]:
        pip_args += ["--requirement", p["requirements"]]
    pip_args += p["extra_args"] + packages
    python = os.path.join(venv, "bin", "python")
    install = [python, "-m", "pip", "install"] + pip_args
    if p["uv"]:
        install = uv_install(p["uv"], python, pip_args, p["cache_dir"])
    result["cmd"] = install

    if not exists or unknown:
        if not exists:
            result["created"] = True
        if module.check_mode:
            result["changed"] = True
            if unknown:
                result["msg"] = "cannot predict the packages: " + "; ".join(unknown)
            if module._diff:
                result["diff"] = {"before_header": f"{venv} (missing)" if not exists else f"{venv} (pip list)",
                                  "after_header": f"{venv} (requested)",
                                  "before": "", "after": "".join(f"{line}\n" for line in requested)}
            module.exit_json(**result)
        create_virtualenv(module, run, venv, user, group, with_pip=not p["uv"])
        if user is None:
            user = pwd.getpwuid(virtualenv_stat(module, venv).st_uid)
            run = Runner(module, user, group, p["cache_dir"])

    # uv lists, installs and predicts when it is there; pip's version matters only to pip's
    # check-mode prediction.
    lister = uv_ready
    has_pip = os.path.isfile(os.path.join(venv, "bin", "pip"))
    if module.check_mode and p["uv"] and not lister and not has_pip:
        result.update(changed=True, msg=f"cannot predict the packages: uv {p['uv']} is not installed yet "
                                        "and the virtualenv has no pip")
        module.exit_json(**result)
    version = None
    if not lister:
        version, result["pip_version"] = pip_version(run, python)
    before = {} if result["created"] else pip_list(run, python, lister)

    if not packages and not p["requirements"]:
        after = before if not result["created"] else pip_list(run, python, lister)
    elif module.check_mode:
        predicted = predict_uv(run, install) if lister else predict(run, python, pip_args, version, requested)
        after = apply_predicted(before, predicted)
    else:
        proc = run(install)
        result.update(stdout=proc.stdout, stderr=proc.stderr)
        after = pip_list(run, python, lister)

    result["packages"] = after
    result["changes"] = compare(before, after)
    result["changed"] = result["created"] or bool(result["changes"])
    if module._diff:
        result["diff"] = {"before_header": f"{venv} (pip list)", "after_header": f"{venv} (pip list)",
                          "before": "" if result["created"] else freeze_lines(before), "after": freeze_lines(after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
