"""Unit tests for the sha256sums module."""

import functools
import hashlib
import os

import pytest

from ansible_collections.webstack.django.plugins.modules import sha256sums


@pytest.fixture
def bundle(tmp_path):
    (tmp_path / "debs").mkdir()
    (tmp_path / "debs" / "nginx_1_amd64.deb").write_bytes(b"nginx")
    (tmp_path / "manifest.json").write_text("{}\n")
    return tmp_path


@pytest.fixture
def run(run_module):
    return functools.partial(run_module, sha256sums.main)


def test_present_writes_sha256sum_format_sorted(run, bundle):
    result = run(path=str(bundle), state="present")
    assert result["changed"] and result["files"] == 2
    lines = (bundle / "SHA256SUMS").read_text().splitlines()
    assert lines == [hashlib.sha256(b"nginx").hexdigest() + "  debs/nginx_1_amd64.deb",
                     hashlib.sha256(b"{}\n").hexdigest() + "  manifest.json"]


def test_present_twice_changes_nothing(run, bundle):
    run(path=str(bundle), state="present")
    assert run(path=str(bundle), state="present")["changed"] is False


def test_present_in_check_mode_writes_nothing(run, bundle):
    assert run(path=str(bundle), state="present", check=True)["changed"]
    assert not (bundle / "SHA256SUMS").exists()


def test_verified_bundle_passes(run, bundle):
    run(path=str(bundle), state="present")
    result = run(path=str(bundle))
    assert not result["changed"] and result["files"] == 2


def test_tampered_file_is_named(run, bundle):
    run(path=str(bundle), state="present")
    (bundle / "debs" / "nginx_1_amd64.deb").write_bytes(b"evil")
    result = run(path=str(bundle))
    assert result["failed"]
    assert result["mismatched"] == ["debs/nginx_1_amd64.deb"]
    assert "checksum mismatch: debs/nginx_1_amd64.deb" in result["msg"]


def test_missing_and_unlisted_files_are_named(run, bundle):
    run(path=str(bundle), state="present")
    os.remove(bundle / "manifest.json")
    (bundle / "debs" / "extra.deb").write_bytes(b"x")
    result = run(path=str(bundle))
    assert result["missing"] == ["manifest.json"]
    assert result["unlisted"] == ["debs/extra.deb"]
    assert "missing: manifest.json" in result["msg"] and "not listed in SHA256SUMS: debs/extra.deb" in result["msg"]


def test_no_checksum_file_fails(run, bundle):
    assert "no SHA256SUMS" in run(path=str(bundle))["msg"]


def test_path_outside_the_directory_is_refused(run, bundle):
    (bundle / "SHA256SUMS").write_text("0" * 64 + "  ../etc/passwd\n")
    assert "outside the directory" in run(path=str(bundle))["msg"]


def test_symlink_is_refused(run, bundle):
    run(path=str(bundle), state="present")
    os.symlink("/etc/passwd", bundle / "debs" / "link.deb")
    assert "not a regular file: debs/link.deb" in run(path=str(bundle))["msg"]


def test_detached_signature_of_the_checksum_file_is_neither_listed_nor_unlisted(run, bundle):
    run(path=str(bundle), state="present")
    (bundle / "SHA256SUMS.asc").write_text("-----BEGIN PGP SIGNATURE-----\n")
    assert "SHA256SUMS.asc" not in (bundle / "SHA256SUMS").read_text()
    assert not run(path=str(bundle), state="present")["changed"]
    result = run(path=str(bundle), state="verified")
    assert not result.get("failed") and result["unlisted"] == []
