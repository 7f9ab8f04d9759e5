# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build a release archive of a Django project, byte for byte reproducible.

The archive is flat (``manage.py`` at its root: it is unpacked into an empty release
directory), holds a ``RELEASE`` file whose first line is the version, and leaves out build and
runtime debris (version control, caches, virtualenvs, collected static files, SQLite files,
logs). Members are sorted by name and carry a fixed mtime, owner and group 0 and normalised
modes (directories and executables 0755, other files 0644); the gzip header has no name and no
timestamp. The same project and version give the same bytes, whatever the files' own mtimes.

``build`` refuses a project the deployment could not use: no ``manage.py`` at the top, no lock
file, a version that cannot be a release id, a symlink that points outside the project.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import gzip
import hashlib
import io
import os
import posixpath
import re
import stat
import tarfile
import tempfile

DEFAULT_MTIME = 946684800  # 2000-01-01T00:00:00Z
DEFAULT_LOCK = "requirements.txt"
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$"
RELEASE = "RELEASE"

# Entries with these names are left out with everything below them.
EXCLUDED_DIRS = frozenset([".git", "__pycache__", "dist", "staticfiles", ".venv", "venv",
                           ".pytest_cache", "node_modules"])
# Files (and symlinks) whose name matches one of these are left out.
EXCLUDED_FILES = ("*.pyc", "*.pyo", "*.sqlite3", "*.sqlite3-*", "*.db", "celerybeat-schedule*",
                  "*.log", "*.swp", "*~")


class BuildError(Exception):
    """A project or an input the release cannot be built from; the message says why."""


def check_version(version):
    if not isinstance(version, str) or not re.match(VERSION_PATTERN, version):
        raise BuildError("invalid version %r: it becomes the release id, so it must match %s "
                         "(a letter or digit, then up to 63 of A-Z a-z 0-9 . _ + -)"
                         % (version, VERSION_PATTERN))
    return version


def check_name(name):
    if not isinstance(name, str) or not re.match(NAME_PATTERN, name):
        raise BuildError("invalid name %r: it starts the archive's file name, so it must match %s"
                         % (name, NAME_PATTERN))
    return name


def archive_name(name, version):
    return "%s-%s.tar.gz" % (name, version)


def _excluded(name, is_dir):
    if name in EXCLUDED_DIRS:
        return True
    return not is_dir and any(fnmatch.fnmatchcase(name, pattern) for pattern in EXCLUDED_FILES)


def _mode(st_mode):
    """u+rwX,go+rX,go-w of the permission bits: 0755 for directories and executables, else 0644."""
    mode = stat.S_IMODE(st_mode) & 0o777
    executable = stat.S_ISDIR(st_mode) or mode & 0o111
    mode |= 0o644
    if executable:
        mode |= 0o111
    return mode & ~0o022


def _inside(path, directory):
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _link_error(path, target, resolved, real_project):
    """Why the symlink at path (relative to the project) must not be archived, or None.

    target is the link's text, resolved the path it leads to once every link is followed.
    """
    if posixpath.isabs(target):
        return "symlink %s points to the absolute path %s" % (path, target)
    normal = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if normal == ".." or normal.startswith("../") or not _inside(resolved, real_project):
        return "symlink %s points to %s, outside the project" % (path, target)
    return None


def _raise(error):
    raise error


def _relative(path):
    return path.replace(os.sep, "/")


def collect(project, lock=DEFAULT_LOCK):
    """Check the project and list what goes into the archive.

    Returns sorted (relative path, absolute path, os.lstat result) tuples, RELEASE not
    included. Raises BuildError.
    """
    project = os.path.abspath(project)
    if not os.path.isdir(project):
        raise BuildError("project directory %s does not exist" % project)
    if not os.path.isfile(os.path.join(project, "manage.py")):
        raise BuildError("no manage.py at the top of %s: the release archive is unpacked as the "
                         "release directory, so its layout needs manage.py at its root" % project)
    lock_path = posixpath.normpath(_relative(lock or ""))
    if not lock or posixpath.isabs(lock_path) or lock_path == ".." or lock_path.startswith("../"):
        raise BuildError("lock %r must be a path relative to the project (e.g. requirements.txt)" % lock)
    if not os.path.isfile(os.path.join(project, lock_path)):
        raise BuildError("no lock file %s in %s: the role installs the release from it; pin every "
                         "package (pip freeze / pip-compile)" % (lock_path, project))

    real_project = os.path.realpath(project)
    entries = []
    errors = []
    for root, dirs, files in os.walk(project, onerror=_raise):
        rel_root = _relative(os.path.relpath(root, project))
        rel_root = "" if rel_root == "." else rel_root + "/"
        kept = []
        for name in sorted(dirs):
            full = os.path.join(root, name)
            if os.path.islink(full):
                files.append(name)  # a link to a directory is archived as a link
            elif not _excluded(name, True) and rel_root + name != RELEASE:
                kept.append(name)
        dirs[:] = kept
        for name in dirs:
            full = os.path.join(root, name)
            entries.append((rel_root + name, full, os.lstat(full)))
        for name in files:
            rel = rel_root + name
            full = os.path.join(root, name)
            if _excluded(name, False) or rel == RELEASE:
                continue
            info = os.lstat(full)
            if stat.S_ISLNK(info.st_mode):
                error = _link_error(rel, os.readlink(full), os.path.realpath(full), real_project)
                if error:
                    errors.append(error)
                    continue
            elif not stat.S_ISREG(info.st_mode):
                continue  # sockets, FIFOs and devices are runtime state, not sources
            entries.append((rel, full, info))
    if errors:
        raise BuildError("%s: %s (only relative links that stay inside the project are archived)"
                         % (project, "; ".join(sorted(errors))))
    included = set(rel for rel, _full, _info in entries)
    if lock_path not in included:
        raise BuildError("lock file %s in %s is left out of the archive (an excluded name or "
                         "directory): the role installs the release from it" % (lock_path, project))
    entries.sort(key=lambda entry: entry[0].encode("utf-8", "surrogateescape"))
    return entries


