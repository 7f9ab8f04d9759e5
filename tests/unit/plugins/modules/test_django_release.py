"""Unit tests for the django_release module and its release helpers."""

import functools
import grp
import json
import os
import pwd

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.webstack.django.plugins.module_utils import releases
from ansible_collections.webstack.django.plugins.module_utils.releases import (
    ReleaseError, entry, load_history, plan_prune, rollback_target, valid_release_id)
from ansible_collections.webstack.django.plugins.modules import django_release, django_release_info


@pytest.fixture
def root(tmp_path):
    """An app root with releases r1, r2 and r3 unpacked and nothing deployed."""
    for release in ("r1", "r2", "r3"):
        (tmp_path / "releases" / release).mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    return tmp_path


@pytest.fixture
def run(run_module):
    """Run the module's main() with the given args; return its result."""
    return functools.partial(run_module, django_release.main)


def link(root):
    return os.readlink(str(root / "current"))


def history(root):
    return json.loads((root / "releases.json").read_text())


def deploy(run, root, *ids):
    for release in ids:
        result = run(root=str(root), release=release, state="current")
        assert result["changed"] is True, result
    return result


# --- state=current ------------------------------------------------------------------------

def test_first_deploy_creates_current_and_records_it(run, root):
    result = run(root=str(root), release="r1", state="current", note="first")
    assert result["changed"] is True
    assert result["current"] == "r1" and result["previous"] is None
    assert link(root) == "releases/r1"
    assert (root / "current").resolve() == (root / "releases" / "r1").resolve()
    (item,) = history(root)
    assert item["id"] == "r1" and item["state"] == "deployed"
    assert item["previous"] is None and item["note"] == "first"
    assert item["at"].endswith("Z")
    assert result["history"] == history(root)


def test_second_deploy_switches_and_records_previous(run, root):
    deploy(run, root, "r1")
    result = run(root=str(root), release="r2", state="current")
    assert result["changed"] is True
    assert (result["current"], result["previous"]) == ("r2", "r1")
    assert link(root) == "releases/r2"
    assert [(e["id"], e["previous"]) for e in history(root)] == [("r1", None), ("r2", "r1")]
    assert result["rollback_target"] == "r1"


def test_rerun_with_release_already_current_changes_nothing(run, root):
    deploy(run, root, "r1")
    before = (root / "releases.json").read_text()
    result = run(root=str(root), release="r1", state="current")
    assert result["changed"] is False
    assert "diff" not in result
    assert (root / "releases.json").read_text() == before


def test_check_mode_reports_change_and_diff_but_changes_nothing(run, root):
    deploy(run, root, "r1")
    before = (root / "releases.json").read_text()
    result = run(root=str(root), release="r2", state="current", check=True, diff=True)
    assert result["changed"] is True
    assert result["current"] == "r2" and result["previous"] == "r1"
    assert result["diff"] == {"before": "current -> r1\n", "after": "current -> r2\n"}
    assert [e["id"] for e in result["history"]] == ["r1", "r2"]
    assert link(root) == "releases/r1"
    assert (root / "releases.json").read_text() == before


