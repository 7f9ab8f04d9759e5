"""webstack.django.converge_stamp on the controller (local connection): a probe finds no stamp,
then the recorded one; it names the input that changed, sees a file changed by hand, records
nothing in check mode, writes keyed digests only, shows no secret nor any digest at -vvv, and
refuses to run outside a role."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import textwrap

import pytest

from conftest import BIN, ROOT, ansible_env

# A distinctive secret among the role's variables (short, as a weak password would be).
SECRET = "s3cret-value"

ROLE_TASKS = """
- name: Probe the stamp
  webstack.django.converge_stamp:
    name: stampy
    paths: ["{{ stampy_dir }}/conf"]
    stamp_dir: "{{ stampy_dir }}/stamps"
    max_age: "{{ stampy_converge_max_age }}"
  register: __stampy_probe

- name: Show the decision
  ansible.builtin.debug:
    msg: "current={{ __stampy_probe.current }} reason={{ __stampy_probe.reason | b64encode }}"

- name: Lose the staged inputs (a test of the record step)
  ansible.builtin.file:
    path: "{{ stampy_dir }}/stamps/stampy.staged"
    state: absent
  when: __stampy_drop_staged | default(false)

- name: Record the stamp
  webstack.django.converge_stamp:
    name: stampy
    state: recorded
    paths: ["{{ stampy_dir }}/conf"]
    stamp_dir: "{{ stampy_dir }}/stamps"
    parts: "{{ __stampy_probe.parts | default(omit) }}"
  when: not __stampy_probe.current
