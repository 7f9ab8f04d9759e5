"""Unit tests for the openpgp_signature module, with real keys made by gpg and checked by gpgv."""

import functools
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.webstack.django.plugins.modules import openpgp_signature

pytestmark = pytest.mark.skipif(not (shutil.which("gpg") and shutil.which("gpgv")), reason="needs gpg and gpgv")


def gpg(home, *args, data=None):
    proc = subprocess.run(["gpg", "--homedir", str(home), "--batch", "--quiet", *args], input=data,
                          capture_output=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


@pytest.fixture(scope="module")
def keys():
    """Two signing keys: (home, armored public key) each.

    The GnuPG homes are made outside pytest's temporary tree: another pytest process cleaning
    that tree up removes the agent's socket, and the agent then shuts down mid-test.
    """
    made = []
    for name in ("bundle", "other"):
        home = tempfile.mkdtemp(prefix=f"webstack-openpgp-{name}-")
        gpg(home, "--passphrase", "", "--quick-gen-key", f"{name} test key", "ed25519", "sign", "never")
        made.append((home, gpg(home, "--armor", "--export").decode()))
    yield made
    for home, _ignored in made:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def sign(home, data):
    return gpg(home, "--armor", "--detach-sign", data=data).decode()


@pytest.fixture
def run(run_module, tmp_path):
    return functools.partial(run_module, openpgp_signature.main, _ansible_tmpdir=str(tmp_path),
                             _ansible_remote_tmp=str(tmp_path), _ansible_keep_remote_files=True)


def test_good_signature_is_valid(run, keys):
    (home, public), _other = keys
    result = run(public_key=public, content="abc  manifest.json\n", signature=sign(home, b"abc  manifest.json\n"))
    assert result["valid"] and not result["changed"] and result["reason"] is None
    assert len(result["fingerprint"]) == 40


def test_changed_data_is_a_bad_signature(run, keys):
    (home, public), _other = keys
    result = run(public_key=public, content="abd  manifest.json\n", signature=sign(home, b"abc  manifest.json\n"))
    assert result["failed"] and result["reason"] == "bad signature"
    assert "changed after it was signed" in result["msg"]


def test_signature_by_another_key_is_refused_naming_it(run, keys):
    (_home, public), (other_home, _other_public) = keys
    result = run(public_key=public, content="x", signature=sign(other_home, b"x"))
    assert result["failed"] and result["reason"] == "unknown key"
    assert "signed by another key (key ID " + result["key_id"] in result["msg"]


def test_missing_signature_file_is_unsigned(run, keys, tmp_path):
    (_home, public), _other = keys
    (tmp_path / "SHA256SUMS").write_text("x")
    result = run(public_key=public, path=str(tmp_path / "SHA256SUMS"), signature_path=str(tmp_path / "SHA256SUMS.asc"))
    assert result["failed"] and result["reason"] == "unsigned"


def test_files_on_the_host_verify(run, keys, tmp_path):
    (home, public), _other = keys
    (tmp_path / "SHA256SUMS").write_bytes(b"x\n")
    (tmp_path / "SHA256SUMS.asc").write_text(sign(home, b"x\n"))
    result = run(public_key=public, path=str(tmp_path / "SHA256SUMS"), signature_path=str(tmp_path / "SHA256SUMS.asc"))
    assert result["valid"], result


def test_a_key_that_is_no_key_fails_naming_the_option(run):
    result = run(public_key="not a key", content="x", signature="y")
    assert result["failed"] and result["msg"].startswith("public_key: no armored PUBLIC KEY BLOCK")


def test_missing_gpgv_is_named(run, keys):
    result = run(public_key=keys[0][1], content="x", signature="y", gpgv="no-such-gpgv")
    assert result["failed"] and "no-such-gpgv not found" in result["msg"]
