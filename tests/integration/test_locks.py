"""Each lock is what its input resolves to today (make lock would change no pin): an input
edited without `make lock` fails here (tests/unit/test_locks.py checks pins and hashes)."""

import os
import subprocess

import pytest

from conftest import ROOT

pytestmark = pytest.mark.integration


def test_every_lock_is_what_its_input_resolves_to():
    result = subprocess.run(["bash", os.path.join(ROOT, "scripts", "lock.sh"), "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every lock is what its input resolves to" in result.stdout
