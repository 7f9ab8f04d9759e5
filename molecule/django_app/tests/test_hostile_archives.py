"""Hostile release archives on the real host: nothing outside the release, no partial release
directory, and each refused for its own reason. The controller refuses them first
(tests/integration/test_preflight.py, and the role run below); the host-side unpack holds on
its own (the loop below uploads them past the controller's check).

The link chain is the one Debian 12's Python 3.11.2 (no tarfile.data_filter) would unpack as
it is: ``a/b/c/d/e/l -> ../../../../..`` then ``venv -> a/b/c/d/e/l/../../../../etc/cron.d``,
whose text stays inside the release but which leads to /etc/cron.d; the virtualenv step then
chowned /etc/cron.d to the app user as root. The scenario runs on every platform.
"""

import io
import json
import os
import re
import tarfile

import pytest

from conftest import playbook

RELEASES = "/srv/demo/releases"
CHAIN_REASON = ("venv: symlink to a/b/c/d/e/l/../../../../etc/cron.d, outside the archive: it leads above the "
                "release directory (through a/b/c/d/e/l -> ../../../../..)")


def _member(name, kind=tarfile.REGTYPE, linkname="", data=b"pwned\n"):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


SYM, LNK = tarfile.SYMTYPE, tarfile.LNKTYPE
CHAIN = [("a/b/c/d/e/l", SYM, "../../../../.."), ("venv", SYM, "a/b/c/d/e/l/../../../../etc/cron.d")]

# The first members unpack fine; the hostile ones come after them, so a naive unpack would
# leave a partial release behind. Each: its members and the reason its refusal must give.
GOOD = [("requirements.txt",), ("app/a.py",), ("app/b.py",)]
HOSTILE = {
    "absolute": ([("/tmp/evil-absolute",)], "/tmp/evil-absolute: absolute path"),
    "dotdot": ([("../../../tmp/evil-dotdot",)], "../../../tmp/evil-dotdot: '..' in the path"),
    "symlink then a file through it": ([("link", SYM, "/tmp"), ("link/evil-through-link",)],
                                       "link/evil-through-link: lies below the symlink link (-> /tmp)"),
    "symlink out": ([("etc", SYM, "/etc")], "etc: symlink to the absolute path /etc"),
    "device": ([("dev", tarfile.CHRTYPE)], "dev: device or FIFO"),
    "the cron.d chain": (CHAIN, CHAIN_REASON),
    "the chain and a file through it": (CHAIN + [("venv/evil-cron",)], "venv/evil-cron: lies below the symlink venv"),
    "three links deep": ([("x/y/z/l1", SYM, "../../.."), ("m/n/l2", SYM, "../../x/y/z/l1"),
                          ("venv", SYM, "m/n/l2/../../../etc/cron.d")],
                         "venv: symlink to m/n/l2/../../../etc/cron.d, outside the archive: it leads above the "
                         "release directory (through m/n/l2 -> ../../x/y/z/l1, x/y/z/l1 -> ../../..)"),
    "link to a link": ([("a/b/c/d/l2", SYM, "../../../.."), ("a/b/c/d/l1", SYM, "l2/../../../../etc/cron.d")],
                       "a/b/c/d/l1: symlink to l2/../../../../etc/cron.d, outside the archive: it leads above the "
                       "release directory (through a/b/c/d/l2 -> ../../../..)"),
    "a later member turns an earlier link out": (
        [("a/b/c/venv", SYM, "x/../../../../etc/cron.d"), ("a/b/c/x", SYM, "../..")],
        "a/b/c/venv: symlink to x/../../../../etc/cron.d, outside the archive: it leads above the release "
        "directory (through a/b/c/x -> ../..) once the whole archive is unpacked"),
    "hard link to /etc/shadow": ([("shadow", LNK, "/etc/shadow")],
                                 "shadow: hard link to /etc/shadow, outside the archive (an absolute path)"),
    "hard link through a symlink": ([("etc", SYM, "/etc"), ("shadow", LNK, "etc/shadow")],
                                    "shadow: hard link to etc/shadow, which lies below the symlink etc (-> /etc)"),
    # Debian 12 with the lexical check: os.link followed etc/ to /etc, then the chown of the
    # release handed /etc/shadow (the same inode) to the app user.
    "hard link to /etc/shadow through the chain": (
        [("a/b/c/d/e/l", SYM, "../../../../.."), ("etc", SYM, "a/b/c/d/e/l/../../../../etc"), ("shadow", LNK, "etc/shadow")],
        "shadow: hard link to etc/shadow, which lies below the symlink etc (-> a/b/c/d/e/l/../../../../etc)"),
    "hard link to a symlink out": ([("s", SYM, "../../../../etc/shadow"), ("shadow", LNK, "s")],
                                   "shadow: hard link to s, a symlink (-> ../../../../etc/shadow)"),
    "a file over a link": ([("app/c.py", SYM, "../a/b"), ("app/c.py",)],
                           "app/c.py: already in the archive as a symlink, now a regular file"),
}
# Not tar: refused before any member is looked at.
BROKEN = {
    "truncated": "is truncated or corrupt",
    "notgzip": "is not a gzip-compressed tar archive (it starts with b'PK', not b'\\x1f\\x8b')",
}


