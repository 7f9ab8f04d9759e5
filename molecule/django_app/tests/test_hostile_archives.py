"""Hostile release archives unpacked on the real host: nothing outside the release, no partial
release directory. The controller refuses them first (tests/integration/test_preflight.py);
this proves the host-side unpack holds on its own."""

import io
import os
import tarfile

import pytest

from conftest import playbook

RELEASES = "/srv/demo/releases"


def _member(name, kind=tarfile.REGTYPE, linkname="", data=b"pwned\n"):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


# The first members unpack fine; the hostile one comes after them, so a naive unpack would
# leave a partial release behind.
GOOD = [("requirements.txt",), ("app/a.py",), ("app/b.py",)]
HOSTILE = {
    "absolute": [("/tmp/evil-absolute",)],
    "dotdot": [("../../../tmp/evil-dotdot",)],
    "symlink then a file through it": [("link", tarfile.SYMTYPE, "/tmp"), ("link/evil-through-link",)],
    "symlink out": [("etc", tarfile.SYMTYPE, "/etc")],
    "device": [("dev", tarfile.CHRTYPE)],
}


def _write(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for args in members:
            archive.addfile(*_member(*args))


@pytest.fixture(scope="module")
def attempts(tmp_path_factory):
    """Upload each hostile archive (and a truncated and a non-gzip one) and unpack it on the host
    with the module the role uses; return the playbook's output."""
    tmp = tmp_path_factory.mktemp("archives")
    names = []
    for index, members in enumerate(HOSTILE.values()):
        _write(tmp / f"h{index}.tar.gz", GOOD + members)
        names.append(f"h{index}")
    _write(tmp / "big.tar.gz", GOOD + [("app/big.bin", tarfile.REGTYPE, "", os.urandom(300000))])
    data = (tmp / "big.tar.gz").read_bytes()
    (tmp / "truncated.tar.gz").write_bytes(data[: len(data) // 2])
    (tmp / "notgzip.tar.gz").write_bytes(b"PK\x03\x04 not a tarball")
    names += ["truncated", "notgzip"]
    play = tmp / "play.yml"
    play.write_text(f"""
- name: Unpack hostile archives on the host
  hosts: all
  gather_facts: false
  tasks:
    - name: Upload and unpack each archive
      ansible.builtin.include_tasks: {tmp}/one.yml
      loop: {names}
      loop_control:
          loop_var: archive
""")
    (tmp / "one.yml").write_text(f"""
- name: Upload {{{{ archive }}}}
  ansible.builtin.copy:
    src: {tmp}/{{{{ archive }}}}.tar.gz
    dest: {RELEASES}/.incoming-{{{{ archive }}}}.tar.gz
    mode: "0600"
- name: Unpack {{{{ archive }}}}
  webstack.django.release_archive:
    path: {RELEASES}/.incoming-{{{{ archive }}}}.tar.gz
    dest: {RELEASES}/hostile-{{{{ archive }}}}
    state: unpacked
    required: [requirements.txt]
    owner: demo
    group: demo
    remove_source: true
  ignore_errors: true
""")
    return playbook(str(play))


def test_every_hostile_archive_is_refused(attempts):
    rc, out = attempts
    assert rc == 0, out
    assert out.count("...ignoring") == len(HOSTILE) + 2, out


def test_nothing_lands_outside_the_release(host, attempts):
    for path in ("/tmp/evil-absolute", "/tmp/evil-dotdot", "/tmp/evil-through-link"):
        assert not host.file(path).exists, path
    assert host.run("find / -xdev -name 'evil-*' -newer /etc/hostname").stdout.strip() == ""


def test_no_partial_release_and_no_upload_is_left(host, attempts):
    leftovers = host.check_output(f"ls -A {RELEASES}").split()
    assert [name for name in leftovers if "hostile" in name or name.startswith(".")] == []
