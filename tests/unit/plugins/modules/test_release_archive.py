"""Unit tests for the release_archive module and the archive checks it shares with the preflight."""

import io
import json
import os
import tarfile

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.webstack.django.plugins.module_utils.archives import (
    ArchiveError, inspect, unpack)
from ansible_collections.webstack.django.plugins.modules import release_archive


def _member(name, kind=tarfile.REGTYPE, data=b"x", linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def make_archive(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for args in members:
            archive.addfile(*_member(*args))
    return str(path)


GOOD = [("app", tarfile.DIRTYPE), ("app/manage.py",), ("requirements.txt",),
        ("app/link", tarfile.SYMTYPE, b"", "manage.py"), ("app/hard", tarfile.LNKTYPE, b"", "app/manage.py")]

# Each hostile archive: its members and the text the refusal must contain (the member named).
HOSTILE = {
    "absolute": ([("requirements.txt",), ("/etc/evil",)], "/etc/evil: absolute path"),
    "dotdot": ([("requirements.txt",), ("../evil",)], "../evil: '..' in the path"),
    "inner dotdot": ([("requirements.txt",), ("a/../../evil",)], "a/../../evil: '..'"),
    "symlink out": ([("requirements.txt",), ("link", tarfile.SYMTYPE, b"", "/etc")], "link: symlink to the absolute path /etc"),
    "symlink climbs": ([("requirements.txt",), ("a/link", tarfile.SYMTYPE, b"", "../../x")], "outside the archive"),
    "through symlink": ([("requirements.txt",), ("link", tarfile.SYMTYPE, b"", "sub"), ("sub", tarfile.DIRTYPE),
                         ("link/evil",)], "link/evil: lies below the symlink link"),
    "hard link out": ([("requirements.txt",), ("h", tarfile.LNKTYPE, b"", "/etc/shadow")], "h: hard link to /etc/shadow"),
    "device": ([("requirements.txt",), ("dev", tarfile.CHRTYPE)], "dev: device or FIFO"),
    "fifo": ([("requirements.txt",), ("pipe", tarfile.FIFOTYPE)], "pipe: device or FIFO"),
    "no lock": ([("app/manage.py",)], "requirements.txt: missing (required)"),
}


def test_a_clean_archive_passes(tmp_path):
    members, errors = inspect(make_archive(tmp_path / "r.tar.gz", GOOD), ["requirements.txt"])
    assert errors == []
    assert len(members) == len(GOOD)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused_naming_the_member(tmp_path, case):
    members, expected = HOSTILE[case]
    _ignored, errors = inspect(make_archive(tmp_path / "r.tar.gz", members), ["requirements.txt"])
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_leave_nothing_behind(tmp_path, case):
    archive = make_archive(tmp_path / "r.tar.gz", HOSTILE[case][0])
    releases = tmp_path / "releases"
    releases.mkdir()
    with pytest.raises(ArchiveError):
        unpack(archive, str(releases / "1"), ["requirements.txt"])
    assert os.listdir(releases) == []


def test_not_gzip_says_so(tmp_path):
    path = tmp_path / "r.tar.gz"
    path.write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(ArchiveError, match="not a gzip-compressed tar archive"):
        inspect(str(path))


def test_truncated_archive_is_refused_and_leaves_nothing(tmp_path):
    path = tmp_path / "r.tar.gz"
    make_archive(path, GOOD + [("big", tarfile.REGTYPE, os.urandom(200000))])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    releases = tmp_path / "releases"
    releases.mkdir()
    with pytest.raises(ArchiveError):
        unpack(str(path), str(releases / "1"))
    assert os.listdir(releases) == []


def test_unpack_is_complete_and_atomic(tmp_path):
    archive = make_archive(tmp_path / "r.tar.gz", GOOD)
    dest = tmp_path / "releases" / "1"
    dest.parent.mkdir()
    (dest.parent / ".1.partial").mkdir()  # left by a killed run: replaced
    unpack(archive, str(dest), ["requirements.txt"])
    assert sorted(os.listdir(dest.parent)) == ["1"]
    assert (dest / "app" / "manage.py").read_bytes() == b"x"
    assert os.readlink(dest / "app" / "link") == "manage.py"


def run_module(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            release_archive.main()
    return json.loads(capsys.readouterr().out)


def test_module_inspects_and_unpacks_once(tmp_path, capsys):
    archive = make_archive(tmp_path / "r.tar.gz", GOOD)
    checked = run_module(capsys, path=archive, required=["requirements.txt"])
    assert not checked.get("failed") and checked["members"] == len(GOOD) and len(checked["sha256"]) == 64
    dest = str(tmp_path / "1")
    first = run_module(capsys, path=archive, dest=dest, state="unpacked", remove_source=True)
    assert first["changed"] and os.path.isdir(dest) and not os.path.exists(archive)
    make_archive(tmp_path / "r.tar.gz", GOOD)
    again = run_module(capsys, path=archive, dest=dest, state="unpacked", remove_source=True)
    assert not again["changed"] and not os.path.exists(archive)


def test_module_names_every_bad_member(tmp_path, capsys):
    archive = make_archive(tmp_path / "r.tar.gz", HOSTILE["absolute"][0] + HOSTILE["dotdot"][0][1:])
    result = run_module(capsys, path=archive)
    assert result["failed"]
    assert "/etc/evil" in result["msg"] and "../evil" in result["msg"]


def test_module_removes_the_upload_after_a_failure(tmp_path, capsys):
    archive = make_archive(tmp_path / "r.tar.gz", HOSTILE["absolute"][0])
    result = run_module(capsys, path=archive, dest=str(tmp_path / "1"), state="unpacked", remove_source=True)
    assert result["failed"] and not os.path.exists(archive) and not os.path.exists(tmp_path / "1")


CHAIN = [("requirements.txt",), ("a/b/c/d/e/l", tarfile.SYMTYPE, b"", "../../../../.."),
         ("venv", tarfile.SYMTYPE, b"", "a/b/c/d/e/l/../../../../etc/cron.d")]


@pytest.mark.parametrize("check_mode", [False, True])
def test_module_refuses_the_link_chain_naming_the_member_on_both_sides(tmp_path, capsys, check_mode):
    """The controller's inspection and the host's unpack (and its check mode) give one verdict."""
    archive = make_archive(tmp_path / "r.tar.gz", CHAIN)
    inspected = run_module(capsys, path=archive, required=["requirements.txt"])
    dest = str(tmp_path / "releases" / "1")
    os.mkdir(os.path.dirname(dest))
    unpacked = run_module(capsys, path=archive, dest=dest, state="unpacked", _ansible_check_mode=check_mode)
    reason = ("venv: symlink to a/b/c/d/e/l/../../../../etc/cron.d, outside the archive: it leads above the "
              "release directory (through a/b/c/d/e/l -> ../../../../..)")
    assert inspected["failed"] and inspected["errors"] == [reason]
    assert unpacked["failed"] and reason in unpacked["msg"]
    assert os.listdir(os.path.dirname(dest)) == []


def test_module_refuses_a_symlink_at_dest(tmp_path, capsys):
    archive = make_archive(tmp_path / "r.tar.gz", GOOD)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(str(tmp_path / "elsewhere"), str(tmp_path / "1"))
    result = run_module(capsys, path=archive, dest=str(tmp_path / "1"), state="unpacked")
    assert result["failed"] and result["msg"].startswith("dest: %s is a symlink" % (tmp_path / "1"))
    assert os.listdir(tmp_path / "elsewhere") == []