def test_check_mode_first_deploy_creates_nothing(run, root):
    result = run(root=str(root), release="r1", state="current", check=True, diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": "", "after": "current -> r1\n"}
    assert not os.path.lexists(str(root / "current"))
    assert not (root / "releases.json").exists()


def test_missing_release_directory_fails_clearly(run, root):
    result = run(root=str(root), release="r9", state="current")
    assert result["failed"] is True
    assert "release r9 does not exist" in result["msg"]
    assert str(root / "releases" / "r9") in result["msg"]
    assert not os.path.lexists(str(root / "current"))


@pytest.mark.parametrize("bad", ["a/b", "..", ".", "with space", "x" * 65, ""])
def test_bad_release_id_fails_naming_release(run, root, bad):
    result = run(root=str(root), release=bad, state="current")
    assert result["failed"] is True
    assert result["msg"].startswith("release")
    assert not os.path.lexists(str(root / "current"))


def test_current_that_is_a_directory_is_refused(run, root):
    (root / "current").mkdir()
    result = run(root=str(root), release="r1", state="current")
    assert result["failed"] is True and "not a symlink" in result["msg"]


def test_corrupt_history_fails_clearly(run, root):
    (root / "releases.json").write_text("{not json")
    result = run(root=str(root), release="r1", state="current")
    assert result["failed"] is True and "releases.json" in result["msg"]
    assert not os.path.lexists(str(root / "current"))


# --- atomic switch ------------------------------------------------------------------------

def test_switch_renames_a_temp_link_over_current(run, root, monkeypatch):
    deploy(run, root, "r1")
    calls = []
    real_replace = os.replace

    def watching_replace(src, dst):
        if os.path.basename(dst) != "current":  # the history file is also renamed into place
            return real_replace(src, dst)
        # At the moment of the rename the old link is still in place and resolves.
        assert os.readlink(str(root / "current")) == "releases/r1"
        assert (root / "current").resolve().is_dir()
        assert os.path.islink(src) and os.readlink(src) == "releases/r2"
        calls.append((os.path.dirname(src), os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(releases.os, "replace", watching_replace)
    run(root=str(root), release="r2", state="current")
    assert (str(root), "current") in calls
    assert link(root) == "releases/r2"
    leftovers = [n for n in os.listdir(str(root)) if n.startswith(".")]
    assert leftovers == []


def test_failed_rename_leaves_current_and_no_temp_link(run, root, monkeypatch):
    deploy(run, root, "r1")

    def failing_replace(src, dst):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(releases.os, "replace", failing_replace)
    result = run(root=str(root), release="r2", state="current")
    assert result["failed"] is True
    assert link(root) == "releases/r1"
    assert sorted(os.listdir(str(root))) == ["current", "releases", "releases.json", "shared"]
    assert [e["id"] for e in history(root)] == ["r1"]


# --- state=rollback -----------------------------------------------------------------------

def test_rollback_returns_to_previous_and_records_note(run, root):
    deploy(run, root, "r1", "r2")
    result = run(root=str(root), state="rollback", note="healthz 502", diff=True)
    assert result["changed"] is True
    assert (result["current"], result["previous"]) == ("r1", "r2")
    assert result["diff"] == {"before": "current -> r2\n", "after": "current -> r1\n"}
    assert link(root) == "releases/r1"
    last = history(root)[-1]
    assert (last["id"], last["state"], last["previous"], last["note"]) == (
        "r1", "rolled_back", "r2", "healthz 502")


def test_repeated_rollback_walks_back_through_deploys(run, root):
    deploy(run, root, "r1", "r2", "r3")
    assert run(root=str(root), state="rollback")["current"] == "r2"
    assert run(root=str(root), state="rollback")["current"] == "r1"
    result = run(root=str(root), state="rollback")
    assert result["failed"] is True and "no previous release" in result["msg"]


def test_rollback_to_named_release_is_idempotent(run, root):
    deploy(run, root, "r1", "r2", "r3")
    result = run(root=str(root), state="rollback", release="r1")
    assert result["changed"] is True and link(root) == "releases/r1"
    assert history(root)[-1]["previous"] == "r3"
    again = run(root=str(root), state="rollback", release="r1")
    assert again["changed"] is False
    assert len(history(root)) == 4


def test_rollback_with_no_previous_fails(run, root):
    deploy(run, root, "r1")
    result = run(root=str(root), state="rollback")
    assert result["failed"] is True
    assert "no previous release" in result["msg"]
    assert link(root) == "releases/r1"


def test_rollback_without_current_fails(run, root):
    result = run(root=str(root), state="rollback")
    assert result["failed"] is True and "current does not exist" in result["msg"]


def test_rollback_marking_failed_records_it_and_skips_it_later(run, root):
    deploy(run, root, "r1", "r2", "r3")
    run(root=str(root), state="rollback", failed=True, note="healthz")
    states = [(e["id"], e["state"]) for e in history(root)[-2:]]
    assert states == [("r3", "failed"), ("r2", "rolled_back")]
    # r3 failed; a later deploy of r1 followed by a rollback goes to r2, never to r3.
    run(root=str(root), release="r1", state="current")
    assert run(root=str(root), state="rollback")["current"] == "r2"


def test_rollback_target_skips_failed_releases():
    hist = [entry("a", "deployed"), entry("b", "deployed", "a"), entry("c", "deployed", "b"),
            entry("b", "failed"), entry("d", "deployed", "c")]
    assert rollback_target(hist, "d") == "c"
    assert rollback_target(hist, "c") == "a"
    assert rollback_target(hist, "a") is None
    assert rollback_target([], "a") is None


# --- state=pruned -------------------------------------------------------------------------

def test_prune_keeps_newest_by_history_not_mtime(run, root):
    for release in ("r4", "r5"):
        (root / "releases" / release).mkdir()
    deploy(run, root, "r5", "r4", "r3", "r2", "r1")
    # mtimes say the opposite of the history: r5 newest on disk, r1 oldest.
    for age, release in enumerate(["r5", "r4", "r3", "r2", "r1"]):
        os.utime(str(root / "releases" / release), (1e9 - age * 1e6, 1e9 - age * 1e6))
    result = run(root=str(root), state="pruned", keep=2)
    assert result["changed"] is True
    assert result["removed"] == ["r5", "r4", "r3"]
    assert sorted(os.listdir(str(root / "releases"))) == ["r1", "r2"]
    assert result["releases"] == ["r1", "r2"]
    again = run(root=str(root), state="pruned", keep=2)
    assert again["changed"] is False and again["removed"] == []


def test_prune_always_keeps_current_and_previous(run, root):
    for release in ("r4", "r5"):
        (root / "releases" / release).mkdir()
    deploy(run, root, "r1", "r2", "r3", "r4", "r5")
    run(root=str(root), state="rollback", release="r2")  # current r2, previous r1
    result = run(root=str(root), state="pruned", keep=1)
    assert sorted(os.listdir(str(root / "releases"))) == ["r1", "r2"]
    assert result["removed"] == ["r3", "r4", "r5"]
    assert link(root) == "releases/r2"


def test_prune_check_mode_deletes_nothing(run, root):
    deploy(run, root, "r1", "r2", "r3")
    result = run(root=str(root), state="pruned", keep=1, check=True, diff=True)
    assert result["changed"] is True and result["removed"] == ["r1"]
    assert result["diff"]["before"] == "releases/r1\nreleases/r2\nreleases/r3\n"
    assert result["diff"]["after"] == "releases/r2\nreleases/r3\n"
    assert sorted(os.listdir(str(root / "releases"))) == ["r1", "r2", "r3"]


def test_prune_keeps_a_release_a_running_process_started_from(run, root, monkeypatch, tmp_path):
    # uWSGI's master, started in r1, still runs r1's interpreter after chain reloads into r3.
    proc = tmp_path / "proc"
    master = [str(root / "releases/r1/venv/bin/python").encode(), b"/srv/x/current/venv/bin/uwsgi", b"--ini", b"x.ini"]
    for pid, args in (("1", [b"/lib/systemd/systemd"]), ("20", master), ("self", [b"ignored"])):
        (proc / pid).mkdir(parents=True)
        (proc / pid / "cmdline").write_bytes(b"\0".join(args) + b"\0")
    (proc / "30").mkdir()  # gone before its command line was read
    monkeypatch.setattr(django_release, "releases_in_use",
                        functools.partial(releases.releases_in_use, proc=str(proc)))
    for release in ("r4", "r5"):
        (root / "releases" / release).mkdir()
    deploy(run, root, "r1", "r2", "r3", "r4", "r5")
    result = run(root=str(root), state="pruned", keep=1)
    assert result["removed"] == ["r2", "r3"]
    assert sorted(os.listdir(str(root / "releases"))) == ["r1", "r4", "r5"]


def test_releases_in_use_reads_only_paths_under_the_releases(root, tmp_path):
    proc = tmp_path / "proc"
    (proc / "7").mkdir(parents=True)
    (proc / "7" / "cmdline").write_bytes(b"/usr/bin/python3\0" + str(root / "releases/r9/manage.py").encode() + b"\0"
                                         + str(root / "releases-old/r8/x").encode() + b"\0")
    assert releases.releases_in_use(str(root), str(proc)) == {"r9"}
    assert releases.releases_in_use(str(root), str(tmp_path / "none")) == set()


def test_prune_leaves_releases_unknown_to_history():
    hist = [entry("a", "deployed"), entry("b", "deployed", "a"), entry("c", "deployed", "b")]
    kept, removed = plan_prune(hist, ["a", "b", "c", "new"], 1, ["c", "b"])
    assert removed == ["a"] and kept == ["b", "c", "new"]


def test_keep_below_one_fails_naming_keep(run, root):
    result = run(root=str(root), state="pruned", keep=0)
    assert result["failed"] is True and result["msg"].startswith("keep")


# --- helpers -----------------------------------------------------------------------------


def test_state_current_requires_release(run, root):
    result = run(root=str(root), state="current")
    assert result["failed"] is True and "release" in result["msg"]


def test_release_id_syntax():
    assert valid_release_id("20240501-1.a_b")
    assert valid_release_id("x" * 64)
    # A leading dot is refused: .<id>.partial is an unpack in progress, never a release.
    for bad in ("", ".", "..", ".1.0.partial", "a/b", "x" * 65, "a b", None):
        assert not valid_release_id(bad)


def test_history_entries_are_validated(tmp_path):
    path = tmp_path / "releases.json"
    path.write_text(json.dumps([{"id": "a", "state": "weird"}]))
    with pytest.raises(ReleaseError, match="entry 0"):
        load_history(str(path))
    path.write_text(json.dumps({"id": "a"}))
    with pytest.raises(ReleaseError, match="JSON list"):
        load_history(str(path))


def test_owner_and_group_apply_to_history_file(run, root):
    owner = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    result = run(root=str(root), release="r1", state="current", owner=owner, group=group)
    assert result["changed"] is True
    stat = os.stat(str(root / "releases.json"))
    assert (stat.st_uid, stat.st_gid) == (os.getuid(), os.getgid())
    assert stat.st_mode & 0o777 == 0o644
    assert run(root=str(root), release="r1", state="current", owner=owner,
               group=group)["changed"] is False


# --- django_release_info ------------------------------------------------------------------

def info(capsys, **args):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            django_release_info.main()
    return json.loads(capsys.readouterr().out)


def test_info_reports_layout_and_changes_nothing(run, root, capsys):
    deploy(run, root, "r1", "r2")
    capsys.readouterr()
    before = (root / "releases.json").read_text()
    result = info(capsys, root=str(root))
    assert result["changed"] is False
    assert result["current"] == "r2" and result["rollback_target"] == "r1"
    assert result["releases"] == ["r1", "r2", "r3"]
    assert [e["id"] for e in result["history"]] == ["r1", "r2"]
    assert (root / "releases.json").read_text() == before


def test_info_on_empty_root(tmp_path, capsys):
    result = info(capsys, root=str(tmp_path))
    assert result["changed"] is False
    assert result["current"] is None and result["history"] == [] and result["releases"] == []


def test_info_on_a_missing_root_fails_naming_it(tmp_path, capsys):
    result = info(capsys, root=str(tmp_path / "nope"))
    assert result["failed"] and result["msg"].startswith("root:")


def test_info_is_not_a_state_of_django_release(run, root):
    assert run(root=str(root), state="info")["failed"] is True


def test_info_reports_the_id_the_live_release_gives_itself(run, root, capsys):
    assert info(capsys, root=str(root))["reported"] is None  # nothing deployed
    deploy(run, root, "r1", "r2")
    capsys.readouterr()
    assert info(capsys, root=str(root))["reported"] is None  # r2 has no RELEASE file
    (root / "releases" / "r2" / "RELEASE").write_text("  v1.4.2 \nbuilt by ci\n")
    assert info(capsys, root=str(root))["reported"] == "v1.4.2"
    (root / "releases" / "r2" / "RELEASE").write_text("\nv1\n")
    assert info(capsys, root=str(root))["reported"] is None  # an empty first line names nothing


def test_info_does_not_read_a_release_file_through_a_link_of_the_release(run, root, capsys, tmp_path):
    """The release is the app user's: RELEASE -> a root-only file must not make root read it
    (its first line would be printed as the id the release reports)."""
    secret = tmp_path / "shadow"
    secret.write_text("root:$y$secret-hash:19000:0:99999:7:::\n")
    os.chmod(secret, 0o600)
    deploy(run, root, "r1")
    capsys.readouterr()
    os.chown(root / "releases" / "r1", 4242, 4242)
    os.symlink(str(secret), str(root / "releases" / "r1" / "RELEASE"))
    result = info(capsys, root=str(root))
    assert result["reported"] is None and "secret-hash" not in json.dumps(result)
    os.unlink(root / "releases" / "r1" / "RELEASE")
    os.mkfifo(root / "releases" / "r1" / "RELEASE")  # nor hang on a FIFO
    assert info(capsys, root=str(root))["reported"] is None


def test_a_link_in_releases_is_no_release(run, root, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    os.symlink(str(tmp_path / "elsewhere"), str(root / "releases" / "r9"))
    result = run(root=str(root), release="r9", state="current")
    assert result["failed"] is True and "release r9 does not exist" in result["msg"]
    assert releases.list_releases(str(root)) == ["r1", "r2", "r3"]
