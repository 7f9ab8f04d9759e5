# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inspect and unpack release archives (gzip-compressed tar) without trusting their members.

``inspect`` lists every reason an archive must not become a release: it is not gzip, it is
truncated, a member is absolute, climbs out with ``..``, is a device or a FIFO, is a link that
points outside the archive, lies below a symlink of the archive, or a required file is
missing. ``unpack`` refuses the same things, extracts into a hidden directory next to the
destination and renames it into place only when complete, so a failure leaves nothing behind.

Both can also read the project inside an archive that passes: its entry points (``discover``)
and the module paths it must hold (``modules``); see ``django_project``. Only the few source
files this needs are read, at most READ_LIMIT bytes each; nothing is executed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import posixpath
import shutil
import tarfile

from ansible_collections.webstack.django.plugins.module_utils.django_project import (
    Unreadable, check_modules, discover as discover_project)

GZIP_MAGIC = b"\x1f\x8b"
READ_LIMIT = 1024 * 1024


class ArchiveError(Exception):
    """An archive that must not be unpacked; the message names the archive or the member."""


class ProjectError(ArchiveError):
    """Module paths the archive does not hold: one line each, naming the variable and the module."""

    def __init__(self, errors, project=None):
        super().__init__("; ".join(errors))
        self.errors = errors
        self.project = project


class ArchiveFiles:
    """The files (not directories) of an open, checked archive, by their normalised path."""

    def __init__(self, archive, members):
        self._archive = archive
        self._members = {}
        for member in members:
            path = _normal(member.name)
            if path is not None and not member.isdir():
                self._members[path] = member

    def has(self, path):
        return path in self._members

    def read(self, path):
        """The file's bytes; raises Unreadable for a missing, special or too large file."""
        member = self._members.get(path)
        if member is None:
            raise Unreadable("%s is not in the release archive" % path)
        if member.isfile() and member.size > READ_LIMIT:
            raise Unreadable("%s is larger than %d bytes: not read" % (path, READ_LIMIT))
        try:
            stream = self._archive.extractfile(member)
            data = None if stream is None else stream.read(READ_LIMIT + 1)
        except (tarfile.TarError, OSError, EOFError, KeyError) as exc:
            raise Unreadable("%s cannot be read from the release archive: %s" % (path, exc))
        if data is None:
            raise Unreadable("%s is not a regular file" % path)
        if len(data) > READ_LIMIT:
            raise Unreadable("%s is larger than %d bytes: not read" % (path, READ_LIMIT))
        return data


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _normal(name):
    """The member's path relative to the archive root, or None for the root itself."""
    path = posixpath.normpath(name.lstrip("/") if name.startswith("/") else name)
    return None if path in (".", "") else path


def _inside(path):
    return path is not None and not path.startswith("../") and path != ".." and not posixpath.isabs(path)


def _member_errors(member, links):
    name = member.name
    errors = []
    if name.startswith("/"):
        errors.append("%s: absolute path" % name)
    if ".." in name.split("/"):
        errors.append("%s: '..' in the path" % name)
    path = _normal(name)
    if path is not None:
        parents = path.split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            parent = "/".join(parents[:depth])
            if parent in links:
                errors.append("%s: lies below the symlink %s" % (name, parent))
                break
    if member.ischr() or member.isblk() or member.isfifo():
        errors.append("%s: device or FIFO" % name)
    elif member.issym():
        if posixpath.isabs(member.linkname):
            errors.append("%s: symlink to the absolute path %s" % (name, member.linkname))
        else:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path or ""), member.linkname))
            if not _inside(target):
                errors.append("%s: symlink to %s, outside the archive" % (name, member.linkname))
    elif member.islnk():
        target = posixpath.normpath(member.linkname)
        if not _inside(target) or member.linkname.startswith("/"):
            errors.append("%s: hard link to %s, outside the archive" % (name, member.linkname))
    elif not (member.isfile() or member.isdir()):
        errors.append("%s: unsupported member type" % name)
    return errors


def _open(path):
    with open(path, "rb") as stream:
        head = stream.read(2)
    if head != GZIP_MAGIC:
        raise ArchiveError("%s is not a gzip-compressed tar archive (it starts with %r, not %r)"
                           % (path, head, GZIP_MAGIC))
    try:
        return tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError("%s cannot be read as a tar archive: %s" % (path, exc))


def _check(archive, path, required):
    """(members, errors) of an open archive: every reason to refuse it."""
    errors = []
    links = set()
    names = set()
    try:
        members = archive.getmembers()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError("%s is truncated or corrupt: %s" % (path, exc))
    for member in members:
        errors.extend(_member_errors(member, links))
        path_in = _normal(member.name)
        if path_in is not None:
            names.add(path_in)
            if member.issym():
                links.add(path_in)
    for name in required:
        if _normal(name) not in names:
            errors.append("%s: missing (required)" % name)
    return members, errors


def _read_project(archive, members, discover, modules):
    """The discovered entry points (None without discover); raises ProjectError for modules."""
    files = ArchiveFiles(archive, members)
    project = discover_project(files) if discover else None
    errors = check_modules(files, modules or {})
    if errors:
        raise ProjectError(errors, project)
    return project


def inspect(path, required=()):
    """Return (members, errors): the member list and every reason to refuse the archive."""
    with _open(path) as archive:
        return _check(archive, path, required)


def inspect_release(path, required=(), discover=False, modules=None):
    """Return (members, errors, project), like inspect, and read the project of a sound archive.

    project is the discovered entry points with discover, else None (and None when errors).
    Raises ProjectError when a module of modules (variable -> ``pkg.mod[:attr]``) is missing.
    """
    with _open(path) as archive:
        members, errors = _check(archive, path, required)
        project = None
        if not errors and (discover or modules):
            project = _read_project(archive, members, discover, modules)
        return members, errors, project


def unpack(path, dest, required=(), owner=None, group=None, discover=False, modules=None):
    """Unpack into dest, atomically; dest must not exist yet. Raises ArchiveError.

    Returns (members, project): project as for inspect_release, read before anything is
    extracted, so a ProjectError leaves nothing behind either.
    """
    with _open(path) as archive:
        members, errors = _check(archive, path, required)
        if errors:
            raise ArchiveError("%s: %s" % (path, "; ".join(errors)))
        project = _read_project(archive, members, discover, modules) if discover or modules else None
        _extract(archive, members, path, dest, owner, group)
    return members, project


def _extract(archive, members, path, dest, owner, group):
    """Extract the checked members into a hidden directory, then rename it to dest."""
    parent, base = os.path.split(dest.rstrip("/"))
    partial = os.path.join(parent, ".%s.partial" % base)
    if os.path.lexists(partial):
        shutil.rmtree(partial)
    os.mkdir(partial, 0o755)
    try:
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(partial, members=members, **kwargs)
        if owner is not None or group is not None:
            uid = -1 if owner is None else owner
            gid = -1 if group is None else group
            for root, dirs, files in os.walk(partial):
                os.lchown(root, uid, gid)
                for entry in dirs + files:
                    os.lchown(os.path.join(root, entry), uid, gid)
        os.rename(partial, dest)
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, (tarfile.TarError, OSError, EOFError)):
            raise ArchiveError("%s could not be unpacked: %s" % (path, exc))
        raise
