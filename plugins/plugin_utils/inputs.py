# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules for inventory values, written once and used by the filters that check role inputs.

Controller side only. Each check returns a problem (a sentence that names no secret) or
raises AnsibleFilterError naming the variable, so a role refuses a bad value before the host
changes:

- booleans the way a ``type: bool`` argument specification takes them (``"false"``, ``"no"``,
  ``"0"`` are false), never by Python truthiness (the string ``"false"`` is true there);
- environment variable names: POSIX names, and never one that changes how a shell, the
  dynamic loader, Python or uWSGI starts;
- names of well-known system accounts and groups, which an app must never run as or rewrite;
- absolute paths: normalised, and never a system directory.
"""

from __future__ import annotations

import posixpath
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

# An app's name (django_app_name, an app of seaweedfs_buckets): its account, /srv/<name>, its units.
APP_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")

# A POSIX environment variable name (what a shell can export and systemd can pass on).
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Names that change how a program starts rather than what an app reads: the shell's startup
# and tracing (BASH_ENV, ENV, IFS, SHELLOPTS, BASHOPTS, PS4), the dynamic loader's (LD_*),
# Python's (PYTHONPATH, PYTHONHOME, PYTHONSTARTUP), and the process basics (PATH, HOME).
RESERVED_ENV = frozenset({
    "PATH", "HOME", "IFS", "ENV", "BASH_ENV", "SHELLOPTS", "BASHOPTS", "PS4",
    "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT",
    "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
})
# uWSGI reads every UWSGI_<OPTION> of its environment as an option (uid, exec hooks, ...).
RESERVED_ENV_PREFIXES = ("UWSGI_",)

# Well-known system accounts and groups of Debian and Ubuntu, of the services this collection
# installs (postgres, rabbitmq, epmd) and of common ones beside them; systemd-* and _*
# (Debian's convention for new system users) as well.
# The host-side check (UID_MIN/GID_MIN of /etc/login.defs) catches the others.
SYSTEM_ACCOUNTS = frozenset({
    "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp",
    "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody", "nogroup", "adm", "tty",
    "disk", "kmem", "dialout", "fax", "voice", "cdrom", "floppy", "tape", "sudo", "audio", "dip",
    "operator", "src", "shadow", "utmp", "video", "sasl", "plugdev", "staff", "users", "crontab",
    "netdev", "ssl-cert", "input", "sgx", "kvm", "render", "lxd", "docker",
    "messagebus", "syslog", "sshd", "uuidd", "tcpdump", "tss", "landscape", "pollinate",
    "polkitd", "dnsmasq", "ntp", "chrony", "statd", "usbmux", "avahi", "ftp",
    "postgres", "rabbitmq", "epmd", "memcache", "redis", "mysql",
})
SYSTEM_ACCOUNT_PREFIXES = ("systemd-", "_")

# Directories a role must never take as its own directory (they would be chowned, chmodded,
# filled): the root and the FHS top-level directories, and the shared directories below them.
SYSTEM_DIRS = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
    "/lost+found", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/snap", "/srv",
    "/sys", "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/sbin", "/usr/share",
    "/usr/src", "/var", "/var/backups", "/var/cache", "/var/lib", "/var/local", "/var/lock",
    "/var/log", "/var/mail", "/var/opt", "/var/run", "/var/spool", "/var/tmp", "/var/www",
})
# Trees that belong to the system as a whole: no app directory goes below them.
SYSTEM_TREES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
                "/root", "/run", "/sbin", "/sys", "/usr", "/var/cache", "/var/lock", "/var/log",
                "/var/run", "/var/spool")

# What a path may hold (it goes into unit files, shell scripts and nginx configuration).
PATH_RE = re.compile(r"^/[A-Za-z0-9_./+@-]*$")


def shown(value, limit=60):
    """A value for a message: its repr, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 5] + "...'" + f" ({len(str(value))} characters)"


def strict_bool(where, value):
    """``value`` as a bool the way a ``type: bool`` argument specification takes it
    (true/false, yes/no, on/off, 1/0, y/n, t/f in any case, and the booleans 1 and 0); raise
    naming ``where`` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int, float)):
        try:
            return boolean(value, strict=True)
        except TypeError:
            pass
    raise AnsibleFilterError(f"{where}: {shown(value)} is not a boolean (true or false; also yes/no, on/off, 1/0)")


def env_name_problem(name, reserved=()):
    """Why ``name`` cannot be an environment variable the inventory sets, or None."""
    if not isinstance(name, str) or not ENV_NAME_RE.match(name):
        return (f"the key {shown(name)} is not an environment variable name (letters, digits and _, "
                "not starting with a digit)")
    if name in RESERVED_ENV or name.startswith(RESERVED_ENV_PREFIXES):
        return (f"the key {name} is refused: it changes how the shell, the loader, Python or uWSGI "
                f"start (refused: {', '.join(sorted(RESERVED_ENV))} and UWSGI_*)")
    if name in reserved:
        return f"the key {name} is set by the role itself (refused: {', '.join(sorted(reserved))})"
    return None


def system_account_problem(name, what="account"):
    """Why ``name`` is a well-known system account or group, or None."""
    if isinstance(name, str) and (name in SYSTEM_ACCOUNTS or name.startswith(SYSTEM_ACCOUNT_PREFIXES)):
        return (f"{name!r} is a system {what}; the app needs its own (the role creates it, and never "
                "rewrites an account it did not create)")
    return None


def path_problem(value):
    """Why ``value`` is not an absolute, normalised path of safe characters, or None."""
    if not isinstance(value, str):
        return f"{shown(value)} is not a path (a string)"
    if not PATH_RE.match(value):
        return f"{shown(value)} must be an absolute path of letters, digits and _ . / + @ -"
    if value != "/" and (value.endswith("/") or "//" in value or posixpath.normpath(value) != value):
        return f"{shown(value)} is not normalised (no //, no . or .. parts, no trailing /)"
    return None


def below(path, root):
    """Whether ``path`` is strictly below the directory ``root``."""
    return path.startswith(root.rstrip("/") + "/")


def directory_problem(value, allowed_roots):
    """Why ``value`` cannot be a directory a role owns (a normalised path strictly below one of
    ``allowed_roots``, never a system directory or in a system tree), or None."""
    problem = path_problem(value)
    if problem:
        return problem
    if value in SYSTEM_DIRS:
        return f"{value!r} is a system directory"
    tree = next((t for t in SYSTEM_TREES if below(value, t)), None)
    if tree:
        return f"{value!r} is in the system tree {tree}"
    if not any(below(value, root) for root in allowed_roots):
        return f"{value!r} is not below {', '.join(allowed_roots)} (a directory of its own there)"
    return None
