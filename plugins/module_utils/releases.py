# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release layout helpers (target side, stdlib only).

Layout: ``<root>/releases/<id>``, ``<root>/shared``, ``<root>/current -> releases/<id>`` and
the history file ``<root>/releases.json``, a JSON list of entries, oldest first::

    {"id": "20240501-1", "state": "deployed", "at": "2024-05-01T12:00:00Z",
     "previous": "20240430-3", "note": null}

``state`` is ``deployed`` or ``rolled_back`` (``id`` became current, ``previous`` is what
``current`` pointed at before) or ``failed`` (``id`` was marked failed, ``previous`` null).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re
import shutil
import stat
import tempfile
import uuid

from ansible_collections.webstack.django.plugins.module_utils.release_build import RELEASE
from ansible_collections.webstack.django.plugins.module_utils.safe_paths import UnsafePath, open_file

RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HISTORY_STATES = ("deployed", "rolled_back", "failed")
HISTORY_FILE = "releases.json"


class ReleaseError(Exception):
    """A layout or history problem the module reports with fail_json."""


def valid_release_id(value):
    return bool(RELEASE_ID.match(value or "")) and value not in (".", "..")


def releases_dir(root):
    return os.path.join(root, "releases")


def history_path(root):
    return os.path.join(root, HISTORY_FILE)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_current(root):
    """Return the release id ``<root>/current`` points at, or None when there is no link."""
    link = os.path.join(root, "current")
    if not os.path.islink(link):
        if os.path.lexists(link):
            raise ReleaseError("%s exists and is not a symlink; refusing to manage it" % link)
        return None
    target = os.readlink(link)
    resolved = os.path.normpath(os.path.join(root, target))
    if os.path.dirname(resolved) != os.path.normpath(releases_dir(root)):
        raise ReleaseError("%s points at %s, which is not a directory under %s"
                           % (link, target, releases_dir(root)))
    return os.path.basename(resolved)


def reported_id(root, release):
    """The first line of the release's RELEASE file (the id it reports about itself), or None
    when the file is missing, is not a regular file reached without a symlink the app user
    could have placed (the release is the app user's: ``RELEASE -> /etc/shadow`` must not make
    root read it), or its first line is empty."""
    try:
        fd = open_file(os.path.abspath(os.path.join(releases_dir(root), release, RELEASE)),
                       os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, UnsafePath):
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        first = handle.readline(4096)
    return first.decode("utf-8", "replace").strip() or None


def list_releases(root):
    """Release ids present on disk (directories directly under releases/), sorted by name."""
    path = releases_dir(root)
    if not os.path.isdir(path):
        return []
    return sorted(name for name in os.listdir(path)
                  if valid_release_id(name) and _is_real_dir(os.path.join(path, name)))


def _is_real_dir(path):
    """A directory, not a symlink to one: releases are unpacked directories, never links."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def load_history(path):
    if not os.path.exists(path):
        return []
    try:
        with open(path) as handle:
            history = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ReleaseError("cannot read release history %s: %s" % (path, exc))
    if not isinstance(history, list):
        raise ReleaseError("release history %s must hold a JSON list" % path)
    for index, entry in enumerate(history):
        if (not isinstance(entry, dict) or not isinstance(entry.get("id"), str)
                or entry.get("state") not in HISTORY_STATES):
            raise ReleaseError("release history %s: entry %d needs a string id and a state in %s"
                               % (path, index, ", ".join(HISTORY_STATES)))
    return history


def save_history(path, history):
    """Write the history atomically (temp file in the same directory, then rename)."""
    directory = os.path.dirname(path) or "."
    mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o644
    fd, tmp = tempfile.mkstemp(prefix=".releases.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(history, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def entry(release, state, previous=None, note=None, at=None):
    return {"id": release, "state": state, "at": at or utc_now(), "previous": previous,
            "note": note}


def switch_current(root, release):
    """Point ``<root>/current`` at ``releases/<release>`` without a moment without the link.

    A temporary relative symlink is created next to ``current`` and renamed over it;
    rename(2) replaces the old link atomically.
    """
    link = os.path.join(root, "current")
    tmp = os.path.join(root, ".current.%s.tmp" % uuid.uuid4().hex)
    os.symlink(os.path.join("releases", release), tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        os.unlink(tmp)
        raise
    _fsync_dir(root)


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def rollback_target(history, current):
    """The release deployed before ``current``, skipping failed ones; None when there is none.

    Follows the chain of ``deployed`` entries backwards: the latest deploy of ``current``
    names what was current before it, and so on while that one is marked failed.
    """
    failed = set(e["id"] for e in history if e["state"] == "failed")
    seen = set([current])
    release = current
    while True:
        previous = None
        for item in reversed(history):
            if item["state"] == "deployed" and item["id"] == release:
                previous = item.get("previous")
                break
        if previous is None or previous in seen:
            return None
        if previous not in failed:
            return previous
        seen.add(previous)
        release = previous


def plan_prune(history, on_disk, keep, protected):
    """Split ``on_disk`` into (kept, removed).

    Keeps the ``keep`` releases that appear last in the history, every id in ``protected``
    (current and previous) and every release the history does not know (never deployed, so
    no order to judge it by). Directory mtimes play no part.
    """
    rank = {}
    for index, item in enumerate(history):
        rank[item["id"]] = index
    known = sorted((r for r in on_disk if r in rank), key=lambda r: rank[r], reverse=True)
    keep_set = set(known[:keep]) | set(p for p in protected if p)
    removed = [r for r in known if r not in keep_set]
    kept = [r for r in on_disk if r not in removed]
    return kept, sorted(removed, key=lambda r: rank[r])


def releases_in_use(root, proc="/proc"):
    """The release ids a running process names in its command line (under ``<root>/releases/``).

    A script started through ``current/venv/bin`` runs the interpreter its shebang names, the
    release's own (``releases/<id>/venv/bin/python``), for as long as it lives: uWSGI's master
    keeps it across chain reloads, so its release must outlive a prune. Processes that cannot
    be read (gone, or another namespace's) are skipped.
    """
    prefix = os.path.join(releases_dir(root), "").encode()
    found = set()
    try:
        pids = [name for name in os.listdir(proc) if name.isdigit()]
    except OSError:
        return found
    for pid in pids:
        try:
            with open(os.path.join(proc, pid, "cmdline"), "rb") as handle:
                args = handle.read().split(b"\0")
        except OSError:
            continue
        for arg in args:
            if arg.startswith(prefix):
                release = arg[len(prefix):].split(b"/", 1)[0].decode("utf-8", "replace")
                if release:
                    found.add(release)
    return found


def remove_release(root, release):
    path = os.path.join(releases_dir(root), release)
    if os.path.islink(path):
        os.unlink(path)
    else:
        shutil.rmtree(path)
