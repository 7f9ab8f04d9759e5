# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inspect and unpack release archives (gzip-compressed tar) without trusting their members.

``inspect`` lists every reason an archive must not become a release: it is not gzip, it is
truncated, a member is absolute, climbs out with ``..``, is a device or a FIFO, lies below a
symlink of the archive, appears twice as different things, is a symlink that leads out of the
release directory or a hard link to anything but an earlier regular file, or a required file
is missing. ``unpack`` refuses the same things (the same function judges the archive on the
controller and on the host), then extracts into a hidden directory next to the destination
and renames it into place only when complete, so a failure leaves nothing behind.

Links are judged physically, the way the kernel will follow them, not by the text of their
target: the archive's members are laid out one after the other in a model of the release
directory, and a symlink's target is resolved through every symlink the archive creates before
it (``a/b/c/d/e/l -> ../../../../..`` then ``venv -> a/b/c/d/e/l/../../../../etc/cron.d`` is
``/etc/cron.d``, though the text stays inside), and again once every member is in place (a
later member can make an earlier target lead elsewhere). This does not depend on the Python
version: ``tarfile.data_filter`` (Python 3.12, and 3.11.4/3.10.12 and later) is not used, since
Debian 12's Python 3.11.2 lacks it, and the unpack must hold the same on every host.

