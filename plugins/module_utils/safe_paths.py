# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Open a path as root without following a symlink that another user could have placed.

``open_directory`` walks an absolute path from ``/`` one component at a time, each opened with
``O_NOFOLLOW`` relative to the descriptor of its parent. A symlink is followed only when the
directory that holds it is trusted: owned by root (or by the user the process runs as) and
writable by nobody else. So ``/srv -> /data/srv`` made by the administrator is followed, but
``venv -> /etc/cron.d`` inside a release the app user owns is refused (``UnsafePath``), and what
the caller then does (``fchown``, ``mkdir``, ``open``) goes to the directory it was given, not
wherever a link swapped in meanwhile points.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

MAX_LINKS = 40
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
# The directories on the way are only passed through: O_PATH (Linux) needs no read permission
# on them, as a path lookup does not; the last one is opened again with DIR_FLAGS.
WALK_FLAGS = (os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC) if hasattr(os, "O_PATH") else DIR_FLAGS


class UnsafePath(Exception):
    """A path that reaches its target only through a link another user controls; names both."""


def trusted(st, euid=None):
    """Whether a directory's links were made by root or by us: its owner is root or euid, and
    neither its group nor others can write it."""
    euid = os.geteuid() if euid is None else euid
    return st.st_uid in (0, euid) and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _who(st):
    try:
        import pwd
        return "user %s" % pwd.getpwuid(st.st_uid).pw_name
    except (ImportError, KeyError):
        return "uid %d" % st.st_uid


def open_directory(path, create=False, mode=0o755):
    """Return (fd, created): an O_DIRECTORY descriptor of the absolute path and the paths of
    the directories made on the way (with create; mode as mkdir's, before the umask).

    Raises UnsafePath for a symlink in a directory that is not trusted, NotADirectoryError
    for a component that is no directory, FileNotFoundError for a missing one without create.
    """
    if not path.startswith("/"):
        raise ValueError("%s is not an absolute path" % path)
    euid = os.geteuid()
    fds = [os.open("/", WALK_FLAGS)]
    names = []
    created = []
    pending = path.split("/")
    links = 0
    try:
        while pending:
            name = pending.pop(0)
            if name in ("", "."):
                continue
            if name == "..":
                if len(fds) > 1:
                    os.close(fds.pop())
                    names.pop()
                continue
            here = "/" + "/".join(names)
            try:
                st = os.stat(name, dir_fd=fds[-1], follow_symlinks=False)
            except FileNotFoundError:
                if not create:
                    raise FileNotFoundError("%s does not exist" % os.path.join(here, name))
                try:
                    os.mkdir(name, mode, dir_fd=fds[-1])
                    created.append(os.path.join(here, name))
                except FileExistsError:
                    pass  # made meanwhile: looked at again below
                pending.insert(0, name)
                continue
            if stat.S_ISLNK(st.st_mode):
                holder = os.fstat(fds[-1])
                if not trusted(holder, euid):
                    raise UnsafePath(
                        "%s is a symlink (-> %s) in %s, a directory %s%s can write: not followed"
                        % (os.path.join(here, name), os.readlink(name, dir_fd=fds[-1]), here, _who(holder),
                           "" if not holder.st_mode & (stat.S_IWGRP | stat.S_IWOTH) else " or others"))
                links += 1
                if links > MAX_LINKS:
                    raise UnsafePath("%s: too many levels of symlinks" % path)
                target = os.readlink(name, dir_fd=fds[-1])
                if target.startswith("/"):
                    while len(fds) > 1:
                        os.close(fds.pop())
                    names = []
                pending = target.split("/") + pending
                continue
            if not stat.S_ISDIR(st.st_mode):
                raise NotADirectoryError("%s is not a directory" % os.path.join(here, name))
            fds.append(os.open(name, WALK_FLAGS, dir_fd=fds[-1]))
            names.append(name)
        return os.open(".", DIR_FLAGS, dir_fd=fds[-1]), created
    finally:
        for fd in fds:
            os.close(fd)


def open_file(path, flags=os.O_RDONLY, mode=0o644):
    """A descriptor of the file at the absolute path: its directory walked as by open_directory,
    the file itself opened with O_NOFOLLOW unless it is a symlink in a trusted directory (then
    its target is walked the same way)."""
    links = 0
    while True:
        directory, name = os.path.split(path)
        if not name:
            raise IsADirectoryError("%s is a directory" % path)
        dir_fd, _created = open_directory(directory)
        try:
            try:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                st = None
            if st is not None and stat.S_ISLNK(st.st_mode):
                holder = os.fstat(dir_fd)
                if not trusted(holder):
                    raise UnsafePath("%s is a symlink (-> %s) in %s, a directory %s can write: not followed"
                                     % (path, os.readlink(name, dir_fd=dir_fd), directory, _who(holder)))
                links += 1
                if links > MAX_LINKS:
                    raise UnsafePath("%s: too many levels of symlinks" % path)
                path = os.path.join(directory, os.readlink(name, dir_fd=dir_fd))
                continue
            return os.open(name, flags | os.O_NOFOLLOW | _CLOEXEC, mode, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
