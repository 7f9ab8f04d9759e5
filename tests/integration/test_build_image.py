"""scripts/build-image.sh trusts Ubuntu's archive only through its pinned signing keys.

A tampered ubuntu-keyring package and an archive whose Release signature does not verify both
stop the build with a clear message, before anything is imported into docker. The archive is a
loopback HTTP server serving Ubuntu's real InRelease file with one byte changed.
"""

import functools
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_IMAGE = os.path.join(ROOT, "scripts", "build-image.sh")
# The package version the build pins, read from the script (the one place it is set).
with open(BUILD_IMAGE, encoding="utf-8") as _script:
    KEYRING_DEB = "ubuntu-keyring_{}_all.deb".format(
        re.search(r"^UBUNTU_KEYRING_DEB_VERSION=(\S+)$", _script.read(), re.M).group(1))
ARCHIVE = "http://archive.ubuntu.com/ubuntu"
# Ubuntu Archive Automatic Signing Key (2018), one of the two keys the build trusts.
ARCHIVE_2018 = "F6ECB3762474EDA9D21B7022871920D1991BC93C"

pytestmark = pytest.mark.skipif(shutil.which("debootstrap") is None or shutil.which("gpg") is None,
                                reason="needs debootstrap and gpg (make setup installs them)")


@pytest.fixture(scope="module")
def keyring_deb(tmp_path_factory):
    """The real ubuntu-keyring package (from the image build's cache, or the archive's pool)."""
    cached = os.path.join(ROOT, ".cache", "images", KEYRING_DEB)
    if os.path.exists(cached):
        return cached
    dest = tmp_path_factory.mktemp("deb") / KEYRING_DEB
    urllib.request.urlretrieve(f"{ARCHIVE}/pool/main/u/ubuntu-keyring/{KEYRING_DEB}", dest)
    return str(dest)


def build(tmp_path, **env):
    """build-image.sh for Ubuntu 24.04 with a forced rebuild; returns (rc, output)."""
    env = dict(os.environ, WEBSTACK_PLATFORM="ubuntu2404", WEBSTACK_IMAGE_REBUILD="1", TMPDIR=str(tmp_path),
               **env)
    env.pop("WEBSTACK_IMAGE", None)
    result = subprocess.run(["bash", BUILD_IMAGE], env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def gnupg_home():
    """A GnuPG home with a short path: gpg-agent's sockets live in it, and a socket path longer
    than 107 bytes (pytest's temporary tree easily makes one) fails every gpg call."""
    home = tempfile.mkdtemp(prefix="webstack-gpg-")
    yield home
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def repack(deb, tmp_path, home, change):
    """A copy of the keyring package whose archive keyring went through change(gnupg_home, ring)."""
    tree = tmp_path / "tree"
    subprocess.run(["dpkg-deb", "-R", deb, tree], check=True)
    ring = tree / "usr/share/keyrings/ubuntu-archive-keyring.gpg"
    subprocess.run(["gpg", "--homedir", home, "--quiet", "--import", ring], check=True, capture_output=True)
    subprocess.run(["gpg", "--homedir", home, "--quiet", "--import",
                    tree / "usr/share/keyrings/ubuntu-archive-removed-keys.gpg"], check=True, capture_output=True)
    ring.write_bytes(change(home))
    out = tmp_path / "tampered.deb"
    subprocess.run(["dpkg-deb", "--build", tree, out], check=True, capture_output=True)
    return str(out)


def export(home, *fingerprints):
    return subprocess.run(["gpg", "--homedir", home, "--export", *fingerprints], check=True,
                          capture_output=True).stdout


@pytest.mark.parametrize("tamper", ["a key removed", "a key added"])
def test_a_tampered_ubuntu_keyring_stops_the_build(tmp_path, keyring_deb, gnupg_home, tamper):
    def change(home):
        keys = subprocess.run(["gpg", "--homedir", home, "--with-colons", "--list-keys"], check=True,
                              capture_output=True, text=True).stdout
        fingerprints = [line.split(":")[9] for line in keys.splitlines() if line.startswith("fpr")]
        original = {"790BC7277767219C42C86F933B4FE6ACC0B21F32", "843938DF228D22F7B3742BC0D94AA3F0EFE21092",
                    ARCHIVE_2018}
        if tamper == "a key removed":
            return export(home, *(original - {ARCHIVE_2018}))
        extra = next(f for f in fingerprints if f not in original)
        return export(home, *original, extra)

    rc, out = build(tmp_path, WEBSTACK_UBUNTU_KEYRING_DEB=repack(keyring_deb, tmp_path, gnupg_home, change),
                    WEBSTACK_UBUNTU_MIRROR="http://127.0.0.1:9")
    assert rc != 0, out
    assert "the Ubuntu archive keyring" in out and "refusing to trust it" in out, out
    assert "debootstrap ubuntu2404" not in out, out
    assert "importing" not in out, out


@pytest.fixture
def forged_archive(tmp_path):
    """A loopback archive whose noble InRelease is Ubuntu's with one byte of its text changed."""
    with urllib.request.urlopen(f"{ARCHIVE}/dists/noble/InRelease", timeout=60) as answer:
        text = answer.read()
    assert b"\nSuite: noble\n" in text
    dists = tmp_path / "www/ubuntu/dists/noble"
    dists.mkdir(parents=True)
    (dists / "InRelease").write_bytes(text.replace(b"\nSuite: noble\n", b"\nSuite: noblE\n", 1))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ubuntu"
    server.shutdown()


def test_an_archive_whose_release_signature_does_not_verify_stops_the_build(tmp_path, keyring_deb,
                                                                            forged_archive):
    rc, out = build(tmp_path, WEBSTACK_UBUNTU_KEYRING_DEB=keyring_deb, WEBSTACK_UBUNTU_MIRROR=forged_archive)
    assert rc != 0, out
    assert "does not verify against the ubuntu archive keyring" in out, out
    assert "refusing to build webstack/ubuntu2404-systemd:latest" in out, out
    assert "importing" not in out, out