The extraction never follows a link either, whatever the check said: it creates each member
relative to an open descriptor of its parent directory, walked one component at a time with
``O_NOFOLLOW``; files are created with ``O_NOFOLLOW``, owners and modes are set on descriptors
(a symlink's own owner with ``follow_symlinks=False``), hard links are made with
``follow_symlinks=False``. The hidden directory is private (0700) until it is complete.
Modes are those of ``tarfile.data_filter``: no setuid, setgid or sticky bit and no group or
other write bit, directories 0755; owners come from ``owner``/``group``, never the archive.

Both can also read the project inside an archive that passes: its entry points (``discover``)
and the module paths it must hold (``modules``); see ``django_project``. Only the few source
files this needs are read, at most READ_LIMIT bytes each; nothing is executed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import os
import posixpath
import re
import shutil
import stat
import tarfile

from ansible_collections.webstack.django.plugins.module_utils.django_project import (
    Unreadable, check_modules, discover as discover_project)

GZIP_MAGIC = b"\x1f\x8b"
READ_LIMIT = 1024 * 1024
# As the kernel's ELOOP limit: more symlinks than this on one path is a loop.
MAX_LINKS = 40
CHUNK = 1024 * 1024

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


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


# --- The release directory as the archive lays it out -------------------------------------

DIR, FILE, HARDLINK, SYMLINK = "directory", "regular file", "hard link", "symlink"


class _Node:
    __slots__ = ("kind", "member", "target")

    def __init__(self, kind, member=None, target=None):
        self.kind = kind
        self.member = member  # the member's name; None for a directory made for a member below it
        self.target = target  # a symlink's target


class _Resolved:
    """Where a path leads: ``parts`` inside the release, or ``outside``/``loop``; ``via`` lists
    the symlinks passed, as ``name -> target``."""

    def __init__(self, parts=None, outside=False, loop=False, via=()):
        self.parts = parts
        self.outside = outside
        self.loop = loop
        self.via = list(via)

    def why(self):
        if not self.via:
            return ""
        return " (through %s)" % ", ".join(self.via)


class Layout:
    """The release directory as unpacking the members so far leaves it (nothing on disk).

    Paths are relative to the release directory, components joined with ``/``, the directory
    itself is ``""``. ``add`` judges one member against what the earlier ones made and returns
    the reasons to refuse it; ``final_errors`` judges every symlink again once all are in place.
    """

    def __init__(self):
        self.nodes = {"": _Node(DIR)}
        self.symlinks = []  # (path, member name) in archive order, those not refused when added

    def resolve(self, start, target):
        """Follow target from the directory ``start`` (a list of components) as the kernel would:
        every symlink met, the last one too, is replaced by its own target, resolved from the
        directory that holds it; ``..`` climbs from where the links led, not from the text.
        A component that does not exist (yet) is taken as a directory the archive may still
        make, so that a later member cannot turn an accepted target into an escape unnoticed
        (``final_errors`` looks again)."""
        parts = list(start)
        pending = target.split("/")
        via = []
        links = 0
        while pending:
            name = pending.pop(0)
            if name in ("", "."):
                continue
            if name == "..":
                if not parts:
                    return _Resolved(outside=True, via=via)
                parts.pop()
                continue
            node = self.nodes.get("/".join(parts + [name]))
            if node is not None and node.kind == SYMLINK:
                links += 1
                via.append("%s -> %s" % ("/".join(parts + [name]), node.target))
                if links > MAX_LINKS:
                    return _Resolved(loop=True, via=via[:3] + ["..."])
                if node.target.startswith("/"):
                    return _Resolved(outside=True, via=via)
                pending = node.target.split("/") + pending
                continue
            parts.append(name)
        return _Resolved(parts=parts, via=via)

    def _parent_errors(self, name, parents):
        """A member must lie in real directories: none of its parents a symlink or a file."""
        for depth in range(1, len(parents) + 1):
            parent = "/".join(parents[:depth])
            node = self.nodes.get(parent)
            if node is None:
                continue
            if node.kind == SYMLINK:
                return ["%s: lies below the symlink %s (-> %s)" % (name, parent, node.target)]
            if node.kind != DIR:
                return ["%s: lies below %s, a %s" % (name, parent, node.kind)]
        return []

    def _link_errors(self, name, path, target):
        """Why the symlink ``path -> target`` must not be unpacked, judged on the layout as it is."""
        if target == "":
            return ["%s: symlink with an empty target" % name]
        if target.startswith("/"):
            return ["%s: symlink to the absolute path %s" % (name, target)]
        resolved = self.resolve(path.split("/")[:-1], target)
        if resolved.loop:
            return ["%s: symlink to %s, a loop of symlinks%s" % (name, target, resolved.why())]
        if resolved.outside:
            return ["%s: symlink to %s, outside the archive: it leads above the release directory%s"
                    % (name, target, resolved.why())]
        return []

    def _hardlink_errors(self, name, target):
        """A hard link must name an earlier regular file of the archive, reached through
        directories only: ``os.link`` would follow a symlink named as its target."""
        if target.startswith("/"):
            return ["%s: hard link to %s, outside the archive (an absolute path)" % (name, target)]
        if ".." in target.split("/"):
            return ["%s: hard link to %s, outside the archive ('..' in the target)" % (name, target)]
        path = _normal(target)
        if path is None:
            return ["%s: hard link to %s, the release directory itself" % (name, target)]
        errors = self._parent_errors(name, path.split("/")[:-1])
        if errors:
            return ["%s: hard link to %s, which%s" % (name, target, errors[0].split(":", 1)[1])]
        node = self.nodes.get(path)
        if node is None:
            return ["%s: hard link to %s, which is no earlier member of the archive" % (name, target)]
        if node.kind == SYMLINK:
            return ["%s: hard link to %s, a symlink (-> %s)" % (name, target, node.target)]
        if node.kind == DIR:
            return ["%s: hard link to %s, a directory" % (name, target)]
        return []

    def add(self, member):
        """The reasons to refuse member, given the members before it; records it when it can
        be placed at all (a refused symlink too, so that members below it are named)."""
        name = member.name
        errors = []
        if name.startswith("/"):
            errors.append("%s: absolute path" % name)
        if ".." in name.split("/"):
            errors.append("%s: '..' in the path" % name)
        if member.ischr() or member.isblk() or member.isfifo():
            errors.append("%s: device or FIFO" % name)
        elif not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            errors.append("%s: unsupported member type" % name)
        if errors:
            return errors
        path = _normal(name)
        if path is None:
            return [] if member.isdir() else ["%s: names the release directory itself, as a %s"
                                              % (name, _kind(member))]
        parts = path.split("/")
        errors = self._parent_errors(name, parts[:-1])
        if errors:
            return errors
        kind = _kind(member)
        old = self.nodes.get(path)
        if old is not None and not (old.kind == kind and kind in (DIR, FILE)):
            return ["%s: already in the archive as a %s%s, now a %s" % (
                name, old.kind, "" if old.member in (None, name) else " (%s)" % old.member, kind)]
        if member.issym():
            errors = self._link_errors(name, path, member.linkname)
        elif member.islnk():
            errors = self._hardlink_errors(name, member.linkname)
            if errors:
                return errors
        for depth in range(1, len(parts)):
            self.nodes.setdefault("/".join(parts[:depth]), _Node(DIR))
        self.nodes[path] = _Node(kind, name, member.linkname if member.issym() else None)
        if member.issym() and not errors:
            self.symlinks.append((path, name))
        return errors

    def final_errors(self):
        """Every symlink judged again with every member in place."""
        errors = []
        for path, name in self.symlinks:
            for error in self._link_errors(name, path, self.nodes[path].target):
                errors.append(error + " once the whole archive is unpacked")
        return errors


def _kind(member):
    if member.isdir():
        return DIR
    if member.issym():
        return SYMLINK
    if member.islnk():
        return HARDLINK
    return FILE


def check_members(members, required=()):
    """Every reason to refuse an archive of these members (tarfile.TarInfo, in archive order)."""
    layout = Layout()
    errors = []
    for member in members:
        errors.extend(layout.add(member))
    errors.extend(layout.final_errors())
    for name in required:
        node = layout.nodes.get(_normal(name))
        if node is None or node.member is None:
            errors.append("%s: missing (required)" % name)
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
    try:
        members = archive.getmembers()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArchiveError("%s is truncated or corrupt: %s" % (path, exc))
    return members, check_members(members, required)


# Where a requirement's name ends: a version, extras, a marker, a URL.
_NAME_END = re.compile(r"[\s=<>!~\[;@(]")


def requirement_name(spec):
    """The normalised (PEP 503) distribution name of a requirement line or specifier."""
    return re.sub(r"[-_.]+", "-", _NAME_END.split(spec.strip(), 1)[0]).lower()


_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")


def lock_entries(files, lock, seen=None):
    """(file, line number, normalised name) of every requirement of the lock file ``lock`` and of
    the files it includes with -r/-c (relative to it, inside the archive); none for a file that
    cannot be read (the required check reports a missing lock)."""
    seen = set() if seen is None else seen
    if lock in seen or len(seen) > 20:
        return []
    seen.add(lock)
    try:
        text = files.read(lock).decode("utf-8", "replace")
    except Unreadable:
        return []
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split(" #", 1)[0].strip()
        include = _INCLUDE.match(entry)
        if include:
            target = _normal(posixpath.join(posixpath.dirname(lock), include.group(1)))
            if target is not None:
                entries.extend(lock_entries(files, target, seen))
            continue
        if entry and not entry.startswith(("#", "-")):
            entries.append((lock, number, requirement_name(entry)))
    return entries


def lock_problems(files, required, refused=(), needed=None):
    """Every reason the locks ``required`` cannot be installed as the deployment installs them:
    a line naming a package of ``refused`` (the deployment adds it to every venv itself), and a
    package of ``needed`` (a dict: name -> why the deployment needs it) that no lock names."""
    refused = {requirement_name(spec) for spec in refused if spec.strip()}
    needed = {requirement_name(name): why for name, why in dict(needed or {}).items() if name.strip()}
    if not (refused or needed) or not required:
        return []
    entries = [entry for lock in required for entry in lock_entries(files, _normal(lock) or lock)]
    problems = ["%s line %d pins %s: the deployment adds it to every release's venv itself "
                "(django_app_venv_packages); leave it out of the project's lock" % entry
                for entry in entries if entry[2] in refused]
    named = {entry[2] for entry in entries}
    problems += ["%s does not name %s: %s" % (", ".join(required), name, why)
                 for name, why in sorted(needed.items()) if name not in named]
    return problems


def _read_project(files, discover, modules):
    """The discovered entry points (None without discover); raises ProjectError for modules."""
    project = discover_project(files) if discover else None
    errors = check_modules(files, modules or {})
    if errors:
        raise ProjectError(errors, project)
    return project


def inspect(path, required=()):
    """Return (members, errors): the member list and every reason to refuse the archive."""
    with _open(path) as archive:
        return _check(archive, path, required)


def inspect_release(path, required=(), discover=False, modules=None, refused=(), needed=None):
    """Return (members, errors, project), like inspect, and read the project of a sound archive.

    project is the discovered entry points with discover, else None (and None when errors).
    Raises ProjectError when a module of modules (variable -> ``pkg.mod[:attr]``) is missing.
    A required file (the lock) that names a package of refused, or locks that leave out a
    package of needed, are errors too.
    """
    with _open(path) as archive:
        members, errors = _check(archive, path, required)
        files = ArchiveFiles(archive, members)
        if not errors:
            errors = lock_problems(files, required, refused, needed)
        project = None
        if not errors and (discover or modules):
            project = _read_project(files, discover, modules)
        return members, errors, project


def unpack(path, dest, required=(), owner=None, group=None, discover=False, modules=None, refused=(),
           needed=None):
    """Unpack into dest, atomically; dest must not exist yet. Raises ArchiveError.

    Returns (members, project): project as for inspect_release, read before anything is
    extracted, so a ProjectError leaves nothing behind either.
    """
    with _open(path) as archive:
        members, errors = _check(archive, path, required)
        files = ArchiveFiles(archive, members)
        if not errors:
            errors = lock_problems(files, required, refused, needed)
        if errors:
            raise ArchiveError("%s: %s" % (path, "; ".join(errors)))
        project = _read_project(files, discover, modules) if discover or modules else None
        _extract(archive, members, path, dest, owner, group)
    return members, project


# --- Extraction: relative to directory descriptors, never through a link -------------------

def file_mode(mode):
    """The mode a regular file gets, as tarfile.data_filter gives it: owner read and write,
    execute for group and others only with the owner's, no setuid, setgid, sticky or
    group/other write bit."""
    mode = (mode or 0) & 0o755 | 0o600
    if not mode & 0o100:
        mode &= ~0o111
    return mode


DIR_MODE = 0o755


def _open_below(root_fd, parts, make=None):
    """A descriptor of the directory ``parts`` below root_fd, each component opened with
    O_NOFOLLOW (a symlink or anything but a directory fails). With make (uid, gid), missing
    directories are created."""
    fd = os.dup(root_fd)
    try:
        for name in parts:
            try:
                next_fd = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if make is None:
                    raise
                os.mkdir(name, 0o700, dir_fd=fd)
                next_fd = os.open(name, _DIR_FLAGS, dir_fd=fd)
                _own(next_fd, DIR_MODE, *make)
            os.close(fd)
            fd = next_fd
        return fd
    except BaseException:
        os.close(fd)
        raise


def _own(fd, mode, uid, gid):
    os.fchmod(fd, mode)
    if uid != -1 or gid != -1:
        os.fchown(fd, uid, gid)


def _write_file(archive, member, dir_fd, name, uid, gid):
    fd = os.open(name, _FILE_FLAGS, 0o600, dir_fd=dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file once opened", member.name)
        source = archive.extractfile(member)
        for chunk in iter(lambda: source.read(CHUNK), b""):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
        _own(fd, file_mode(member.mode), uid, gid)
        os.utime(fd, (member.mtime, member.mtime))
    finally:
        os.close(fd)


def _extract_member(archive, member, root_fd, uid, gid, dirs):
    path = _normal(member.name)
    if path is None:
        dirs[""] = member.mtime
        return
    parts = path.split("/")
    dir_fd = _open_below(root_fd, parts[:-1], make=(uid, gid))
    name = parts[-1]
    try:
        if member.isdir():
            try:
                os.mkdir(name, 0o700, dir_fd=dir_fd)
            except FileExistsError:
                pass
            fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
            try:
                _own(fd, DIR_MODE, uid, gid)
            finally:
                os.close(fd)
            dirs[path] = member.mtime
        elif member.isfile():
            _write_file(archive, member, dir_fd, name, uid, gid)
        elif member.issym():
            os.symlink(member.linkname, name, dir_fd=dir_fd)
            if uid != -1 or gid != -1:
                os.chown(name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)
        elif member.islnk():
            target = _normal(member.linkname).split("/")
            source_fd = _open_below(root_fd, target[:-1])
            try:
                os.link(target[-1], name, src_dir_fd=source_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
            finally:
                os.close(source_fd)
        else:  # refused by the check already
            raise OSError(errno.EINVAL, "unsupported member type", member.name)
    finally:
        os.close(dir_fd)


def _remove(parent, name):
    """Remove a leftover entry without following it (a symlink is unlinked, not its target)."""
    path = os.path.join(parent, name)
    if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
        os.unlink(path)
    elif os.path.lexists(path):
        shutil.rmtree(path)


def _extract(archive, members, path, dest, owner, group):
    """Extract the checked members into a private hidden directory, then rename it to dest."""
    parent, base = os.path.split(dest.rstrip("/"))
    parent = parent or "."
    partial = ".%s.partial" % base
    uid = -1 if owner is None else owner
    gid = -1 if group is None else group
    _remove(parent, partial)
    parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    root_fd = None
    try:
        os.mkdir(partial, 0o700, dir_fd=parent_fd)
        root_fd = os.open(partial, _DIR_FLAGS, dir_fd=parent_fd)
        dirs = {}
        for member in members:
            try:
                _extract_member(archive, member, root_fd, uid, gid, dirs)
            except (OSError, EOFError, tarfile.TarError, ValueError, OverflowError) as exc:
                raise ArchiveError("%s could not be unpacked: %s: %s" % (path, member.name, exc))
        # Directory times last (creating their entries changed them), deepest first.
        for rel in sorted(dirs, key=lambda p: -p.count("/") - (1 if p else 0)):
            fd = _open_below(root_fd, rel.split("/") if rel else [])
            try:
                os.utime(fd, (dirs[rel], dirs[rel]))
            finally:
                os.close(fd)
        _own(root_fd, DIR_MODE, uid, gid)
        # The entry must still be the directory made above (nobody but the parent's owners can
        # swap it), and dest must not exist: rename(2) replaces an empty directory.
        if not os.path.samestat(os.fstat(root_fd), os.stat(partial, dir_fd=parent_fd, follow_symlinks=False)):
            raise ArchiveError("%s could not be unpacked: %s was replaced while unpacking" % (path, partial))
        if os.path.lexists(dest):
            raise ArchiveError("%s could not be unpacked: %s appeared while unpacking" % (path, dest))
        os.rename(partial, base, src_dir_fd=parent_fd, dst_dir_fd=parent_fd)
    except BaseException as exc:
        if root_fd is not None:
            try:
                _remove(parent, partial)
            except OSError:
                pass
        if isinstance(exc, (tarfile.TarError, OSError, EOFError)):
            raise ArchiveError("%s could not be unpacked: %s" % (path, exc))
        raise
    finally:
        if root_fd is not None:
            os.close(root_fd)
        os.close(parent_fd)
