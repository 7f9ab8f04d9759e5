"""Unit tests for the converge stamp behind webstack.django.converge_stamp: the observation runs
for real in a shell on a temporary tree, the decision on its parsed output."""

import hashlib
import json
import os
import subprocess

import pytest

from ansible_collections.webstack.django.plugins.module_utils.converge_probe import (
    changed_parts, decide, fingerprint, input_parts, key_path, keyed, keyed_parts, observe_command,
    observed_digest, outermost, parse_observation, staged_path, staged_text, stamp_text, tree_digest,
    write_command)

KEY = "k" * 64


def observe(stamp, paths, units=(), packages=(), shallow=(), create_key=False):
    out = subprocess.run(["sh", "-c", observe_command(stamp, paths, units, packages, shallow, create_key)],
                         check=True, capture_output=True, text=True).stdout
    return parse_observation(out)


def write(path, text, remove=()):
    subprocess.run(["sh", "-c", write_command(path, remove)], input=text + "\n", text=True, check=True)


@pytest.fixture(name="tree")
def fixture_tree(tmp_path):
    conf = tmp_path / "etc" / "app"
    (conf / "sites").mkdir(parents=True)
    (conf / "app.conf").write_text("workers 2\n")
    (conf / "sites" / "default").write_text("listen 80\n")
    os.symlink("default", conf / "sites" / "enabled")
    return tmp_path


def digest_of(tree, *extra):
    _stamp, observed, _units, _private = observe(str(tree / "stamp.json"), [str(tree / "etc" / "app"), *extra])
    return observed_digest(observed, KEY)


def test_the_same_tree_gives_the_same_digest(tree):
    assert digest_of(tree) == digest_of(tree)


@pytest.mark.parametrize("drift", [
    lambda conf: (conf / "app.conf").write_text("workers 3\n"),
    lambda conf: os.chmod(conf / "app.conf", 0o600),
    lambda conf: (conf / "sites" / "extra").write_text(""),
    lambda conf: os.remove(conf / "sites" / "default"),
    lambda conf: (os.remove(conf / "sites" / "enabled"), os.symlink("app.conf", conf / "sites" / "enabled")),
], ids=["content", "mode", "new file", "removed file", "link target"])
def test_every_kind_of_drift_changes_the_digest(tree, drift):
    before = digest_of(tree)
    drift(tree / "etc" / "app")
    assert digest_of(tree) != before


def test_a_missing_path_is_observed_as_missing(tree):
    missing = str(tree / "nowhere")
    before = digest_of(tree, missing)
    (tree / "nowhere").write_text("")
    assert digest_of(tree, missing) != before


def test_a_shallow_path_sees_its_entries_but_not_below(tree):
    conf = tree / "etc" / "app"

    def shallow():
        return observed_digest(observe(str(tree / "stamp.json"), [], shallow=[str(conf)])[1], KEY)
    before = shallow()
    (conf / "sites" / "default").write_text("listen 81\n")
    assert shallow() == before
    (conf / "app.conf").write_text("workers 3\n")
    after = shallow()
    assert after != before
    (conf / "new").mkdir()
    assert shallow() != after


def test_the_stamp_written_is_read_back_root_only(tree):
    stamp = str(tree / "state" / "converge" / "app.json")
    parts = keyed_parts(KEY, input_parts("c" * 64, {"vars": {"app_password": "s3cret"}}))
    text = stamp_text(parts, "d" * 64, 1000.9)
    command = write_command(stamp)
    write(stamp, text)
    assert oct(os.stat(stamp).st_mode & 0o777) == "0o600"
    assert oct(os.stat(os.path.dirname(stamp)).st_mode & 0o777) == "0o700"
    assert oct(os.stat(tree / "state").st_mode & 0o777) != "0o700"
    read, _observed, _units, _private = observe(stamp, [str(tree / "etc")])
    assert read == {"fingerprint": fingerprint(parts), "parts": parts, "observed": "d" * 64, "at": 1000}
    assert "s3cret" not in text
    # What is written travels on standard input: the command line (shown at -vvv) holds none of it.
    assert parts["vars.app_password"] not in command and "fingerprint" not in command