def _tarinfo(name, mtime):
    info = tarfile.TarInfo(name)
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _Digest(object):
    """A write-only stream that hashes what passes through it into an optional file."""

    def __init__(self, target=None):
        self.target = target
        self.sha256 = hashlib.sha256()

    def write(self, data):
        self.sha256.update(data)
        if self.target is not None:
            self.target.write(data)
        return len(data)

    def flush(self):
        if self.target is not None:
            self.target.flush()


def write_archive(stream, entries, version, mtime=DEFAULT_MTIME):
    """Write the gzip-compressed tar of entries (from collect) plus RELEASE; return the member count."""
    release = (version + "\n").encode("utf-8")
    members = list(entries)
    members.append((RELEASE, None, None))
    members.sort(key=lambda entry: entry[0].encode("utf-8", "surrogateescape"))
    with gzip.GzipFile(filename="", mode="wb", fileobj=stream, compresslevel=9, mtime=0) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.GNU_FORMAT,
                          encoding="utf-8", errors="surrogateescape") as archive:
            for rel, full, info in members:
                member = _tarinfo(rel, mtime)
                if full is None:
                    member.mode = 0o644
                    member.size = len(release)
                    archive.addfile(member, io.BytesIO(release))
                elif stat.S_ISDIR(info.st_mode):
                    member.type = tarfile.DIRTYPE
                    member.mode = 0o755
                    archive.addfile(member)
                elif stat.S_ISLNK(info.st_mode):
                    member.type = tarfile.SYMTYPE
                    member.linkname = os.readlink(full)
                    member.mode = 0o777
                    archive.addfile(member)
                else:
                    member.mode = _mode(info.st_mode)
                    member.size = info.st_size
                    with open(full, "rb") as source:
                        archive.addfile(member, source)
    return len(members)


def _read(path):
    try:
        with open(path, "rb") as stream:
            return stream.read()
    except (IOError, OSError):
        return None


def _sha256_of(path):
    data = _read(path)
    return None if data is None else hashlib.sha256(data).hexdigest()


def _replace(path, data):
    """Write data to path atomically: a temporary file beside it, then a rename."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def build(project, version, dest, name=None, lock=DEFAULT_LOCK, mtime=DEFAULT_MTIME, write=True):
    """Build <dest>/<name>-<version>.tar.gz and its .sha256 (``<hex>  <basename>``).

    Both are written atomically, and only when they differ from what dest holds. With
    write=False nothing is written (check mode): the digest is computed all the same.
    Returns a dict: archive, sha256, members, changed. Raises BuildError.
    """
    project = os.path.abspath(project)
    check_version(version)
    name = check_name(os.path.basename(project.rstrip(os.sep)) if name is None else name)
    if not isinstance(mtime, int) or isinstance(mtime, bool) or mtime < 0:
        raise BuildError("invalid mtime %r: seconds since the epoch, 0 or more" % (mtime,))
    dest = os.path.abspath(dest)
    real_project, real_dest = os.path.realpath(project), os.path.realpath(dest)
    if _inside(real_dest, real_project):
        rel = os.path.relpath(real_dest, real_project)
        if rel == "." or not any(part in EXCLUDED_DIRS for part in rel.split(os.sep)):
            raise BuildError("dest %s lies inside the project %s, so later releases would contain "
                             "this one: use a directory outside it, or %s (left out of releases)"
                             % (dest, project, os.path.join(project, "dist")))
    entries = collect(project, lock)

    archive = os.path.join(dest, archive_name(name, version))
    checksum_path = archive + ".sha256"
    if not write:
        digest = _Digest()
        members = write_archive(digest, entries, version, mtime)
        sha256 = digest.sha256.hexdigest()
        line = ("%s  %s\n" % (sha256, os.path.basename(archive))).encode("ascii")
        changed = _sha256_of(archive) != sha256 or _read(checksum_path) != line
        return dict(archive=archive, sha256=sha256, members=members, changed=changed)

    if not os.path.isdir(dest):
        try:
            os.makedirs(dest)
        except OSError as exc:
            raise BuildError("cannot create dest %s: %s" % (dest, exc))
    fd, tmp = tempfile.mkstemp(dir=dest, prefix=".%s." % os.path.basename(archive))
    changed = False
    try:
        with os.fdopen(fd, "wb") as stream:
            digest = _Digest(stream)
            members = write_archive(digest, entries, version, mtime)
        sha256 = digest.sha256.hexdigest()
        if _sha256_of(archive) != sha256:
            os.chmod(tmp, 0o644)
            os.rename(tmp, archive)
            changed = True
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    line = ("%s  %s\n" % (sha256, os.path.basename(archive))).encode("ascii")
    if _read(checksum_path) != line:
        _replace(checksum_path, line)
        changed = True
    return dict(archive=archive, sha256=sha256, members=members, changed=changed)
