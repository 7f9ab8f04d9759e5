"""Unit tests for the release_build module and the reproducible archive it builds."""

import functools
import os
import shutil
import subprocess
import tarfile

import pytest

from ansible_collections.webstack.django.plugins.module_utils.archives import inspect
from ansible_collections.webstack.django.plugins.module_utils.release_build import (
    DEFAULT_MTIME, BuildError, build)
from ansible_collections.webstack.django.plugins.modules import release_build

SOURCES = {
    "manage.py": "import os\n",
    "requirements.txt": "Django==5.2.19\n",
    "mysite/__init__.py": "",
    "mysite/settings.py": "DEBUG = True\n",
    "notes/static/notes/site.css": "h1 {}\n",
    "notes/migrations/0001_initial.py": "",
}
# Debris left out of every release; RELEASE at the top is replaced by the version.
DEBRIS = [".git/config", "__pycache__/x.pyc", "mysite/__pycache__/settings.cpython-312.pyc",
          "dist/mysite-0.9.tar.gz", "staticfiles/admin/base.css", ".venv/bin/python", "venv/pyvenv.cfg",
          ".pytest_cache/v/x", "node_modules/x/index.js", "notes/old.pyc", "notes/old.pyo",
          "db.sqlite3", "db.sqlite3-journal", "notes/data.db", "celerybeat-schedule",
          "celerybeat-schedule.dat", "debug.log", "mysite/.settings.py.swp", "mysite/settings.py~",
          "RELEASE"]


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "mysite"
    for rel, text in SOURCES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for rel in DEBRIS:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("old\n")
    (root / "manage.py").chmod(0o700)
    (root / "mysite" / "settings.py").chmod(0o664)
    os.symlink("settings.py", str(root / "mysite" / "link.py"))
    os.symlink("../notes", str(root / "mysite" / "notes"))
    return root


def members(archive):
    with tarfile.open(archive) as tar:
        return {m.name: m for m in tar.getmembers()}, tar.extractfile("RELEASE").read()


def test_the_archive_is_flat_with_release_lock_and_manage_py_and_no_debris(project, tmp_path):
    result = build(str(project), "1.4.0", str(tmp_path / "out"))
    assert result["archive"] == str(tmp_path / "out" / "mysite-1.4.0.tar.gz") and result["changed"]
    found, release = members(result["archive"])
    assert release.splitlines()[0] == b"1.4.0"
    assert set(found) == set(SOURCES) | {"RELEASE", "mysite", "notes", "notes/static", "notes/static/notes",
                                         "notes/migrations", "mysite/link.py", "mysite/notes"}
    assert result["members"] == len(found)
    with tarfile.open(result["archive"]) as tar:
        names = tar.getnames()
    assert names == sorted(names)
    assert found["mysite/link.py"].issym() and found["mysite/link.py"].linkname == "settings.py"
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in found.values()} == {(0, 0, "", "", DEFAULT_MTIME)}
    assert found["manage.py"].mode == 0o755 and found["mysite/settings.py"].mode == 0o644
    assert found["mysite"].mode == 0o755
    assert (tmp_path / "out" / "mysite-1.4.0.tar.gz.sha256").read_text() == \
        "%s  mysite-1.4.0.tar.gz\n" % result["sha256"]
    assert sorted(os.listdir(tmp_path / "out")) == ["mysite-1.4.0.tar.gz", "mysite-1.4.0.tar.gz.sha256"]
    assert inspect(result["archive"], ["requirements.txt", "manage.py"])[1] == []


def test_the_digest_is_stable_whatever_the_files_mtimes(project, tmp_path):
    first = build(str(project), "1.4.0", str(tmp_path / "a"))
    for root, _dirs, files in os.walk(str(project)):
        for name in files:
            os.utime(os.path.join(root, name), None)
    os.utime(str(project), (1, 1))
    second = build(str(project), "1.4.0", str(tmp_path / "b"))
    assert first["sha256"] == second["sha256"]
    assert (tmp_path / "a" / "mysite-1.4.0.tar.gz").read_bytes() == (tmp_path / "b" / "mysite-1.4.0.tar.gz").read_bytes()


def test_a_rebuild_changes_nothing_and_check_mode_writes_nothing(project, tmp_path):
    dest = tmp_path / "out"
    planned = build(str(project), "1.4.0", str(dest), write=False)
    assert planned["changed"] and not dest.exists()
    built = build(str(project), "1.4.0", str(dest))
    assert built["sha256"] == planned["sha256"]
    assert build(str(project), "1.4.0", str(dest))["changed"] is False
    assert build(str(project), "1.4.0", str(dest), write=False)["changed"] is False
    (dest / "mysite-1.4.0.tar.gz.sha256").write_text("stale\n")
    assert build(str(project), "1.4.0", str(dest))["changed"] is True


@pytest.mark.parametrize("change", [dict(version="1.4.1"), dict(mtime=DEFAULT_MTIME + 1)])
def test_another_version_or_mtime_gives_another_digest(project, tmp_path, change):
    args = dict(version="1.4.0", mtime=DEFAULT_MTIME)
    first = build(str(project), dest=str(tmp_path / "a"), **args)
    args.update(change)
    assert build(str(project), dest=str(tmp_path / "b"), **args)["sha256"] != first["sha256"]