def test_the_write_removes_the_staged_inputs(tree):
    stamp = str(tree / "converge" / "app.json")
    write(staged_path(stamp), staged_text("t" * 32, {"code": "x"}))
    assert observe(stamp, [])[3]["staged"] == {"token": "t" * 32, "parts": {"code": "x"}}
    write(stamp, "{}", remove=[staged_path(stamp)])
    assert not os.path.exists(staged_path(stamp))
    assert observe(stamp, [])[3]["staged"] is None


def test_the_key_is_made_once_root_only_and_read_back(tree):
    stamp = str(tree / "state" / "converge" / "app.json")
    assert observe(stamp, [])[3]["key"] is None
    assert not os.path.exists(key_path(stamp))
    key = observe(stamp, [], create_key=True)[3]["key"]
    assert len(key) == 64 and int(key, 16) >= 0
    assert oct(os.stat(key_path(stamp)).st_mode & 0o777) == "0o600"
    assert oct(os.stat(os.path.dirname(stamp)).st_mode & 0o777) == "0o700"
    assert observe(stamp, [], create_key=True)[3]["key"] == key
    assert observe(str(tree / "other" / "app.json"), [], create_key=True)[3]["key"] != key
    assert sorted(os.listdir(os.path.dirname(stamp))) == [".key"]


def test_keyed_digests_depend_on_the_key_and_are_not_the_plain_ones():
    secret = "hunter2-short"
    plain = input_parts("c", {"vars": {"app_password": secret}})
    one, other = keyed_parts("a" * 64, plain), keyed_parts("b" * 64, plain)
    assert one.keys() == plain.keys()
    assert one["vars.app_password"] != other["vars.app_password"]
    guesses = {hashlib.new(algo, form.encode()).hexdigest()
               for algo in ("sha256", "sha1", "md5") for form in (secret, json.dumps(secret))}
    assert plain["vars.app_password"] in guesses  # what a stamp used to keep: found by guessing
    assert not set(one.values()) & guesses
    assert keyed("a" * 64, "x") == keyed("a" * 64, "x") != keyed("a" * 64, "y")


def test_a_garbled_stamp_reads_as_none(tree):
    (tree / "stamp.json").write_text("{not json")
    assert observe(str(tree / "stamp.json"), [])[0] is None


def test_units_are_parsed_and_only_their_enablement_enters_the_digest():
    out = ("#webstack-stamp\n\n#webstack-tree\n#webstack-sums\n#webstack-units\n"
           "Id=nginx.service\nActiveState=active\nUnitFileState=enabled\n\n"
           "ActiveState=activating\nUnitFileState=enabled\nId=uwsgi-app.service\n"
           "#webstack-packages\nnginx 1.24.0 installed\n#webstack-key\n\n#webstack-staged\n\n")
    _stamp, observed, units, _private = parse_observation(out)
    assert units["nginx.service"]["ActiveState"] == "active"
    assert units["uwsgi-app.service"]["ActiveState"] == "activating"
    restarted = out.replace("ActiveState=activating", "ActiveState=active")
    assert observed_digest(parse_observation(restarted)[1], KEY) == observed_digest(observed, KEY)
    disabled = out.replace("UnitFileState=enabled\nId=uwsgi", "UnitFileState=disabled\nId=uwsgi")
    assert observed_digest(parse_observation(disabled)[1], KEY) != observed_digest(observed, KEY)


def test_an_output_without_its_sections_is_an_error():
    with pytest.raises(ValueError, match="#webstack-units"):
        parse_observation("#webstack-stamp\n#webstack-tree\n#webstack-sums\n#webstack-packages\n"
                          "#webstack-key\n#webstack-staged\n")


def test_the_packages_section_lists_versions_from_dpkg():
    command = observe_command("/s", [], [], ["nginx", "python3"])
    assert "dpkg-query --show --showformat='${Package} ${Version} ${db:Status-Status}\\n' nginx python3" in command


