"""A tampered, unsigned or foreign-signed bundle and a bundle for another system fail before
anything is installed."""

import gzip
import hashlib
import io
import json
import os
import re
import tarfile

import pytest

from conftest import playbook

testinfra_hosts = ["webstack-airgap-fresh"]

ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))
TARBALL = os.path.join(ROOT, ".cache", "airgap", "bundle", "webstack-bundle.tar.gz")
FRESH = "webstack-airgap-fresh"
OTHER_KEY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "other-key.pub.asc")


def rewrite(dest, change):
    """Copy the bundle tarball to dest, passing each member's bytes through change(name, data);
    a member for which it returns None is left out."""
    members = []
    with tarfile.open(TARBALL, "r:gz") as src:
        for info in src:
            data = src.extractfile(info).read() if info.isfile() else None
            members.append((info, data))
    changed = {info.name: change(info.name, data) for info, data in members if data is not None}
    with gzip.open(dest, "wb", compresslevel=1) as raw, tarfile.open(fileobj=raw, mode="w") as out:
        for info, data in members:
            if data is None:
                out.addfile(info)
            elif changed[info.name] is not None:
                data = changed[info.name]
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))
    return dest


def member(name):
    """The bytes of one file of the bundle tarball."""
    with tarfile.open(TARBALL, "r:gz") as src:
        for info in src:
            if info.name.removeprefix("./") == name:
                return src.extractfile(info).read()
    raise KeyError(name)


def deploy(bundle, *extra, target=FRESH):
    """site.yml on one untouched container only (the fresh one by default), from the given bundle."""
    return playbook(os.path.join(ROOT, "playbooks", "site.yml"), "-e", f"webstack_bundle={bundle}",
                    "-e", f"webstack_broker_hosts={target}", "-e", f"webstack_web_hosts={target}",
                    "-e", f"webstack_worker_hosts={target}", *extra, timeout=600, cwd=ROOT)


def assert_nothing_installed(host, out, target=FRESH):
    assert re.search(rf"{target}\s*: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=1 ", out), out[-3000:]
    for package in ("nginx", "rabbitmq-server", "python3-venv", "erlang-base"):
        assert host.run(f"dpkg-query --show --showformat '${{Status}}' {package}").stdout.strip() \
            in ("", "unknown ok not-installed"), package
    assert not host.file("/srv/demo").exists
    assert not host.file("/etc/apt/sources.list.d/webstack-bundle.list").exists
    assert not host.file("/etc/apt/apt.conf.d/50webstack-bundle").exists
    # The preflight play reads every role's inputs first (changing nothing); after it, no role
    # task may have started before the bundle was refused.
    assert "PLAY [Check every input before any host changes]" in out
    # (A bundle the preflight already refuses never reaches that play.)
    after = out.split("PLAY [Use the offline bundle]", 1)[1] if "PLAY [Use the offline bundle]" in out else ""
    for role in ("rabbitmq", "django_app", "virtualenv", "uwsgi", "nginx", "celery"):
        assert f"TASK [webstack.django.{role} :" not in after, role


def test_tampered_package_fails_naming_it_before_anything_is_installed(host, tmp_path):
    victim = {}

    def change(name, data):
        if re.match(r"^(\./)?debs/nginx_.*\.deb$", name):
            victim["name"] = name.removeprefix("./")
            return data[:-16] + b"\0" * 16
        return data

    bundle = rewrite(str(tmp_path / "tampered.tar.gz"), change)
    rc, out = deploy(bundle)
    assert rc != 0, out[-3000:]
    assert "failed verification" in out, out[-3000:]
    assert re.search(r"checksum mismatch: " + re.escape(victim["name"]), out), out[-3000:]
    assert_nothing_installed(host, out)
    # The copy that failed verification is not left on the host.
    with open(bundle, "rb") as handle:
        bundle_id = hashlib.sha256(handle.read()).hexdigest()[:12]
    assert not host.file(f"/var/lib/webstack/bundle/{bundle_id}").exists