def test_name_and_lock_elsewhere(project, tmp_path):
    (project / "requirements").mkdir()
    (project / "requirements.txt").rename(project / "requirements" / "prod.txt")
    result = build(str(project), "2.0", str(tmp_path), name="shop", lock="requirements/prod.txt")
    assert result["archive"].endswith("/shop-2.0.tar.gz")
    assert "requirements/prod.txt" in members(result["archive"])[0]


def _no_lock(project):
    (project / "requirements.txt").unlink()


def _no_manage(project):
    (project / "manage.py").unlink()


def _link_absolute(project):
    os.symlink("/etc/passwd", str(project / "mysite" / "passwd"))


def _link_out(project):
    os.symlink("../../elsewhere", str(project / "mysite" / "out"))


def _link_out_through_a_link(project):
    os.symlink(".", str(project / "here"))
    os.symlink("here/..", str(project / "up"))


REFUSALS = {
    "no lock": (_no_lock, {}, "no lock file requirements.txt in .*: the role installs the release from it; "
                              r"pin every package \(pip freeze / pip-compile\)"),
    "lock left out": (None, {"lock": "dist/requirements.txt"}, "left out of the archive"),
    "no manage.py": (_no_manage, {}, "no manage.py at the top of .*layout needs manage.py at its root"),
    "bad version": (None, {"version": "../1"}, r"invalid version '\.\./1'"),
    "empty version": (None, {"version": ""}, "invalid version ''"),
    "long version": (None, {"version": "1" * 65}, "invalid version"),
    "absolute link": (_link_absolute, {}, "symlink mysite/passwd points to the absolute path /etc/passwd"),
    "link out": (_link_out, {}, r"symlink mysite/out points to \.\./\.\./elsewhere, outside the project"),
    "link out through a link": (_link_out_through_a_link, {}, r"symlink up points to here/\.\., outside the project"),
    "dest inside": (None, {"dest": "out"}, "lies inside the project"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_say_why_and_write_nothing(project, tmp_path, case):
    prepare, args, message = REFUSALS[case]
    if prepare:
        prepare(project)
    (project / "dist" / "requirements.txt").write_text("x==1\n")
    args = dict(dict(version="1.4.0", dest=str(tmp_path / "out")), **args)
    if args["dest"] == "out":
        args["dest"] = str(project / "out")
    with pytest.raises(BuildError, match=message):
        build(str(project), **args)
    assert not os.path.exists(args["dest"])


def test_a_missing_project_is_named(tmp_path):
    with pytest.raises(BuildError, match="project directory .*nowhere does not exist"):
        build(str(tmp_path / "nowhere"), "1", str(tmp_path / "out"))


# --- the module ---------------------------------------------------------------------------

@pytest.fixture
def run(run_module):
    """Run the module's main() with the given args; return its result."""
    return functools.partial(run_module, release_build.main)


def test_module_builds_once(run, project, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    dest = str(tmp_path / "out")
    checked = run(check=True, project=str(project), version="1.4.0", dest=dest)
    assert checked["changed"] and not os.path.exists(dest)
    first = run(project=str(project), version="1.4.0", dest=dest)
    assert first["changed"] and first["sha256"] == checked["sha256"] and first["version"] == "1.4.0"
    assert first["archive"] == os.path.join(dest, "mysite-1.4.0.tar.gz") and first["members"] > len(SOURCES)
    again = run(project=str(project), version="1.4.0", dest=dest)
    assert not again["changed"] and again["sha256"] == first["sha256"]


def test_module_takes_the_mtime_from_source_date_epoch(run, project, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = run(project=str(project), version="1", dest=str(tmp_path / "out"))
    assert {m.mtime for m in members(result["archive"])[0].values()} == {1700000000}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert "SOURCE_DATE_EPOCH" in run(project=str(project), version="1", dest=str(tmp_path / "out"))["msg"]


def test_module_asks_for_a_version_outside_git(run, project, tmp_path, monkeypatch):
    # git must not find a repository above the temporary tree (a checkout holding it)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = run(project=str(project), dest=str(tmp_path / "out"))
    assert result["failed"] and "no version: set version" in result["msg"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_module_takes_the_version_from_git_describe(run, project, tmp_path):
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    shutil.rmtree(str(project / ".git"))
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "manage.py"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "first"], check=True)
    subprocess.run(git + ["tag", "v1.4.0"], check=True)
    result = run(project=str(project), dest=str(tmp_path / "out"))
    assert result["version"] == "v1.4.0" and result["archive"].endswith("/mysite-v1.4.0.tar.gz")
    (project / "manage.py").write_text("changed\n")
    assert run(project=str(project), dest=str(tmp_path / "out"))["version"] == "v1.4.0-dirty"


def test_module_names_the_missing_lock(run, project, tmp_path):
    _no_lock(project)
    result = run(project=str(project), version="1.4.0", dest=str(tmp_path / "out"))
    assert result["failed"] and "no lock file requirements.txt" in result["msg"]
