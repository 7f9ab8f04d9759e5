"""Unit tests for the pip_requirements module: pip is replaced by a fake that records calls."""

import json
import os
import pwd
import subprocess
from types import SimpleNamespace

import pytest

from ansible_collections.webstack.django.plugins.modules import pip_requirements as mod


class FakePip:
    """Plays the virtualenv's python: `-m venv`, `pip --version/list/install`, the old-pip check."""

    def __init__(self, installed=None, version="23.0.1", to_install=None):
        self.installed = dict(installed or {"pip": version, "setuptools": "66.1.1"})
        self.version = version
        self.to_install = dict(to_install or {})  # what a real `pip install` resolves to
        self.calls = []
        self.kwargs = []

    def __call__(self, cmd, input=None, **kwargs):
        self.calls.append(cmd)
        self.kwargs.append(kwargs)
        out = ""
        if cmd[1:3] == ["-m", "venv"]:
            os.makedirs(os.path.join(cmd[-1], "bin"), exist_ok=True)
            open(os.path.join(cmd[-1], "bin", "python"), "w").close()
            if "--without-pip" not in cmd:
                open(os.path.join(cmd[-1], "bin", "pip"), "w").close()
        elif cmd[1:4] == ["-m", "pip", "--version"]:
            out = f"pip {self.version} from /x/site-packages/pip (python 3.11)\n"
        elif cmd[1:4] == ["-m", "pip", "list"]:
            out = json.dumps([{"name": n, "version": v} for n, v in self.installed.items()])
        elif cmd[1:4] == ["-m", "pip", "install"] and "--dry-run" in cmd:
            out = json.dumps({"version": "1", "install": [
                {"metadata": {"name": n, "version": v}} for n, v in self.pending().items()]})
        elif cmd[1:4] == ["-m", "pip", "install"]:
            self.installed.update(self.pending())
            out = "Successfully installed\n"
        elif cmd[1] == "-c":
            out = json.dumps([{"line": f"{n}=={v}", "name": n, "version": v} for n, v in self.pending().items()])
        return SimpleNamespace(returncode=0, stdout=out, stderr="")

    def pending(self):
        have = {k.lower(): v for k, v in self.installed.items()}
        return {n: v for n, v in self.to_install.items() if have.get(n.lower()) != v}

    def pip_runs(self, *words):
        return [c for c in self.calls if c[1:4] == ["-m", "pip", "install"] and all(w in c for w in words)]


@pytest.fixture
def venv(tmp_path):
    """An existing virtualenv directory (bin/python present)."""
    path = tmp_path / "venv"
    (path / "bin").mkdir(parents=True)
    (path / "bin" / "python").touch()
    (path / "bin" / "pip").touch()
    return path


@pytest.fixture
def run(run_module, monkeypatch):
    """Run main() with a fake pip; return its result."""

    def _run(fake, **args):
        monkeypatch.setattr(subprocess, "run", fake)
        return run_module(mod.main, **args)

    return _run


def test_second_run_installs_nothing_and_reports_no_change(run, venv):
    fake = FakePip(to_install={"six": "1.16.0"})
    first = run(fake, virtualenv=str(venv), packages=["six==1.16.0"])
    assert first["changed"] is True
    assert first["changes"] == [{"name": "six", "before": None, "after": "1.16.0"}]
    second = run(fake, virtualenv=str(venv), packages=["six==1.16.0"])
    assert second["changed"] is False
    assert second["changes"] == []


def test_diff_lists_name_version_before_and_after(run, venv):
    fake = FakePip(installed={"pip": "23.0.1", "six": "1.16.0"}, to_install={"six": "1.17.0"})
    result = run(fake, diff=True, virtualenv=str(venv), packages=["six==1.17.0"])
    assert result["diff"]["before"] == "pip==23.0.1\nsix==1.16.0\n"
    assert result["diff"]["after"] == "pip==23.0.1\nsix==1.17.0\n"
    assert result["changes"] == [{"name": "six", "before": "1.16.0", "after": "1.17.0"}]


