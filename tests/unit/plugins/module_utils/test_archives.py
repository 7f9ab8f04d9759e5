"""The release archive checks judge links physically, and the unpack never follows one.

Every test runs twice: with the interpreter's tarfile as it is, and with tarfile.data_filter
and tarfile.tar_filter hidden, as on Debian 12's Python 3.11.2, where tarfile has no filter and
extractall() writes a link chain as it is (fully_trusted_filter stays: it is what this
interpreter's extractall falls back to, the behaviour of a tarfile without filters). The
verdicts and the unpacked trees must be the same in both.
"""

import io
import os
import stat
import tarfile

import pytest

from ansible_collections.webstack.django.plugins.module_utils import archives
from ansible_collections.webstack.django.plugins.module_utils.archives import (
    ArchiveError, check_members, file_mode, inspect, unpack)

FILTERS = ("data_filter", "tar_filter")


@pytest.fixture(autouse=True, params=["this python", "no data_filter (Debian 12)"])
def python(request, monkeypatch):
    """The interpreter as it is, or one whose tarfile has no extraction filters."""
    if request.param != "this python":
        for name in FILTERS:
            monkeypatch.delattr(tarfile, name, raising=False)
        assert not hasattr(tarfile, "data_filter")
    return request.param


REG, DIR, SYM, LNK = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE


def _member(name, kind=REG, linkname="", data=b"x", mode=None):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.size = len(data) if kind == REG else 0
    info.mode = mode if mode is not None else (0o755 if kind == DIR else 0o644)
    info.mtime = 946684800
    return info, (io.BytesIO(data) if kind == REG else None)