def _write(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for args in members:
            archive.addfile(*_member(*args))


def _cron_d(host):
    """Owner, group, mode and entries of /etc/cron.d."""
    return host.check_output("stat -c '%U:%G %a' /etc/cron.d && ls -A /etc/cron.d")


@pytest.fixture(scope="module")
def cron_d_before(host):
    return _cron_d(host)


@pytest.fixture(scope="module")
def attempts(tmp_path_factory, cron_d_before):
    """Upload each hostile archive (and a truncated and a non-gzip one) and unpack it on the host
    with the module the role uses; return the playbook's output and what each unpack said."""
    tmp = tmp_path_factory.mktemp("archives")
    names = []
    for index, (members, _reason) in enumerate(HOSTILE.values()):
        _write(tmp / f"h{index}.tar.gz", GOOD + members)
        names.append(f"h{index}")
    _write(tmp / "big.tar.gz", GOOD + [("app/big.bin", tarfile.REGTYPE, "", os.urandom(300000))])
    data = (tmp / "big.tar.gz").read_bytes()
    (tmp / "truncated.tar.gz").write_bytes(data[: len(data) // 2])
    (tmp / "notgzip.tar.gz").write_bytes(b"PK\x03\x04 not a tarball")
    names += list(BROKEN)
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
    - name: Hand what each unpack said to the tests
      ansible.builtin.copy:
        content: "{{{{ __hostile_outcomes | to_nice_json }}}}"
        dest: {tmp}/outcomes.json
        mode: "0644"
      delegate_to: localhost
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
  register: __hostile_unpack
  ignore_errors: true
- name: Keep what the unpack of {{{{ archive }}}} said
  ansible.builtin.set_fact:
    __hostile_outcomes: >-
      {{{{ __hostile_outcomes | default({{}}) | combine({{archive: {{'failed': __hostile_unpack is failed,
          'msg': __hostile_unpack.msg | default('')}}}}) }}}}
""")
    rc, out = playbook(str(play))
    outcomes = json.loads((tmp / "outcomes.json").read_text()) if (tmp / "outcomes.json").exists() else {}
    return rc, out, outcomes


def test_every_hostile_archive_is_refused_for_its_own_reason(attempts):
    rc, out, outcomes = attempts
    assert rc == 0, out
    assert out.count("...ignoring") == len(HOSTILE) + len(BROKEN), out
    expected = {f"h{index}": reason for index, (_members, reason) in enumerate(HOSTILE.values())}
    expected.update(BROKEN)
    assert sorted(outcomes) == sorted(expected), out
    wrong = {}
    for name, reason in expected.items():
        outcome = outcomes[name]
        if not (outcome["failed"] and reason in outcome["msg"]):
            wrong[name] = (reason, outcome)
    assert wrong == {}, json.dumps(wrong, indent=2)


def test_nothing_lands_outside_the_release(host, attempts, cron_d_before):
    for path in ("/tmp/evil-absolute", "/tmp/evil-dotdot", "/tmp/evil-through-link", "/etc/evil-cron"):
        assert not host.file(path).exists, path
    assert host.run("find / -xdev -name 'evil-*' -newer /etc/hostname").stdout.strip() == ""
    assert _cron_d(host) == cron_d_before
    assert cron_d_before.startswith("root:root 755")
    assert host.check_output("stat -c '%U:%G %h' /etc/shadow") == "root:shadow 1"  # no hard link made to it


def test_no_partial_release_and_no_upload_is_left(host, attempts):
    leftovers = host.check_output(f"ls -A {RELEASES}").split()
    assert [name for name in leftovers if "hostile" in name or name.startswith(".")] == []


def test_the_releases_directory_is_roots(host):
    """Root uploads and renames releases there: the app user must not be able to swap an entry."""
    releases = host.file(RELEASES)
    assert (releases.user, releases.group, releases.mode) == ("root", "demo", 0o755)
    release = host.file(f"{RELEASES}/" + host.check_output("readlink /srv/demo/current").split("/")[-1])
    assert release.user == "demo" and not release.is_symlink


@pytest.fixture(scope="module")
def role_run(host, tmp_path_factory, cron_d_before):
    """The scenario's converge with the chain archive: refused on the controller, before the
    host changes. Returns (rc, output, the host's state before, after)."""
    tmp = tmp_path_factory.mktemp("chain")
    _write(tmp / "chain.tar.gz", GOOD + CHAIN)
    state = f"stat -c '%U:%G %a' /etc/cron.d; ls -A /etc/cron.d {RELEASES}; readlink /srv/demo/current; " \
            "find /srv/demo -maxdepth 2 -printf '%p %U %G %m %T@\\n' | sort"
    before = host.check_output(state)
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rc, out = playbook(os.path.join(scenario, "converge.yml"),
                       "-e", f"django_app_release_archive={tmp / 'chain.tar.gz'}", "-e", "demo_release=chain")
    return rc, out, before, host.check_output(state)


def test_the_role_refuses_the_chain_before_any_change(role_run):
    rc, out, before, after = role_run
    assert rc != 0, out
    flat = re.sub(r"\s+", " ", out)
    assert "django_app_release_archive: " in flat and CHAIN_REASON in flat, out[-3000:]
    assert re.search(r"^\S+\s*: ok=\d+\s+changed=0\s+unreachable=0\s+failed=1", out, re.M), out[-3000:]
    assert after == before


def test_etc_cron_d_keeps_its_owner_after_the_role_run(host, role_run, cron_d_before):
    assert _cron_d(host) == cron_d_before


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The app user (who owns its releases and runs their code) makes venv -> /etc/cron.d in a
    release of its own; the virtualenv step then runs as root on that path."""
    tmp = tmp_path_factory.mktemp("planted")
    release = f"{RELEASES}/hostile-planted"
    play = tmp / "play.yml"
    play.write_text(f"""
- name: Build a virtualenv where the app user planted a link
  hosts: all
  gather_facts: false
  tasks:
    - name: Make a release of the app user's
      ansible.builtin.file:
        path: {release}
        state: directory
        owner: demo
        group: demo
        mode: "0755"
    - name: Plant venv -> /etc/cron.d as the app user
      ansible.builtin.command:
        argv: [runuser, -u, demo, --, ln, -s, /etc/cron.d, {release}/venv]
      changed_when: true
    - name: Build the virtualenv as the role does
      webstack.django.pip_requirements:
        virtualenv: {release}/venv
        owner: demo
        group: demo
        packages: []
      register: __planted
      ignore_errors: true
    - name: Hand the outcome to the tests
      ansible.builtin.copy:
        content: "{{{{ {{'failed': __planted is failed, 'msg': __planted.msg | default('')}} | to_json }}}}"
        dest: {tmp}/outcome.json
        mode: "0644"
      delegate_to: localhost
    - name: Remove the planted release (the link, not its target)
      ansible.builtin.file:
        path: {release}
        state: absent
""")
    rc, out = playbook(str(play))
    return rc, out, json.loads((tmp / "outcome.json").read_text())


def test_a_link_the_app_user_planted_is_not_followed_as_root(host, planted, cron_d_before):
    rc, out, outcome = planted
    assert rc == 0, out
    assert outcome["failed"], outcome
    assert (f"{RELEASES}/hostile-planted/venv is a symlink (-> /etc/cron.d) in {RELEASES}/hostile-planted, "
            "a directory user demo can write: not followed") in outcome["msg"], outcome
    assert _cron_d(host) == cron_d_before
    assert not host.file(f"{RELEASES}/hostile-planted").exists