def test_check_mode_uses_pip_dry_run_report_and_installs_nothing(run, venv):
    fake = FakePip(installed={"pip": "23.0.1", "six": "1.16.0"}, to_install={"six": "1.17.0", "idna": "3.7"})
    result = run(fake, check=True, diff=True, virtualenv=str(venv), packages=["six==1.17.0", "idna==3.7"])
    assert result["changed"] is True
    assert result["packages"] == {"pip": "23.0.1", "six": "1.17.0", "idna": "3.7"}
    assert "idna==3.7\n" in result["diff"]["after"]
    assert fake.pip_runs("--dry-run", "--report")
    assert not [c for c in fake.pip_runs() if "--dry-run" not in c]
    assert fake.installed["six"] == "1.16.0"


def test_check_mode_satisfied_reports_no_change(run, venv):
    fake = FakePip(installed={"pip": "23.0.1", "six": "1.16.0"}, to_install={"six": "1.16.0"})
    result = run(fake, check=True, virtualenv=str(venv), packages=["six==1.16.0"])
    assert result["changed"] is False


def test_check_mode_with_an_old_pip_compares_requirements(run, venv):
    fake = FakePip(version="22.0.2", installed={"pip": "22.0.2"}, to_install={"six": "1.16.0"})
    result = run(fake, check=True, virtualenv=str(venv), packages=["six==1.16.0"])
    assert result["changed"] is True
    assert result["changes"] == [{"name": "six", "before": None, "after": "1.16.0"}]
    assert not fake.pip_runs("--dry-run")
    assert [c for c in fake.calls if c[1] == "-c"]


def test_missing_virtualenv_is_created_with_the_distribution_python(run, tmp_path):
    fake = FakePip(to_install={"six": "1.16.0"})
    path = tmp_path / "new"
    result = run(fake, virtualenv=str(path), packages=["six==1.16.0"], python="/usr/bin/python3")
    assert result["created"] is True and result["changed"] is True
    assert fake.calls[0] == ["/usr/bin/python3", "-m", "venv", str(path)]
    assert all(c[0] == str(path / "bin" / "python") for c in fake.calls[1:])


def test_check_mode_on_a_fresh_host_creates_nothing(run, tmp_path):
    fake = FakePip()
    path = tmp_path / "new"
    result = run(fake, check=True, diff=True, virtualenv=str(path), packages=["six==1.16.0"])
    assert result["changed"] is True and result["created"] is True
    assert result["diff"]["after"] == "six==1.16.0\n"
    assert fake.calls == []
    assert not path.exists()


def test_check_mode_tolerates_a_requirements_file_made_by_a_skipped_task(run, venv, tmp_path):
    fake = FakePip()
    result = run(fake, check=True, virtualenv=str(venv), requirements=str(tmp_path / "missing.txt"))
    assert result["changed"] is True
    assert "does not exist yet" in result["msg"]
    assert fake.calls == []


def test_missing_requirements_file_fails_outside_check_mode(run, venv, tmp_path):
    result = run(FakePip(), virtualenv=str(venv), requirements=str(tmp_path / "missing.txt"))
    assert result["failed"] is True
    assert "requirements" in result["msg"]


def test_wheelhouse_installs_offline_and_hashes_turn_on_require_hashes(run, venv, tmp_path):
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    req = wheelhouse / "requirements.txt"
    req.write_text("# made by the wheelhouse builder\nsix==1.16.0 --hash=sha256:" + "a" * 64 + "\n")
    fake = FakePip(to_install={"six": "1.16.0"})
    result = run(fake, virtualenv=str(venv), requirements=str(req), wheelhouse=str(wheelhouse))
    assert result["require_hashes"] is True
    (install,) = [c for c in fake.pip_runs() if "--dry-run" not in c]
    assert install[install.index("--find-links") + 1] == str(wheelhouse)
    assert "--no-index" in install and "--require-hashes" in install