UNITS = {"nginx.service": {"ActiveState": "active"}, "beat.service": {"ActiveState": "failed"}}
PARTS = input_parts("C", {"vars": {"app_workers": 2, "app_sites": ["a"]}, "host": "web1"})
STAMP = {"fingerprint": fingerprint(PARTS), "parts": PARTS, "observed": "D", "at": 1000}
MORE = input_parts("C", {"vars": {"app_workers": 3, "app_sites": ["a"]}, "host": "web1"})


@pytest.mark.parametrize("stamp,parts,digest,expected,max_age,now,current,reason", [
    (STAMP, PARTS, "D", ["nginx.service"], 0, 10 ** 9, True, "holds"),
    (None, PARTS, "D", [], 0, 1000, False, "no stamp"),
    (STAMP, MORE, "D", [], 0, 1000, False, "changed since the last converge: vars.app_workers"),
    (STAMP, input_parts("C2", {}), "D", [], 0, 1000, False, "code, host, vars.app_sites, vars.app_workers"),
    (STAMP, PARTS, "E", [], 0, 1000, False, "files, units or packages changed"),
    (STAMP, PARTS, "D", ["nginx.service", "beat.service"], 0, 1000, False, "beat.service is failed"),
    (STAMP, PARTS, "D", ["gone.service"], 0, 1000, False, "gone.service is not loaded"),
    (STAMP, PARTS, "D", [], 3600, 1000 + 3600, True, "holds"),
    (STAMP, PARTS, "D", [], 3600, 1000 + 3601, False, "older than"),
], ids=["holds", "no stamp", "one input", "everything", "drift", "unit down", "unit missing", "young", "too old"])
def test_the_decision(stamp, parts, digest, expected, max_age, now, current, reason):
    got_current, got_reason = decide(stamp, parts, digest, UNITS, expected, max_age, now)
    assert got_current is current
    assert reason in got_reason


def test_many_changed_inputs_are_counted_not_all_listed():
    many = {"vars": {f"app_v{i}": i for i in range(8)}}
    _current, reason = decide({"fingerprint": "x", "parts": {}}, input_parts("C", many), "D", {}, [], 0, 0)
    assert reason.endswith("and 4 more")


def test_the_fingerprint_ignores_dict_order_and_sees_every_value():
    one = fingerprint(input_parts("code", {"a": 1, "b": {"x": [1, 2], "y": None}}))
    assert one == fingerprint(input_parts("code", {"b": {"y": None, "x": [1, 2]}, "a": 1}))
    assert one != fingerprint(input_parts("code", {"a": 1, "b": {"x": [2, 1], "y": None}}))
    assert one != fingerprint(input_parts("other code", {"a": 1, "b": {"x": [1, 2], "y": None}}))
    assert changed_parts(input_parts("code", {"b": {"x": 1}}), input_parts("code", {"b": {"x": 2}})) == ["b.x"]


def test_the_code_digest_sees_a_template_change_and_not_bytecode(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "a.j2").write_text("one")
    before = tree_digest(str(tmp_path))
    (tmp_path / "tasks" / "__pycache__").mkdir(parents=True)
    (tmp_path / "tasks" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert tree_digest(str(tmp_path)) == before
    (tmp_path / "templates" / "a.j2").write_text("two")
    assert tree_digest(str(tmp_path)) != before


def test_a_tree_under_another_is_walked_once():
    assert outermost(["/etc/nginx", "/etc/nginx/tls", "/etc/letsencrypt/"]) == ["/etc/nginx", "/etc/letsencrypt"]
    assert outermost(["/etc/nginx/tls", "/etc/nginx", "/etc/nginx"]) == ["/etc/nginx"]
    assert outermost(["/srv/app", "/srv/application"]) == ["/srv/app", "/srv/application"]
    assert outermost(["/etc/nginx/conf.d", "/srv", "/etc"], within=["/etc"]) == ["/srv"]
    command = observe_command("/s.json", paths=["/etc/nginx", "/etc/nginx/tls"], shallow=["/etc/nginx/x", "/srv"])
    assert "/etc/nginx/tls" not in command and "/etc/nginx/x" not in command and "for p in /srv;" in command
