"""Each lock is what its input resolves to today (make lock would change no pin): an input
edited without `make lock` fails here (tests/unit/test_locks.py checks pins and hashes)."""

import os
import subprocess

import pytest

from conftest import ROOT
from locks import parse_lock

pytestmark = pytest.mark.integration


def test_every_lock_is_what_its_input_resolves_to():
    result = subprocess.run(["bash", os.path.join(ROOT, "scripts", "lock.sh"), "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every lock is what its input resolves to" in result.stdout


IDNA = "idna==3.21"


def install(tmp_path, hashes):
    """scripts/setup.sh's installer (uv, --require-hashes) into a new virtualenv from a one-line
    lock of IDNA with the given hashes; returns (rc, output, venv)."""
    lock = tmp_path / "lock.txt"
    lock.write_text(IDNA + "".join(f" \\\n    --hash=sha256:{digest}" for digest in hashes) + "\n")
    venv = tmp_path / "venv"
    result = subprocess.run(["bash", os.path.join(ROOT, "scripts", "setup.sh"), "locked-venv", str(venv), str(lock)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    return result.returncode, result.stdout + result.stderr, venv


def controller_hashes(pin):
    """The hashes (hex digests) requirements/controller.txt gives a pin."""
    with open(os.path.join(ROOT, "requirements", "controller.txt"), encoding="utf-8") as handle:
        version, _marker, hashes = parse_lock(handle.read())[pin.split("==")[0]]
    assert f"=={version}" in pin, (pin, version)
    return [digest.removeprefix("sha256:") for digest in hashes]


def test_a_lock_installs_what_its_hashes_name(tmp_path):
    rc, out, venv = install(tmp_path, controller_hashes(IDNA))
    assert rc == 0, out
    assert (venv / ".lock.sha256").is_file()
    version = subprocess.run([str(venv / "bin" / "python"), "-c", "import idna; print(idna.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "3.21"


def test_a_lock_whose_hash_does_not_match_installs_nothing(tmp_path):
    rc, out, venv = install(tmp_path, ["0" * 64])
    assert rc != 0
    assert "hash" in out.lower(), out
    assert not (venv / ".lock.sha256").exists()
    assert subprocess.run([str(venv / "bin" / "python"), "-c", "import idna"], capture_output=True,
                          check=False).returncode != 0