def test_requirements_without_hashes_do_not_require_them(run, venv, tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.16.0\n# --hash=sha256:in-a-comment\n")
    fake = FakePip(to_install={"six": "1.16.0"})
    result = run(fake, virtualenv=str(venv), requirements=str(req))
    assert result["require_hashes"] is False
    assert not fake.pip_runs("--require-hashes")


def test_packages_cannot_join_hash_checking_mode(run, venv, tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.16.0 --hash=sha256:" + "a" * 64 + "\n")
    result = run(FakePip(), virtualenv=str(venv), requirements=str(req), packages=["idna"])
    assert result["failed"] is True
    assert result["msg"].startswith("packages:")


@pytest.mark.parametrize("key", ["virtualenv", "requirements", "wheelhouse"])
def test_relative_paths_are_refused(run, venv, key):
    args = {"virtualenv": str(venv), key: "relative/path"}
    result = run(FakePip(), **args)
    assert result["failed"] is True
    assert result["msg"].startswith(f"{key}:")


def test_wheelhouse_and_index_exclude_each_other(run, venv, tmp_path):
    result = run(FakePip(), virtualenv=str(venv), wheelhouse=str(tmp_path), index_url="https://example.invalid/simple")
    assert result["failed"] is True
    assert "wheelhouse" in result["msg"]


def test_unknown_owner_fails(run, venv):
    result = run(FakePip(), virtualenv=str(venv), owner="no-such-user-webstack")
    assert result["failed"] is True
    assert "owner" in result["msg"]


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root")
def test_pip_runs_as_the_owner(run, tmp_path):
    nobody = pwd.getpwnam("nobody")
    fake = FakePip(to_install={"six": "1.16.0"})
    path = tmp_path / "owned"
    run(fake, virtualenv=str(path), owner="nobody", packages=["six"])
    assert os.stat(path).st_uid == nobody.pw_uid
    assert all(k.get("user") == nobody.pw_uid for k in fake.kwargs)


def test_requirement_lines_follow_includes_and_drop_options(tmp_path):
    (tmp_path / "base.txt").write_text("Django==5.2.19 \\\n    --hash=sha256:abc\n-i https://x.invalid/simple\n")
    (tmp_path / "top.txt").write_text("-r base.txt\nsix==1.16.0 ; python_version < '4'  # pinned\n\n")
    assert mod.requirement_lines(str(tmp_path / "top.txt")) == ["Django==5.2.19", "six==1.16.0 ; python_version < '4'"]


def test_compare_and_prediction_normalise_names():
    before = {"Django": "5.2.18", "prompt_toolkit": "3.0.52"}
    after = mod.apply_predicted(before, [("django", "5.2.19"), ("prompt-toolkit", "3.0.52")])
    assert mod.compare(before, after) == [{"name": "django", "before": "5.2.18", "after": "5.2.19"}]


def test_nothing_to_install_only_creates_the_virtualenv(run, tmp_path):
    fake = FakePip()
    result = run(fake, virtualenv=str(tmp_path / "bare"))
    assert result["created"] is True and result["changed"] is True
    assert not fake.pip_runs()
    again = run(fake, virtualenv=str(tmp_path / "bare"))
    assert again["changed"] is False


# --- No link another user could have placed is followed as root ------------------------------

APP_UID = 4242  # the app user who owns a release (no account needed: only the owner matters)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="owners and seteuid need root")


@pytest.fixture
def release(tmp_path):
    """A release directory the app user owns, as the unpack leaves it, and a root-owned
    directory and file outside it (/etc/cron.d and /etc/crontab)."""
    path = tmp_path / "releases" / "1"
    path.mkdir(parents=True)
    os.chown(path, APP_UID, APP_UID)
    outside = tmp_path / "etc"
    (outside / "cron.d").mkdir(parents=True)
    (outside / "crontab").write_text("root's\n")
    return path


def owners(*paths):
    return [(os.stat(p).st_uid, os.stat(p).st_gid) for p in paths]


@needs_root
@pytest.mark.parametrize("target", ["cron.d", "crontab"])
def test_a_venv_link_in_the_release_is_refused_and_its_target_keeps_its_owner(run, release, tmp_path, target):
    outside = tmp_path / "etc" / target
    os.symlink(str(outside), str(release / "venv"))
    fake = FakePip()
    result = run(fake, virtualenv=str(release / "venv"), owner="nobody", packages=["six==1.16.0"])
    assert result["failed"] is True
    assert f"{release}/venv is a symlink (-> {outside}) in {release}, a directory uid {APP_UID} can write" \
        in result["msg"], result["msg"]
    assert owners(outside) == [(0, 0)]
    assert fake.calls == []  # neither venv nor pip ran


@needs_root
def test_a_link_on_the_way_in_the_release_is_refused_and_nothing_is_made_outside(run, release, tmp_path):
    os.symlink(str(tmp_path / "etc"), str(release / "sub"))
    result = run(FakePip(), virtualenv=str(release / "sub" / "cron.d" / "venv"), owner="nobody")
    assert result["failed"] is True and "sub is a symlink" in result["msg"]
    assert os.listdir(tmp_path / "etc" / "cron.d") == [] and owners(tmp_path / "etc" / "cron.d") == [(0, 0)]


@needs_root
def test_a_link_root_made_in_a_root_directory_is_followed(run, tmp_path):
    """/srv -> /data/srv made by the administrator is fine: its directory is root's alone."""
    (tmp_path / "data").mkdir()
    os.symlink(str(tmp_path / "data"), str(tmp_path / "srv"))
    nobody = pwd.getpwnam("nobody")
    result = run(FakePip(), virtualenv=str(tmp_path / "srv" / "venv"), owner="nobody")
    assert result["created"] is True, result
    assert os.stat(tmp_path / "data" / "venv").st_uid == nobody.pw_uid
    assert not os.path.islink(tmp_path / "data" / "venv")


@needs_root
def test_the_chown_never_follows_a_link_swapped_in_after_the_check(run, release, tmp_path, monkeypatch):
    """The directory is made and chowned through a descriptor: replacing it by a link once it
    was made does not hand the link's target to the app user."""
    real = mod.open_directory

    def swap(path, create=False, mode=0o755):
        fd, created = real(path, create, mode)
        os.rename(path, path + ".moved")
        os.symlink(str(tmp_path / "etc" / "cron.d"), path)
        return fd, created

    monkeypatch.setattr(mod, "open_directory", swap)
    run(FakePip(), virtualenv=str(release / "venv"), owner="nobody")
    nobody = pwd.getpwnam("nobody")
    assert owners(tmp_path / "etc" / "cron.d") == [(0, 0)]
    assert os.stat(str(release / "venv") + ".moved").st_uid == nobody.pw_uid


@pytest.fixture
def readable_dir():
    """A directory nobody can read (tmp_path is root's 0700)."""
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix="webstack-req-")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


@needs_root
@pytest.mark.parametrize("how", ["include", "symlink"])
def test_requirements_are_read_as_the_user_pip_runs_as(run, venv, tmp_path, readable_dir, how):
    """A requirements file of the release that includes, or links to, a root-only file: root does
    not read it for the user (its lines would reach the old-pip check run as that user, and the diff)."""
    secret = tmp_path / "shadow"
    secret.write_text("s3cr3t-line==1.0\n")
    os.chmod(secret, 0o600)
    req = os.path.join(readable_dir, "requirements.txt")
    if how == "include":
        with open(req, "w") as handle:
            handle.write(f"-r {secret}\nsix==1.16.0\n")
    else:
        os.symlink(str(secret), req)
    os.chown(venv, pwd.getpwnam("nobody").pw_uid, 0)
    fake = FakePip(version="22.0.2", installed={"pip": "22.0.2"})
    result = run(fake, check=True, diff=True, virtualenv=str(venv), requirements=req)
    assert result["failed"] is True and result["msg"].startswith(f"requirements: cannot read {req} as nobody")
    assert "s3cr3t" not in json.dumps(result) and fake.calls == []
    assert os.geteuid() == 0 and os.getegid() == 0  # the module's ids are back


@needs_root
def test_requirements_readable_by_the_user_are_read(run, venv, readable_dir):
    req = os.path.join(readable_dir, "requirements.txt")
    with open(req, "w") as handle:
        handle.write("six==1.16.0 --hash=sha256:" + "a" * 64 + "\n")
    os.chmod(req, 0o644)
    os.chown(venv, pwd.getpwnam("nobody").pw_uid, 0)
    fake = FakePip(version="22.0.2", installed={"pip": "22.0.2"}, to_install={"six": "1.16.0"})
    result = run(fake, check=True, virtualenv=str(venv), requirements=req)
    assert result["require_hashes"] is True and result["changed"] is True, result


def test_pip_runs_with_the_given_cache_or_none(run, venv, tmp_path, monkeypatch):
    # Whatever cache the caller's environment names.
    monkeypatch.setenv("PIP_CACHE_DIR", str(tmp_path / "ambient"))
    cache = tmp_path / "cache"
    cache.mkdir()
    fake = FakePip(to_install={"six": "1.16.0"})
    run(fake, virtualenv=str(venv), packages=["six==1.16.0"], cache_dir=str(cache))
    assert {kw.get("env", {}).get("PIP_CACHE_DIR") for kw in fake.kwargs} == {str(cache)}
    fake = FakePip(to_install={"six": "1.16.0"})
    run(fake, virtualenv=str(venv), packages=["six==1.16.0"])
    assert {kw.get("env", {}).get("PIP_NO_CACHE_DIR") for kw in fake.kwargs} == {"1"}
    assert not any("PIP_CACHE_DIR" in kw.get("env", {}) for kw in fake.kwargs)


@pytest.mark.parametrize("kind", ["link", "file", "missing", "relative"])
def test_a_cache_that_is_a_link_a_file_or_missing_is_refused(run, venv, tmp_path, kind):
    target = tmp_path / "elsewhere"
    target.mkdir()
    cache = tmp_path / "cache"
    if kind == "link":
        cache.symlink_to(target)
    elif kind == "file":
        cache.write_text("")
    result = run(FakePip(), virtualenv=str(venv), packages=["six==1.16.0"],
                 cache_dir="cache" if kind == "relative" else str(cache))
    assert result["failed"] is True and result["msg"].startswith("cache_dir: "), result["msg"]


def test_a_cache_made_by_a_skipped_task_is_tolerated_in_check_mode(run, venv, tmp_path):
    fake = FakePip(to_install={"six": "1.16.0"})
    result = run(fake, virtualenv=str(venv), packages=["six==1.16.0"], cache_dir=str(tmp_path / "later"), check=True)
    assert result["changed"] is True and "cache_dir" in result.get("msg", "")


@pytest.fixture
def uv(tmp_path):
    """An executable file standing for the pinned uv."""
    path = tmp_path / "uv"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


class FakeUv(FakePip):
    """Also plays uv: `uv pip install --python VENV/bin/python ...` installs like pip would."""

    def __call__(self, cmd, input=None, **kwargs):
        if cmd[1:3] == ["pip", "install"]:
            self.calls.append(cmd)
            self.kwargs.append(kwargs)
            if "--dry-run" in cmd:
                plan = "".join(f" + {n}=={v}\n" for n, v in self.pending().items())
                return SimpleNamespace(returncode=0, stdout="", stderr=f"Would install {len(self.pending())} packages\n{plan}")
            self.installed.update(self.pending())
            return SimpleNamespace(returncode=0, stdout="", stderr="Installed 1 package\n")
        if cmd[1:3] == ["pip", "list"]:
            self.calls.append(cmd)
            self.kwargs.append(kwargs)
            out = json.dumps([{"name": n.lower(), "version": v} for n, v in self.installed.items()])
            return SimpleNamespace(returncode=0, stdout=out, stderr="")
        return super().__call__(cmd, input=input, **kwargs)


def test_uv_installs_the_same_requirements_and_pip_judges_the_change(run, venv, tmp_path, uv, monkeypatch):
    monkeypatch.setenv("UV_INDEX_URL", "https://evil.invalid/simple")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "ambient"))
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.16.0 --hash=sha256:" + "a" * 64 + "\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    fake = FakeUv(to_install={"six": "1.16.0"})
    result = run(fake, virtualenv=str(venv), requirements=str(req), uv=uv, cache_dir=str(cache),
                 wheelhouse=str(tmp_path))
    assert result["changed"] is True and result["packages"]["six"] == "1.16.0", result
    installs = [c for c in fake.calls if c[1:3] == ["pip", "install"]]
    assert len(installs) == 1 and not fake.pip_runs(), fake.calls
    # uv lists too (pip's interpreter is not started at all).
    assert not [c for c in fake.calls if c[1:3] == ["-m", "pip"]], fake.calls
    # A list needs no cache (uv would make one in the user's home, which may be root's).
    assert all("--no-cache" in c for c in fake.calls if c[1:3] == ["pip", "list"]), fake.calls
    assert result["pip_version"] is None
    cmd = installs[0]
    assert cmd[0] == uv and cmd[cmd.index("--python") + 1] == str(venv / "bin" / "python")
    for word in ("--no-config", "--compile-bytecode", "--require-hashes", "--no-index"):
        assert word in cmd, cmd
    assert cmd[cmd.index("--cache-dir") + 1] == str(cache) and cmd[cmd.index("--requirement") + 1] == str(req)
    assert cmd[cmd.index("--find-links") + 1] == str(tmp_path) and "--no-input" not in cmd
    env = fake.kwargs[fake.calls.index(cmd)]["env"]
    assert not [name for name in env if name.startswith("UV_")], env
    # The change is pip's list before and after, as without uv: a second run changes nothing.
    again = run(fake, virtualenv=str(venv), requirements=str(req), uv=uv, cache_dir=str(cache), wheelhouse=str(tmp_path))
    assert again["changed"] is False, again