"""


@pytest.fixture(name="stampy")
def fixture_stampy(tmp_path):
    role = tmp_path / "roles" / "stampy"
    (role / "tasks").mkdir(parents=True)
    (role / "defaults").mkdir()
    (role / "tasks" / "main.yml").write_text(ROLE_TASKS)
    (role / "defaults" / "main.yml").write_text(f"stampy_workers: 2\nstampy_secret: {SECRET}\nstampy_converge_max_age: 0\n")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "app.conf").write_text("workers 2\n")
    play = tmp_path / "play.yml"
    play.write_text(textwrap.dedent(f"""
        - hosts: localhost
          gather_facts: false
          vars:
            stampy_dir: {tmp_path}
          roles: [stampy]
    """))

    def run(*args, ok=True):
        env = ansible_env(ANSIBLE_ROLES_PATH=str(tmp_path / "roles"))
        result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
                                 str(play), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=300, check=False)
        out = result.stdout + result.stderr
        assert (result.returncode == 0) is ok, out
        decision = re.search(r"current=(\w+) reason=([A-Za-z0-9+/=]*)", out)
        return out, decision and (decision.group(1) == "True", base64.b64decode(decision.group(2)).decode())

    run.dir = tmp_path
    return run


def test_first_no_stamp_then_the_recorded_one_holds(stampy):
    _out, (current, reason) = stampy()
    assert (current, reason) == (False, "no stamp of an earlier converge")
    out, (current, reason) = stampy()
    assert (current, reason) == (True, "the last converge holds")
    assert re.search(r"localhost\s*: ok=\d+\s+changed=0 ", out), out


def forms(secret):
    """The secret as it could show in a log: as written, escaped (JSON, YAML, Python), and its
    plain digests and base64, of it and of its JSON text (what a stamp used to digest)."""
    texts = [secret, json.dumps(secret)]
    shown = {secret, json.dumps(secret)[1:-1], secret.replace("'", "''"), repr(secret)[1:-1]}
    shown |= {hashlib.new(algo, text.encode()).hexdigest() for algo in ("sha256", "sha1", "md5") for text in texts}
    shown |= {base64.b64encode(text.encode()).decode().rstrip("=") for text in texts}
    return shown


def test_the_stamp_is_private_and_holds_keyed_digests_only(stampy):
    stampy()
    stamp = stampy.dir / "stamps" / "stampy.json"
    assert oct(stamp.stat().st_mode & 0o777) == "0o600"
    assert oct(stamp.parent.stat().st_mode & 0o777) == "0o700"
    assert oct((stamp.parent / ".key").stat().st_mode & 0o777) == "0o600"
    text = stamp.read_text()
    assert not [form for form in forms(SECRET) if form in text]
    assert {"vars.stampy_secret", "vars.stampy_workers", "code"} <= set(json.loads(text)["parts"])


def test_no_secret_and_no_digest_is_shown_at_vvv(stampy):
    outs = [stampy("-vvv")[0], stampy("-vvv")[0], stampy("-vvv", "-e", "stampy_workers=3")[0]]
    assert "current=True" in outs[1] and "current=False" in outs[2]
    stamps = stampy.dir / "stamps"
    recorded = json.loads((stamps / "stampy.json").read_text())
    private = [(stamps / ".key").read_text().strip(), recorded["fingerprint"], recorded["observed"],
               *recorded["parts"].values()]
    for out in outs:
        assert not [form for form in forms(SECRET) if form in out]
        assert not [value for value in private if value in out]
        # No digest of anything: a 64-hex-digit run is a sha256 or an HMAC.
        assert not re.findall(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])", out)


def test_a_record_without_its_staged_inputs_records_nothing(stampy):
    stampy()
    stampy("-e", "stampy_workers=3")  # stages, records
    stamp = stampy.dir / "stamps" / "stampy.json"
    before = stamp.read_text()
    staged = stampy.dir / "stamps" / "stampy.staged"
    assert not staged.exists()
    out, (current, _reason) = stampy("-v", "-e", "stampy_workers=4", "-e", '{"__stampy_drop_staged": true}')
    assert not current
    assert "not recorded: the inputs its probe staged are gone" in out
    assert stamp.read_text() == before


def test_a_changed_variable_is_named(stampy):
    stampy()
    _out, (current, reason) = stampy("-e", "stampy_workers=3")
    assert not current
    assert reason == "changed since the last converge: vars.stampy_workers"


def test_a_changed_role_file_is_seen(stampy):
    stampy()
    (stampy.dir / "roles" / "stampy" / "defaults" / "main.yml").write_text(
        "stampy_workers: 2\nstampy_secret: s3cret-value\nstampy_converge_max_age: 0\n# edited\n")
    _out, (current, reason) = stampy()
    assert not current and reason == "changed since the last converge: code"


def test_a_file_changed_by_hand_is_seen(stampy):
    stampy()
    (stampy.dir / "conf" / "app.conf").write_text("workers 9\n")
    _out, (current, reason) = stampy()
    assert not current and "files, units or packages changed" in reason


def test_a_stamp_older_than_the_maximum_age_does_not_hold(stampy):
    stampy()
    stamp = stampy.dir / "stamps" / "stampy.json"
    content = json.loads(stamp.read_text())
    stamp.write_text(json.dumps(dict(content, at=content["at"] - 7200)))
    _out, (current, reason) = stampy("-e", "stampy_converge_max_age=3600")
    assert not current and "older than" in reason
    _out, (current, _reason) = stampy("-e", "stampy_converge_max_age=0")
    assert current


def test_check_mode_probes_and_records_nothing(stampy):
    _out, (current, _reason) = stampy("--check")
    assert not current
    assert not (stampy.dir / "stamps").exists()


@pytest.mark.parametrize("args, message", [
    ("{name: x}", "runs only in a role's tasks"),
    ("{name: x, max_age: soon}", "argument 'max_age' is of type str and we were unable to convert to int"),
    ("{name: x, state: gone}", "value of state must be one of: probe, recorded, got: gone"),
    ("{name: x, path: /etc}", "Invalid options for webstack.django.converge_stamp: path"),
], ids=["outside a role", "max_age not a number", "unknown state", "unknown option"])
def test_bad_use_is_refused(tmp_path, args, message):
    play = tmp_path / "play.yml"
    play.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                    f"    - webstack.django.converge_stamp: {args}\n")
    result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(play)],
                            cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode != 0
    assert message in " ".join((result.stdout + result.stderr).split()).replace("''", "'"), result.stdout
