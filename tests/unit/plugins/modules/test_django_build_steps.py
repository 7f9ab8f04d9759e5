"""Unit tests for django_build_steps: each step through a stand-in for bin/manage that records
its arguments and fails when told to."""

import functools
import os
import stat

import pytest

from ansible_collections.webstack.django.plugins.modules import django_build_steps

WRAPPER = """#!/bin/sh
echo "$@" >> "{log}"
case "$*" in
  *fail*) echo "Traceback (most recent call last):"; echo "the secret is {secret}" >&2; echo "CommandError: it broke" >&2; exit 3 ;;
esac
echo "ran $*"
"""
SECRET = "s3cret-value-of-the-app-0123456789"


@pytest.fixture
def run(run_module):
    return functools.partial(run_module, django_build_steps.main)


@pytest.fixture
def manage(tmp_path):
    log = tmp_path / "log"
    path = tmp_path / "manage"
    path.write_text(WRAPPER.format(log=log, secret=SECRET))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path), log


def test_steps_run_in_order_through_the_wrapper(run, manage):
    path, log = manage
    result = run(manage=path, release="2.0.0",
                 steps=[["manage.py", "compress", "--force"], ["pybabel", "compile", "-d", "t"]])
    assert result["changed"] is True
    assert log.read_text().splitlines() == ["--release 2.0.0 compress --force",
                                            "--release 2.0.0 --exec pybabel compile -d t"]
    assert [s["rc"] for s in result["steps"]] == [0, 0]
    assert result["steps"][0]["tail"] == ["ran --release 2.0.0 compress --force"]


def test_the_first_failing_step_stops_the_rest_and_is_named_with_its_output(run, manage):
    path, log = manage
    result = run(manage=path, release="2.0.0", secrets=[SECRET],
                 steps=[["manage.py", "compilemessages"], ["manage.py", "compress", "fail"], ["manage.py", "never"]])
    assert result["failed"] is True
    assert result["msg"].startswith("Build step 2 of release 2.0.0 (manage.py compress fail) failed (rc 3): ")
    assert "CommandError: it broke" in result["msg"]
    assert SECRET not in str(result) and "<hidden>" in result["msg"]
    assert len(log.read_text().splitlines()) == 2


def test_the_steps_run_with_the_given_environment_file(run, manage):
    path, log = manage
    run(manage=path, release="2.0.0", env_file="/srv/a/shared/config/app.env.candidate", steps=[["manage.py", "compress"]])
    assert log.read_text() == "--release 2.0.0 --env-file /srv/a/shared/config/app.env.candidate compress\n"


def test_no_steps_change_nothing(run, manage):
    result = run(manage=manage[0], release="1", steps=[])
    assert result["changed"] is False and result["steps"] == []


def test_check_mode_runs_nothing(run, manage):
    path, log = manage
    result = run(manage=path, release="1", steps=[["manage.py", "compress"]], check=True)
    assert result["changed"] is True and not log.exists()


@pytest.mark.parametrize("step, message", [
    ([], "steps[0]: must be a non-empty list"),
    (["manage.py"], "steps[0]: runs manage.py without a command"),
    (["manage.py", "../x"], "steps[0]: runs manage.py without a command"),
    (["/bin/sh", "-c", "id"], "steps[0]: '/bin/sh' is neither manage.py nor the plain name"),
    (["../../bin/sh"], "is neither manage.py nor the plain name"),
    (["manage.py", "compress", "a\nb"], "steps[0]: has an argument with a NUL or a line break"),
])
def test_a_step_that_is_not_a_command_of_the_release_is_refused_before_any_runs(run, manage, step, message):
    path, log = manage
    result = run(manage=path, release="1", steps=[step])
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert not log.exists()


def test_argv_runs_a_venv_executable_through_the_wrapper():
    assert os.path.basename(django_build_steps.argv("/srv/a/bin/manage", "1", ["x"])[0]) == "manage"