def test_uv_without_a_cache_uses_none(run, venv, uv):
    fake = FakeUv(to_install={"six": "1.16.0"})
    run(fake, virtualenv=str(venv), packages=["six==1.16.0"], uv=uv)
    cmd = next(c for c in fake.calls if c[1:3] == ["pip", "install"])
    assert "--no-cache" in cmd and "--cache-dir" not in cmd and cmd[-1] == "six==1.16.0"


def test_check_mode_with_uv_predicts_with_pip_and_runs_no_uv(run, venv, tmp_path):
    fake = FakeUv(to_install={"six": "1.16.0"})
    result = run(fake, check=True, virtualenv=str(venv), packages=["six==1.16.0"], uv=str(tmp_path / "not-yet"))
    assert result["changed"] is True and fake.pip_runs("--dry-run"), result
    assert not [c for c in fake.calls if c[1:3] == ["pip", "install"]]
    assert fake.installed.get("six") is None


def test_a_virtualenv_for_uv_is_made_without_pip(run, tmp_path, uv):
    fake = FakeUv(to_install={"six": "1.16.0"})
    result = run(fake, virtualenv=str(tmp_path / "new"), packages=["six==1.16.0"], uv=uv)
    assert result["created"] is True and result["packages"]["six"] == "1.16.0", result
    made = [c for c in fake.calls if c[1:3] == ["-m", "venv"]]
    assert len(made) == 1 and "--without-pip" in made[0], fake.calls
    assert not os.path.exists(tmp_path / "new" / "bin" / "pip")
    assert not [c for c in fake.calls if c[1:3] == ["-m", "pip"]], fake.calls


