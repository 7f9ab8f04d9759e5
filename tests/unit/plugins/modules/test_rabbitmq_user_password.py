"""Unit tests for the rabbitmq_user_password module, against a fake rabbitmqctl that keeps its
users in a JSON file, reads omitted passwords from stdin as RabbitMQ's CLI does (one line,
trimmed) and records every argument vector it is given."""

import functools
import json
import os
import stat

import pytest

from ansible_collections.webstack.django.plugins.modules import rabbitmq_user_password

# Every printable ASCII character but the outer space, and what a shell or expandvars would expand.
HOSTILE = "~" + "".join(chr(c) for c in range(33, 127)) + " $HOME ${HOME} $(id) `id` \"'\\ ~root"

FAKE = r'''#!/usr/bin/env python3
import json, os, sys
db = os.environ["FAKE_RABBIT_DB"]
users = json.load(open(db)) if os.path.exists(db) else {}
with open(db + ".argv", "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
args = sys.argv[1:]
while args and args[0] in ("-q", "-n"):
    args = args[2:] if args[0] == "-n" else args[1:]
command, rest = args[0], args[1:]
def password():
    return rest[1] if len(rest) > 1 else sys.stdin.readline().strip()
if os.environ.get("FAKE_RABBIT_DOWN"):
    print("Error: unable to perform an operation on node", file=sys.stderr); sys.exit(69)
if command == "list_users":
    print(json.dumps([{"user": name, "tags": []} for name in users]))
elif command == "authenticate_user":
    sys.exit(0 if rest[0] in users and users[rest[0]] == password() else 65)
elif command in ("add_user", "change_password"):
    if (command == "add_user") == (rest[0] in users):
        print("Error: user exists or not", file=sys.stderr); sys.exit(70)
    users[rest[0]] = password()
    json.dump(users, open(db, "w"))
'''


@pytest.fixture(name="broker")
def fixture_broker(tmp_path, monkeypatch):
    ctl = tmp_path / "bin" / "rabbitmqctl"
    ctl.parent.mkdir()
    ctl.write_text(FAKE)
    ctl.chmod(ctl.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{ctl.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_RABBIT_DB", str(tmp_path / "users.json"))
    monkeypatch.setenv("HOME", "/home/someone")

    def users():
        path = tmp_path / "users.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def argvs():
        path = tmp_path / "users.json.argv"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    users.argvs = argvs
    return users


@pytest.fixture(name="run")
def fixture_run(run_module):
    return functools.partial(run_module, rabbitmq_user_password.main)


def test_a_new_user_gets_the_password_exactly_as_written(run, broker):
    result = run(user="demo", password=HOSTILE, node="rabbit@b1")
    assert result["changed"] and result["created"] and not result["password_changed"]
    assert broker() == {"demo": HOSTILE}
    assert all(argv[:3] == ["-q", "-n", "rabbit@b1"] for argv in broker.argvs())


def test_the_password_is_never_an_argument(run, broker):
    run(user="demo", password=HOSTILE)
    run(user="demo", password=HOSTILE + "x")
    assert [argv[3:] for argv in broker.argvs()] == [
        ["list_users", "--formatter", "json"], ["add_user", "demo"], ["authenticate_user", "demo"],
        ["list_users", "--formatter", "json"], ["authenticate_user", "demo"], ["change_password", "demo"],
        ["authenticate_user", "demo"]]


def test_a_second_run_changes_nothing(run, broker):
    run(user="demo", password=HOSTILE)
    result = run(user="demo", password=HOSTILE)
    assert not result["changed"] and not result["created"] and not result["password_changed"]
    assert broker() == {"demo": HOSTILE}


def test_another_password_is_changed(run, broker):
    run(user="demo", password="first-password-1234")
    result = run(user="demo", password=HOSTILE)
    assert result["changed"] and result["password_changed"] and not result["created"]
    assert broker() == {"demo": HOSTILE}


def test_a_user_name_with_dollar_and_tilde_is_not_expanded(run, broker):
    run(user="~$HOME", password=HOSTILE)
    assert broker() == {"~$HOME": HOSTILE}


def test_check_mode_reports_and_changes_nothing(run, broker):
    assert run(user="demo", password=HOSTILE, check=True)["created"]
    assert broker() == {}
    run(user="demo", password="first-password-1234")
    assert run(user="demo", password=HOSTILE, check=True)["password_changed"]
    assert broker() == {"demo": "first-password-1234"}


def test_the_diff_shows_no_password(run, broker):
    result = run(user="demo", password=HOSTILE, diff=True)
    assert result["diff"] == {"before": "user demo: absent\n", "after": "user demo: the given password\n"}
    result = run(user="demo", password="second-password-123", diff=True)
    assert result["diff"]["before"] == "user demo: another password\n"
    assert "second-password-123" not in json.dumps(result)


@pytest.mark.parametrize("password", [" leading-space-pw-1234", "trailing-space-pw-1234 ", "line\nbreak-pw-1234", ""])
def test_a_password_rabbitmqctl_would_trim_is_refused_without_showing_it(run, broker, password):
    result = run(user="demo", password=password)
    assert result["failed"] and result["msg"].startswith("password: must not be empty, start or end with whitespace")
    assert broker() == {} and broker.argvs() == []


def test_a_broker_that_does_not_answer_fails_naming_the_command(run, broker, monkeypatch):
    monkeypatch.setenv("FAKE_RABBIT_DOWN", "1")
    result = run(user="demo", password=HOSTILE)
    assert result["failed"] and "rabbitmqctl list_users failed (rc 69)" in result["msg"]


def test_a_password_the_broker_does_not_keep_as_given_fails(run, broker, tmp_path):
    # A CLI that trimmed or expanded what it stored would be caught by the check after the change.
    ctl = tmp_path / "bin" / "rabbitmqctl"
    ctl.write_text(FAKE.replace("users[rest[0]] = password()", "users[rest[0]] = password()[:-1]"))
    result = run(user="demo", password=HOSTILE)
    assert result["failed"] and result["msg"] == "the password set for user demo does not authenticate it"
