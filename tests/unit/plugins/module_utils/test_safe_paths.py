"""open_directory and open_file follow only the symlinks root (or the caller) could have made."""

import os
import pwd
import stat

import pytest

from ansible_collections.webstack.django.plugins.module_utils.safe_paths import (
    UnsafePath, open_directory, open_file)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="owners and seteuid need root")
APP_UID = 4242


def path_of(fd):
    try:
        return os.readlink("/proc/self/fd/%d" % fd)
    finally:
        os.close(fd)


@pytest.fixture
def tree(tmp_path):
    """tmp/data/app (root's), tmp/app -> data/app (made by root in root's directory) and
    tmp/data/app/release (the app user's, 0755)."""
    (tmp_path / "data" / "app" / "release").mkdir(parents=True)
    os.symlink("data/app", str(tmp_path / "app"))
    if os.geteuid() == 0:
        os.chown(tmp_path / "data" / "app" / "release", APP_UID, APP_UID)
    return tmp_path


def test_a_link_in_a_directory_of_root_or_the_caller_is_followed(tree):
    fd, created = open_directory(str(tree / "app" / "release"))
    assert path_of(fd) == str(tree / "data" / "app" / "release") and created == []


@needs_root
def test_a_link_in_a_directory_another_user_can_write_is_refused(tree):
    os.symlink("/etc", str(tree / "data" / "app" / "release" / "venv"))
    with pytest.raises(UnsafePath) as refused:
        open_directory(str(tree / "app" / "release" / "venv" / "cron.d"), create=True)
    assert str(refused.value) == ("%s/venv is a symlink (-> /etc) in %s, a directory uid %d can write: not followed"
                                  % (tree / "data/app/release", tree / "data/app/release", APP_UID))
    assert not os.path.exists("/etc/cron.d/venv")


def test_a_link_in_a_world_writable_directory_is_refused(tree):
    shared = tree / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    os.symlink(str(tree / "data"), str(shared / "data"))
    with pytest.raises(UnsafePath, match="a directory .* or others can write"):
        open_directory(str(shared / "data"))


def test_dotdot_climbs_from_where_the_links_led(tree):
    """As the kernel: app/.. is data (the link's target's parent), not tmp."""
    fd, _created = open_directory(str(tree / "app" / ".." / "app"))
    assert path_of(fd) == str(tree / "data" / "app")


def test_missing_directories_are_made_with_the_mode(tree):
    fd, created = open_directory(str(tree / "app" / "new" / "venv"), create=True, mode=0o750)
    assert path_of(fd) == str(tree / "data" / "app" / "new" / "venv")
    assert created == [str(tree / "data" / "app" / "new"), str(tree / "data" / "app" / "new" / "venv")]
    assert stat.S_IMODE(os.stat(tree / "data" / "app" / "new").st_mode) == 0o750 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_missing_path_or_a_file_on_the_way_is_said(tree):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_directory(str(tree / "nope" / "venv"))
    (tree / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is not a directory"):
        open_directory(str(tree / "file" / "venv"))


def test_a_loop_of_links_is_refused(tree):
    os.symlink("l2", str(tree / "l1"))
    os.symlink("l1", str(tree / "l2"))
    with pytest.raises(UnsafePath, match="too many levels of symlinks"):
        open_directory(str(tree / "l1"))


@needs_root
def test_open_file_does_not_follow_the_last_link_of_an_untrusted_directory(tree):
    secret = tree / "shadow"
    secret.write_text("root only\n")
    os.symlink(str(secret), str(tree / "data" / "app" / "release" / "RELEASE"))
    with pytest.raises(UnsafePath, match="RELEASE is a symlink"):
        open_file(str(tree / "app" / "release" / "RELEASE"))
    os.symlink(str(secret), str(tree / "data" / "app" / "SECRET"))  # root's directory: followed
    with os.fdopen(open_file(str(tree / "app" / "SECRET")), "r") as handle:
        assert handle.read() == "root only\n"


@pytest.fixture
def search_only():
    """A directory under /tmp (pytest's is root's 0700) that others may only search."""
    import pathlib
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix="webstack-search-")
    os.chmod(path, 0o711)
    yield pathlib.Path(path)
    shutil.rmtree(path)


@needs_root
def test_a_user_passes_through_directories_it_may_only_search(search_only):
    """As a path lookup: 0711 on the way is enough (O_PATH), read permission is not needed."""
    tmp_path = search_only
    nobody = pwd.getpwnam("nobody")
    (tmp_path / "x").mkdir(mode=0o711)
    (tmp_path / "x" / "mine").mkdir()
    os.chown(tmp_path / "x" / "mine", nobody.pw_uid, nobody.pw_gid)
    os.setegid(nobody.pw_gid)
    os.seteuid(nobody.pw_uid)
    try:
        fd, _created = open_directory(str(tmp_path / "x" / "mine" / "venv"), create=True)
    finally:
        os.seteuid(0)
        os.setegid(0)
    assert os.fstat(fd).st_uid == nobody.pw_uid
    os.close(fd)