def test_a_virtualenv_for_pip_is_made_with_pip(run, tmp_path):
    fake = FakePip(to_install={"six": "1.16.0"})
    run(fake, virtualenv=str(tmp_path / "new"), packages=["six==1.16.0"])
    made = [c for c in fake.calls if c[1:3] == ["-m", "venv"]]
    assert len(made) == 1 and "--without-pip" not in made[0], fake.calls


def test_check_mode_with_uv_predicts_with_uv_dry_run_and_changes_nothing(run, venv, uv):
    (venv / "bin" / "pip").unlink()  # made for uv: no pip in it
    fake = FakeUv(installed={"idna": "3.7"}, to_install={"six": "1.16.0"})
    result = run(fake, check=True, virtualenv=str(venv), packages=["six==1.16.0"], uv=uv)
    assert result["changed"] is True and result["changes"] == [{"name": "six", "before": None, "after": "1.16.0"}], result
    dry = [c for c in fake.calls if c[1:3] == ["pip", "install"]]
    assert len(dry) == 1 and "--dry-run" in dry[0] and not fake.pip_runs(), fake.calls
    assert fake.installed == {"idna": "3.7"}
    # Nothing to do: the plan is empty and nothing changes.
    fake = FakeUv(installed={"six": "1.16.0"})
    assert run(fake, check=True, virtualenv=str(venv), packages=["six==1.16.0"], uv=uv)["changed"] is False


