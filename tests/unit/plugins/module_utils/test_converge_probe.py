"""Unit tests for the converge stamp behind webstack.django.converge_stamp: the observation runs
for real in a shell on a temporary tree, the decision on its parsed output."""

import os
import subprocess

import pytest

from ansible_collections.webstack.django.plugins.module_utils.converge_probe import (
    changed_parts, decide, fingerprint, input_parts, observe_command, observed_digest, outermost,
    parse_observation, stamp_text, tree_digest, write_command)


def observe(stamp, paths, units=(), packages=(), shallow=()):
    out = subprocess.run(["sh", "-c", observe_command(stamp, paths, units, packages, shallow)],
                         check=True, capture_output=True, text=True).stdout
    return parse_observation(out)


@pytest.fixture(name="tree")
def fixture_tree(tmp_path):
    conf = tmp_path / "etc" / "app"
    (conf / "sites").mkdir(parents=True)
    (conf / "app.conf").write_text("workers 2\n")
    (conf / "sites" / "default").write_text("listen 80\n")
    os.symlink("default", conf / "sites" / "enabled")
    return tmp_path


def digest_of(tree, *extra):
    _stamp, observed, _units = observe(str(tree / "stamp.json"), [str(tree / "etc" / "app"), *extra])
    return observed_digest(observed)


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
        return observed_digest(observe(str(tree / "stamp.json"), [], shallow=[str(conf)])[1])
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
    parts = input_parts("c" * 64, {"vars": {"app_password": "s3cret"}})
    text = stamp_text(parts, "d" * 64, 1000.9)
    subprocess.run(["sh", "-c", write_command(stamp, text)], check=True)
    assert oct(os.stat(stamp).st_mode & 0o777) == "0o600"
    assert oct(os.stat(os.path.dirname(stamp)).st_mode & 0o777) == "0o700"
    assert oct(os.stat(tree / "state").st_mode & 0o777) != "0o700"
    read, _observed, _units = observe(stamp, [str(tree / "etc")])
    assert read == {"fingerprint": fingerprint(parts), "parts": parts, "observed": "d" * 64, "at": 1000}
    assert "s3cret" not in text


def test_a_garbled_stamp_reads_as_none(tree):
    (tree / "stamp.json").write_text("{not json")
    assert observe(str(tree / "stamp.json"), [])[0] is None


def test_units_are_parsed_and_only_their_enablement_enters_the_digest():
    out = ("#webstack-stamp\n\n#webstack-tree\n#webstack-sums\n#webstack-units\n"
           "Id=nginx.service\nActiveState=active\nUnitFileState=enabled\n\n"
           "ActiveState=activating\nUnitFileState=enabled\nId=uwsgi-app.service\n"
           "#webstack-packages\nnginx 1.24.0 installed\n")
    _stamp, observed, units = parse_observation(out)
    assert units["nginx.service"]["ActiveState"] == "active"
    assert units["uwsgi-app.service"]["ActiveState"] == "activating"
    restarted = out.replace("ActiveState=activating", "ActiveState=active")
    assert observed_digest(parse_observation(restarted)[1]) == observed_digest(observed)
    disabled = out.replace("UnitFileState=enabled\nId=uwsgi", "UnitFileState=disabled\nId=uwsgi")
    assert observed_digest(parse_observation(disabled)[1]) != observed_digest(observed)


def test_an_output_without_its_sections_is_an_error():
    with pytest.raises(ValueError, match="#webstack-units"):
        parse_observation("#webstack-stamp\n#webstack-tree\n#webstack-sums\n#webstack-packages\n")


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