def make_archive(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for spec in members:
            archive.addfile(*_member(*spec) if isinstance(spec, tuple) else _member(spec))
    return str(path)


def errors_of(tmp_path, members, required=("requirements.txt",)):
    _ignored, errors = inspect(make_archive(tmp_path / "r.tar.gz", members), list(required))
    return errors


LOCK = ("requirements.txt", REG, "", b"Django\n")
CHAIN = [LOCK, ("a/b/c/d/e/l", SYM, "../../../../.."), ("venv", SYM, "a/b/c/d/e/l/../../../../etc/cron.d")]


def deep_chain(depth):
    """A link ``depth`` directories down to the release root, then a link that climbs ``depth``
    levels above it: the text stays inside (d1/etc), the path leads ``depth`` levels out."""
    dirs = "/".join("d%d" % i for i in range(1, depth + 1))
    return [LOCK, (dirs + "/l", SYM, "../" * (depth - 1) + ".."),
            ("venv", SYM, dirs + "/l/" + "../" * depth + "etc/cron.d")]


# name -> (members, the refusal that must be among the errors: the member and the reason)
HOSTILE = {
    "the cron.d chain": (CHAIN, "venv: symlink to a/b/c/d/e/l/../../../../etc/cron.d, outside the archive: it "
                                "leads above the release directory (through a/b/c/d/e/l -> ../../../../..)"),
    "the chain, directories listed first": (
        [LOCK] + [(p, DIR) for p in ("a", "a/b", "a/b/c", "a/b/c/d", "a/b/c/d/e")] + CHAIN[1:],
        "venv: symlink to a/b/c/d/e/l/../../../../etc/cron.d, outside the archive"),
    "three links deep": (
        [LOCK, ("a/b/c/l1", SYM, "../../.."), ("m/n/l2", SYM, "../../a/b/c/l1"),
         ("z/l3", SYM, "../m/n/l2/../../../etc/cron.d")],
        "z/l3: symlink to ../m/n/l2/../../../etc/cron.d, outside the archive: it leads above the release "
        "directory (through m/n/l2 -> ../../a/b/c/l1, a/b/c/l1 -> ../../..)"),
    "link to a link": ([LOCK, ("a/l2", SYM, ".."), ("a/l1", SYM, "l2/..")],
                       "a/l1: symlink to l2/.., outside the archive: it leads above the release directory "
                       "(through a/l2 -> ..)"),
    "link to a link to an absolute path": ([LOCK, ("l2", SYM, "/etc"), ("l1", SYM, "l2/cron.d")],
                                           "l1: symlink to l2/cron.d, outside the archive: it leads above the "
                                           "release directory (through l2 -> /etc)"),
    "a later member turns an earlier link out": (
        [LOCK, ("a/b/c/l", SYM, "x/../../../.."), ("a/b/c/x", SYM, "../..")],
        "a/b/c/l: symlink to x/../../../.., outside the archive: it leads above the release directory "
        "(through a/b/c/x -> ../..) once the whole archive is unpacked"),
    "loop": ([LOCK, ("l1", SYM, "l2"), ("l2", SYM, "l1")], "l2: symlink to l1, a loop of symlinks"),
    "self loop": ([LOCK, ("l", SYM, "l/x")], "l: symlink to l/x, a loop of symlinks"),
    "empty target": ([LOCK, ("l", SYM, "")], "l: symlink with an empty target"),
    # absolute targets, even those that would land inside the release
    "absolute /etc": ([LOCK, ("l", SYM, "/etc")], "l: symlink to the absolute path /etc"),
    "absolute /": ([LOCK, ("l", SYM, "/")], "l: symlink to the absolute path /"),
    "absolute //etc": ([LOCK, ("d/l", SYM, "//etc/cron.d")], "d/l: symlink to the absolute path //etc/cron.d"),
    "absolute, into the release": ([LOCK, ("l", SYM, "/srv/demo/releases/1/app")],
                                   "l: symlink to the absolute path /srv/demo/releases/1/app"),
    # hard links
    "hard link to an absolute path": ([LOCK, ("h", LNK, "/etc/shadow")],
                                      "h: hard link to /etc/shadow, outside the archive (an absolute path)"),
    "hard link with ..": ([LOCK, ("a/h", LNK, "../../etc/shadow")],
                          "a/h: hard link to ../../etc/shadow, outside the archive ('..' in the target)"),
    "hard link through a symlink out": ([LOCK, ("l", SYM, "/etc"), ("h", LNK, "l/shadow")],
                                        "h: hard link to l/shadow, which lies below the symlink l (-> /etc)"),
    "hard link through the chain": (CHAIN + [("h", LNK, "venv/root")],
                                    "h: hard link to venv/root, which lies below the symlink venv"),
    "hard link to /etc/shadow through the chain": (
        [LOCK, ("a/b/c/d/e/l", SYM, "../../../../.."), ("etc", SYM, "a/b/c/d/e/l/../../../../etc"),
         ("shadow", LNK, "etc/shadow")],
        "shadow: hard link to etc/shadow, which lies below the symlink etc (-> a/b/c/d/e/l/../../../../etc)"),
    "hard link to a symlink": ([LOCK, ("l", SYM, "requirements.txt"), ("h", LNK, "l")],
                               "h: hard link to l, a symlink (-> requirements.txt)"),
    "hard link to a directory": ([LOCK, ("d", DIR), ("h", LNK, "d")], "h: hard link to d, a directory"),
    "hard link to nothing": ([LOCK, ("h", LNK, "later"), ("later",)],
                             "h: hard link to later, which is no earlier member of the archive"),
    # members through links
    "member through a link": ([LOCK, ("sub", DIR), ("l", SYM, "sub"), ("l/f",)],
                              "l/f: lies below the symlink l (-> sub)"),
    "member through a link out": ([LOCK, ("link", SYM, "/tmp"), ("link/evil",)],
                                  "link/evil: lies below the symlink link (-> /tmp)"),
    "member through the chain": (CHAIN + [("venv/evil",)], "venv/evil: lies below the symlink venv"),
    "member through a link to a link": ([LOCK, ("d", DIR), ("l1", SYM, "d"), ("l2", SYM, "l1"), ("l2/f",)],
                                        "l2/f: lies below the symlink l2 (-> l1)"),
    "member deep below a link": ([LOCK, ("a/l", SYM, "."), ("a/l/l/l/f",)], "a/l/l/l/f: lies below the symlink a/l"),
    "member below a file": ([LOCK, ("f",), ("f/g",)], "f/g: lies below f, a regular file"),
    # one path, two things: a file written through a link of the same name, a link over a directory
    "file over a link": ([LOCK, ("x", SYM, "requirements.txt"), ("x",)],
                         "x: already in the archive as a symlink, now a regular file"),
    "link over a file": ([LOCK, ("x",), ("x", SYM, "requirements.txt")],
                         "x: already in the archive as a regular file, now a symlink"),
    "link over a directory": ([LOCK, ("d/f",), ("d", SYM, ".")], "d: already in the archive as a directory, now a symlink"),
    "hard link over a file": ([LOCK, ("x",), ("x", LNK, "requirements.txt")],
                              "x: already in the archive as a regular file, now a hard link"),
    "root as a link": ([LOCK, (".", SYM, "/etc")], ".: names the release directory itself, as a symlink"),
    # names
    "absolute member": ([LOCK, ("/etc/evil",)], "/etc/evil: absolute path"),
    "device": ([LOCK, ("dev", tarfile.CHRTYPE)], "dev: device or FIFO"),
    "block device": ([LOCK, ("disk", tarfile.BLKTYPE)], "disk: device or FIFO"),
    "fifo": ([LOCK, ("pipe", tarfile.FIFOTYPE)], "pipe: device or FIFO"),
    "no lock": ([("app/manage.py",)], "requirements.txt: missing (required)"),
    "lock only as a directory made for a member": ([("requirements.txt/x",)], "requirements.txt: missing (required)"),
}

for depth in range(1, 9):
    HOSTILE["chain %d deep" % depth] = (deep_chain(depth), "venv: symlink to %s/l/%setc/cron.d, outside the archive"
                                        % ("/".join("d%d" % i for i in range(1, depth + 1)), "../" * depth))
# '..' in member names at every depth, even where the text would stay inside
for depth in range(0, 6):
    for ups in sorted({max(depth, 1), depth + 1}):
        name = "".join("d%d/" % i for i in range(depth)) + "../" * ups + "evil"
        HOSTILE["member %s" % name] = ([LOCK, (name,)], "%s: '..' in the path" % name)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archive_is_refused_naming_the_member_and_the_reason(tmp_path, case):
    members, expected = HOSTILE[case]
    errors = errors_of(tmp_path, members)
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archive_is_unpacked_nowhere(tmp_path, case):
    outside = tmp_path / "outside"
    outside.mkdir()
    releases = tmp_path / "srv" / "demo" / "releases"
    releases.mkdir(parents=True)
    archive = make_archive(tmp_path / "r.tar.gz", HOSTILE[case][0])
    with pytest.raises(ArchiveError) as refused:
        unpack(archive, str(releases / "1"), ["requirements.txt"], owner=4242, group=4242)
    assert HOSTILE[case][1] in str(refused.value)
    assert os.listdir(releases) == [] and os.listdir(outside) == []


# ".." at every depth of a symlink's target: as many as the link's directories stay in the
# release (the deepest lands on its root), one more leaves it.
@pytest.mark.parametrize("depth", range(0, 7))
def test_dotdot_in_a_link_target_at_every_depth(tmp_path, depth):
    dirs = "".join("d%d/" % i for i in range(depth))
    inside = errors_of(tmp_path, [LOCK, (dirs + "in", SYM, "../" * depth + "requirements.txt")])
    assert inside == []
    out = errors_of(tmp_path, [LOCK, (dirs + "out", SYM, "../" * (depth + 1) + "requirements.txt")])
    assert out == ["%sout: symlink to %srequirements.txt, outside the archive: it leads above the release directory"
                   % (dirs, "../" * (depth + 1))]
    # the same climb through a link that leads to the root from the deepest directory
    via = errors_of(tmp_path, [LOCK, (dirs + "root", SYM, "../" * depth or "."),
                               (dirs + "out", SYM, "root/" + "../" * (depth + 1) + "x"),
                               (dirs + "in", SYM, "root/requirements.txt")])
    assert len(via) == 1 and via[0].startswith(dirs + "out: symlink to root/") and "through %sroot" % dirs in via[0]


GOOD = [
    LOCK, ("app", DIR), ("app/manage.py", REG, "", b"print('hi')\n", 0o755),
    ("app/link", SYM, "manage.py"),                 # beside it
    ("app/up", SYM, "../requirements.txt"),         # up, and back into the release
    ("app/deep/x", SYM, "../../app/link"),          # a link to a link
    ("static", SYM, "app"),                         # a directory link at the top
    ("a/b/c/root", SYM, "../../.."),                # the release root itself, from three down
    ("a/b/c/lock", SYM, "root/requirements.txt"),   # through it, inside
    ("app/hard", LNK, "app/manage.py"),             # a hard link to an earlier file
    ("app/setuid", REG, "", b"#!/bin/sh\n", 0o4777),
    ("app/private", REG, "", b"s", 0o600),
    ("app/plain", REG, "", b"p", 0o666),
    ("app", DIR),                                   # a directory listed again
    ("app/manage.py", REG, "", b"print('again')\n", 0o755),  # a file written again: the last wins
]


def test_a_sound_archive_with_inside_links_passes(tmp_path):
    assert errors_of(tmp_path, GOOD) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_unpack_makes_the_tree_with_data_filter_modes_and_the_given_owner(tmp_path):
    dest = tmp_path / "releases" / "1"
    dest.parent.mkdir()
    unpack(make_archive(tmp_path / "r.tar.gz", GOOD), str(dest), ["requirements.txt"], owner=4242, group=4343)
    assert (dest / "app" / "manage.py").read_bytes() == b"print('again')\n"
    assert (dest / "app" / "hard").read_bytes() == b"print('again')\n"
    assert os.stat(dest / "app" / "hard").st_ino == os.stat(dest / "app" / "manage.py").st_ino
    assert {name: os.readlink(dest / name) for name in ("app/link", "app/up", "app/deep/x", "static",
                                                        "a/b/c/root", "a/b/c/lock")} == {
        "app/link": "manage.py", "app/up": "../requirements.txt", "app/deep/x": "../../app/link",
        "static": "app", "a/b/c/root": "../../..", "a/b/c/lock": "root/requirements.txt"}
    assert (dest / "a" / "b" / "c" / "lock").read_bytes() == b"Django\n"
    modes = {name: stat.S_IMODE(os.lstat(dest / name).st_mode)
             for name in ("app/manage.py", "app/setuid", "app/private", "app/plain", "app", "a/b", ".")}
    assert modes == {"app/manage.py": 0o755, "app/setuid": 0o755, "app/private": 0o600, "app/plain": 0o644,
                     "app": 0o755, "a/b": 0o755, ".": 0o755}
    for top, dirs, files in os.walk(dest):
        for name in [top] + [os.path.join(top, entry) for entry in dirs + files]:
            st = os.lstat(name)
            assert (st.st_uid, st.st_gid) == (4242, 4343), name
    assert os.stat(dest / "app" / "manage.py").st_mtime == 946684800
    assert sorted(os.listdir(dest.parent)) == ["1"]


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_unpack_never_follows_a_link_even_if_the_check_let_it_through(tmp_path, monkeypatch):
    """Were the check wrong, the unpack still writes and chowns nothing outside the release:
    a link to a root-owned file outside keeps that file's owner; a member below a link to an
    outside directory fails instead of landing there."""
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "cron.d-like"
    target.write_text("root's\n")
    os.chown(target, 0, 0)
    monkeypatch.setattr(archives, "check_members", lambda members, required=(): [])
    dest = tmp_path / "releases" / "1"
    dest.parent.mkdir()
    unpack(make_archive(tmp_path / "a.tar.gz", [LOCK, ("out", SYM, str(target))]), str(dest), owner=4242, group=4242)
    assert os.lstat(dest / "out").st_uid == 4242  # the link itself is the app user's
    assert (os.stat(target).st_uid, os.stat(target).st_gid) == (0, 0)  # its target is still root's
    assert target.read_text() == "root's\n"
    # through a link: refused by the unpack itself (O_NOFOLLOW), nothing written outside
    with pytest.raises(ArchiveError, match="dir/evil"):
        unpack(make_archive(tmp_path / "b.tar.gz", [LOCK, ("dir", SYM, str(outside)), ("dir/evil",)]),
               str(dest.parent / "2"), owner=4242, group=4242)
    # a file of the same name as a link: not written through it
    with pytest.raises(ArchiveError, match="same"):
        unpack(make_archive(tmp_path / "c.tar.gz", [LOCK, ("same", SYM, str(target)), ("same", REG, "", b"pwned")]),
               str(dest.parent / "3"))
    # a hard link through a link: not made
    with pytest.raises(ArchiveError, match=": h: "):
        unpack(make_archive(tmp_path / "d.tar.gz", [LOCK, ("dir", SYM, str(outside)), ("h", LNK, "dir/cron.d-like")]),
               str(dest.parent / "4"))
    assert sorted(os.listdir(outside)) == ["cron.d-like"] and target.read_text() == "root's\n"
    assert (os.stat(target).st_uid, os.stat(target).st_nlink) == (0, 1)
    assert sorted(os.listdir(dest.parent)) == ["1"]


def test_a_planted_partial_link_is_removed_not_followed(tmp_path):
    """Someone who could write the releases directory left .1.partial -> a directory outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    releases = tmp_path / "releases"
    releases.mkdir()
    os.symlink(str(outside), str(releases / ".1.partial"))
    unpack(make_archive(tmp_path / "r.tar.gz", [LOCK, ("app/a.py",)]), str(releases / "1"), ["requirements.txt"])
    assert os.listdir(outside) == []
    assert sorted(os.listdir(releases)) == ["1"] and not os.path.islink(releases / "1")
    assert (releases / "1" / "app" / "a.py").read_bytes() == b"x"


def test_the_release_directory_stays_private_until_it_is_complete(tmp_path, monkeypatch):
    seen = []
    real = archives._write_file

    def spy(archive, member, dir_fd, name, uid, gid):
        partial = tmp_path / "releases" / ".1.partial"
        seen.append(stat.S_IMODE(os.lstat(partial).st_mode))
        return real(archive, member, dir_fd, name, uid, gid)

    monkeypatch.setattr(archives, "_write_file", spy)
    (tmp_path / "releases").mkdir()
    unpack(make_archive(tmp_path / "r.tar.gz", [LOCK, ("app/a.py",)]), str(tmp_path / "releases" / "1"))
    assert seen == [0o700, 0o700]
    assert stat.S_IMODE(os.stat(tmp_path / "releases" / "1").st_mode) == 0o755


def test_a_symlink_at_dest_is_not_replaced(tmp_path):
    releases = tmp_path / "releases"
    releases.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(str(tmp_path / "elsewhere"), str(releases / "1"))
    with pytest.raises(ArchiveError):
        unpack(make_archive(tmp_path / "r.tar.gz", [LOCK]), str(releases / "1"))
    assert os.listdir(tmp_path / "elsewhere") == [] and os.path.islink(releases / "1")
    assert sorted(os.listdir(releases)) == ["1"]


@pytest.mark.parametrize("mode, expected", [(0o644, 0o644), (0o755, 0o755), (0o4755, 0o755), (0o2775, 0o755),
                                            (0o1777, 0o755), (0o666, 0o644), (0o000, 0o600), (0o611, 0o600),
                                            (0o700, 0o700), (None, 0o600)])
def test_file_modes_are_those_of_the_data_filter(mode, expected):
    assert file_mode(mode) == expected


def test_the_check_is_the_one_both_sides_use(tmp_path, monkeypatch):
    """The controller's inspect and the host's unpack call the same check_members."""
    calls = []
    monkeypatch.setattr(archives, "check_members", lambda members, required=(): calls.append(len(members)) or ["no"])
    archive = make_archive(tmp_path / "r.tar.gz", [LOCK])
    assert inspect(archive)[1] == ["no"]
    (tmp_path / "releases").mkdir()
    with pytest.raises(ArchiveError, match="no"):
        unpack(archive, str(tmp_path / "releases" / "1"))
    assert calls == [1, 1]


def test_check_members_takes_the_members_in_archive_order():
    members = [_member(*spec)[0] for spec in CHAIN]
    assert check_members(members, ["requirements.txt"]) != []
    assert check_members(members[:2], ["requirements.txt"]) == []


def test_a_plain_tarfile_unpack_without_the_filter_writes_the_chain_as_it_is(tmp_path):
    """What the checks stand in for on Debian 12: tarfile without data_filter creates the
    chain, and venv then leads out of the release."""
    if hasattr(tarfile, "data_filter"):
        pytest.skip("only a tarfile without data_filter unpacks it as it is")
    dest = tmp_path / "srv" / "demo" / "releases" / "1"
    dest.mkdir(parents=True)
    trusting = {"filter": tarfile.fully_trusted_filter} if hasattr(tarfile, "fully_trusted_filter") else {}
    with tarfile.open(make_archive(tmp_path / "r.tar.gz", CHAIN)) as archive:
        archive.extractall(str(dest), **trusting)
    assert os.path.realpath(dest / "venv") == str(tmp_path / "etc" / "cron.d")


# --- A lock naming a package the deployment installs itself ---------------------------------

UWSGI_LOCK = (b"django==5.2.8 \\\n    --hash=sha256:ab\n# via uwsgi\nUWSGI==2.0.28 ; python_version >= '3'\n"
              b"    --hash=sha256:cd\nPyUWSGI==1\nrequests[socks]>=2\n")
REFUSED = ["uwsgi", "pyuwsgi==2.0.30"]


def test_a_lock_that_pins_uwsgi_is_refused_naming_the_line(tmp_path):
    path = make_archive(tmp_path / "r.tar.gz", [("requirements.txt", REG, "", UWSGI_LOCK), "manage.py"])
    _members, errors, _project = archives.inspect_release(path, ["requirements.txt"], refused=REFUSED)
    assert errors == [
        "requirements.txt line 4 pins uwsgi: the deployment adds it to every release's venv itself "
        "(django_app_venv_packages); leave it out of the project's lock",
        "requirements.txt line 6 pins pyuwsgi: the deployment adds it to every release's venv itself "
        "(django_app_venv_packages); leave it out of the project's lock"]
    with pytest.raises(ArchiveError, match="line 4 pins uwsgi"):
        unpack(path, str(tmp_path / "release"), ["requirements.txt"], refused=REFUSED)
    assert not (tmp_path / "release").exists()


def test_a_lock_without_them_passes_and_nothing_is_refused_without_the_list(tmp_path):
    path = make_archive(tmp_path / "r.tar.gz", [("requirements.txt", REG, "", b"django==5.2.8\nuwsgitop==0.12\n")])
    assert archives.inspect_release(path, ["requirements.txt"], refused=REFUSED)[1] == []
    path = make_archive(tmp_path / "s.tar.gz", [("requirements.txt", REG, "", UWSGI_LOCK)])
    assert archives.inspect_release(path, ["requirements.txt"])[1] == []


@pytest.mark.parametrize("spec, name", [
    ("uWSGI==2.0.28", "uwsgi"), ("py_uwsgi>=1", "py-uwsgi"), ("Django[argon2] ; python_version>'3'", "django"),
    ("pkg @ https://example.org/pkg.whl", "pkg"), ("zope.interface", "zope-interface"), ("name (>=1)", "name"),
])
def test_requirement_names_are_normalised(spec, name):
    assert archives.requirement_name(spec) == name


def test_a_pin_in_an_included_requirements_file_is_named_with_its_file(tmp_path):
    members = [("requirements.txt", REG, "", b"-r requirements/production.txt\n"),
               ("requirements/production.txt", REG, "", b"-r base.txt  # the base\nuwsgi>=2.0.17,<2.1\n"),
               ("requirements/base.txt", REG, "", b"Django>=6.0\n-r production.txt\n-c ../../../etc/x\n")]
    path = make_archive(tmp_path / "r.tar.gz", members)
    errors = archives.inspect_release(path, ["requirements.txt"], refused=REFUSED)[1]
    assert errors == ["requirements/production.txt line 2 pins uwsgi: the deployment adds it to every release's "
                      "venv itself (django_app_venv_packages); leave it out of the project's lock"]


# --- A lock that leaves out a package the deployment's settings need -----------------------

NEEDED = {"django-storages": "media in S3", "boto3": "media in S3"}


def test_a_lock_without_a_needed_package_is_refused_naming_it_and_why(tmp_path):
    lock = b"django==5.2.8\ndjango_storages[s3]==1.14.6\n"
    path = make_archive(tmp_path / "r.tar.gz", [("requirements.txt", REG, "", lock)])
    assert archives.inspect_release(path, ["requirements.txt"], refused=REFUSED, needed=NEEDED)[1] == [
        "requirements.txt does not name boto3: media in S3"]
    with pytest.raises(ArchiveError, match="does not name boto3"):
        unpack(path, str(tmp_path / "release"), ["requirements.txt"], needed=NEEDED)
    assert not (tmp_path / "release").exists()


def test_needed_packages_may_come_from_an_included_file(tmp_path):
    members = [("requirements.txt", REG, "", b"-r requirements/production.txt\nBoto3==1.40.0\n"),
               ("requirements/production.txt", REG, "", b"Django-Storages==1.14.6 \\\n    --hash=sha256:ab\n")]
    path = make_archive(tmp_path / "r.tar.gz", members)
    assert archives.inspect_release(path, ["requirements.txt"], needed=NEEDED)[1] == []