def test_check_mode_without_uv_yet_and_no_pip_says_it_cannot_predict(run, venv, tmp_path):
    (venv / "bin" / "pip").unlink()
    fake = FakeUv(to_install={"six": "1.16.0"})
    result = run(fake, check=True, virtualenv=str(venv), packages=["six==1.16.0"], uv=str(tmp_path / "not-yet"))
    assert result["changed"] is True and "cannot predict the packages: uv" in result["msg"], result
    assert not fake.calls


class FakeNoPip(FakePip):
    """A virtualenv made for uv: its python has no pip module."""

    def __call__(self, cmd, input=None, **kwargs):
        if cmd[1:3] == ["-m", "pip"]:
            self.calls.append(cmd)
            self.kwargs.append(kwargs)
            return SimpleNamespace(returncode=1, stdout="", stderr=f"{cmd[0]}: No module named pip\n")
        return super().__call__(cmd, input=input, **kwargs)


def test_pip_into_a_venv_made_for_uv_says_to_use_uv(run, venv):
    (venv / "bin" / "pip").unlink()
    result = run(FakeNoPip(), virtualenv=str(venv), packages=["six==1.16.0"])
    assert result["failed"] is True and "has no pip (a virtualenv made for uv" in result["msg"], result
    assert "installer: uv" in result["msg"]