def test_bundle_for_another_system_is_refused_before_anything_is_installed(host, tmp_path):
    doc = json.loads(member("manifest.json"))
    release = doc["distribution"]["release"]
    abi = doc["python"]["abi"]
    assert release == host.ansible("setup", "gather_subset=!all,min")["ansible_facts"]["ansible_distribution_release"]
    doc["distribution"]["release"] = "bullseye"
    doc["python"]["abi"] = "cpython-39-x86_64-linux-gnu"
    forged = (json.dumps(doc, indent=4, sort_keys=True) + "\n").encode()
    digest = hashlib.sha256(forged).hexdigest().encode()

    def change(name, data):
        name = name.removeprefix("./")
        if name == "manifest.json":
            return forged
        if name == "SHA256SUMS":
            # The checksums are made to match: only the manifest check can refuse this bundle.
            return re.sub(rb"^[0-9a-f]{64}(  manifest\.json)$", digest + rb"\1", data, flags=re.M)
        if name == "SHA256SUMS.asc":
            return None
        return data

    bundle = rewrite(str(tmp_path / "other.tar.gz"), change)
    # Unsigned (its signature no longer matches), so only with bundle_allow_unsigned does it get this far.
    rc, out = deploy(bundle, "-e", "webstack_bundle_allow_unsigned=true")
    assert rc != 0, out[-3000:]
    assert "does not match this host" in out, out[-3000:]
    assert f"release: bundle bullseye, host {release}" in out, out[-3000:]
    assert f"Python ABI: bundle cpython-39-x86_64-linux-gnu, host {abi}" in out, out[-3000:]
    assert "failed verification" not in out
    assert_nothing_installed(host, out)


@pytest.mark.parametrize("expected", ["0" * 64])
def test_tarball_with_another_checksum_than_expected_is_refused(host, expected):
    rc, out = deploy(TARBALL, "-e", f"webstack_bundle_sha256={expected}")
    assert rc != 0, out[-3000:]
    assert f"bundle_archive_sha256 expects {expected}" in out, out[-3000:]
    assert_nothing_installed(host, out)


def bundle_id(bundle):
    with open(bundle, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def flat(out):
    """The output with every run of white space one space (long messages are wrapped)."""
    return re.sub(r"\s+", " ", out)


def assert_refused_as_untrusted(host, bundle, out, reason):
    assert "is not trusted, nothing on this host was changed" in flat(out), out[-3000:]
    assert reason in flat(out), out[-3000:]
    assert "PLAY [Use the offline bundle]" not in out, out[-3000:]
    assert_nothing_installed(host, out)
    assert not host.file(f"/var/lib/webstack/bundle/{bundle_id(bundle)}").exists


def test_bundle_rechecksummed_after_tampering_is_refused_before_any_change(host, tmp_path):
    with tarfile.open(TARBALL, "r:gz") as src:
        name = next(n.removeprefix("./") for n in src.getnames() if re.match(r"^(\./)?debs/nginx_.*\.deb$", n))
    data = member(name)[:-16] + b"\0" * 16
    digest = hashlib.sha256(data).hexdigest().encode()

    def resum(member_name, member_data):
        member_name = member_name.removeprefix("./")
        if member_name == name:
            return data
        if member_name == "SHA256SUMS":
            # Valid checksums for the altered package; the signature is the builder's, over the old list.
            return re.sub(rb"^[0-9a-f]{64}(  " + re.escape(name.encode()) + rb")$", digest + rb"\1",
                          member_data, flags=re.M)
        return member_data

    bundle = rewrite(str(tmp_path / "resummed.tar.gz"), resum)
    rc, out = deploy(bundle)
    assert rc != 0, out[-3000:]
    assert_refused_as_untrusted(host, bundle, out, "bad signature")
    assert "the signed data was changed after it was signed" in flat(out)
    assert "checksum mismatch" not in out


def test_bundle_signed_by_another_key_is_refused_before_any_change(host):
    # The inventory trusts another key than the one the bundle was signed with.
    rc, out = deploy(TARBALL, "-e", f"webstack_bundle_public_key={OTHER_KEY}")
    assert rc != 0, out[-3000:]
    assert_refused_as_untrusted(host, TARBALL, out, "signed by another key (key ID ")


def test_unsigned_bundle_is_refused_before_any_change(host, tmp_path):
    bundle = rewrite(str(tmp_path / "unsigned.tar.gz"),
                     lambda name, data: None if name.removeprefix("./") == "SHA256SUMS.asc" else data)
    rc, out = deploy(bundle)
    assert rc != 0, out[-3000:]
    assert_refused_as_untrusted(host, bundle, out, "the bundle is not signed")
    assert "Set bundle_allow_unsigned: true" in flat(out)
