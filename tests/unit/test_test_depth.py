"""make test (WEBSTACK_TEST_DEPTH=commit) leaves out the scenario tests marked `full`; molecule
test and make test-platforms (no depth, or full) run every test (molecule/conftest.py)."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TESTS = '''
import pytest

def test_quick():
    pass

@pytest.mark.full
def test_slow():
    pass
'''


def run(tmp_path, depth):
    (tmp_path / "test_sample.py").write_text(TESTS)
    # Not the caller's pytest settings (ansible-test units names a plugin of its own in them).
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.path.join(ROOT, "molecule")
    env.pop("WEBSTACK_TEST_DEPTH", None)
    if depth is not None:
        env["WEBSTACK_TEST_DEPTH"] = depth
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-c", os.path.join(ROOT, "pytest.ini"),
         "--rootdir", str(tmp_path), "-rs", "-q", str(tmp_path / "test_sample.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    return result.returncode, result.stdout + result.stderr


def test_make_test_s_depth_leaves_a_full_test_out_saying_where_it_runs(tmp_path):
    rc, out = run(tmp_path, "commit")
    assert rc == 0, out
    assert "1 passed, 1 skipped" in out, out
    assert "slow: left out of make test (WEBSTACK_TEST_DEPTH=commit), run by make test-platforms" in out


@pytest.mark.parametrize("depth", [None, "full"])
def test_every_test_runs_by_default_and_at_full_depth(tmp_path, depth):
    rc, out = run(tmp_path, depth)
    assert rc == 0, out
    assert "2 passed" in out and "skipped" not in out, out


def recipe(makefile, target):
    return makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]


def test_make_test_runs_at_commit_depth_and_the_full_targets_at_full_depth():
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as handle:
        makefile = handle.read()
    assert "TEST_DEPTH ?= commit" in makefile
    assert "WEBSTACK_TEST_DEPTH=$(TEST_DEPTH) bash scripts/test.sh" in recipe(makefile, "test")
    for target in ("test-platforms", "test-rest"):
        assert "WEBSTACK_TEST_DEPTH=full bash scripts/molecule.sh" in recipe(makefile, target), target