@pytest.mark.parametrize("kind", ["relative", "missing", "not executable"])
def test_a_uv_that_is_no_executable_is_refused(run, venv, tmp_path, kind):
    path = tmp_path / "uv"
    if kind == "not executable":
        path.write_text("")
        path.chmod(0o644)
    result = run(FakeUv(), virtualenv=str(venv), packages=["six==1.16.0"], uv="uv" if kind == "relative" else str(path))
    assert result["failed"] is True and result["msg"].startswith("uv: "), result


def test_a_new_virtualenv_keeps_the_given_cache_and_no_uv_setting(run, tmp_path, uv, monkeypatch):
    # With no owner, the user is known only once the virtualenv is made: the commands after it
    # run with the same environment as those before (no ambient cache, no UV_* setting).
    monkeypatch.setenv("PIP_CACHE_DIR", str(tmp_path / "ambient"))
    monkeypatch.setenv("UV_INDEX_URL", "https://evil.invalid/simple")
    fake = FakeUv(to_install={"six": "1.16.0"})
    result = run(fake, virtualenv=str(tmp_path / "new"), packages=["six==1.16.0"], uv=uv)
    assert result["created"] is True and result["packages"]["six"] == "1.16.0", result
    envs = [kw["env"] for kw in fake.kwargs]
    assert len(envs) >= 3 and all(env.get("PIP_NO_CACHE_DIR") == "1" and "PIP_CACHE_DIR" not in env for env in envs)
    assert not [name for env in envs for name in env if name.startswith("UV_")]
