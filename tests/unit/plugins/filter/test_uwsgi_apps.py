"""Unit tests for the uwsgi_apps filter."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter.uwsgi_apps import uwsgi_apps
from ansible_collections.webstack.django.plugins.filter.worker_counts import worker_counts

APP = {"name": "demo", "venv": "/srv/demo/venv", "chdir": "/srv/demo/current", "module": "demo.wsgi:application"}


def plan(**kwargs):
    return worker_counts({"vcpus": 2, "memory_mb": 4096}, **kwargs)


def one(app=None, **kwargs):
    (result,) = uwsgi_apps([dict(APP, **(app or {}))], **kwargs)
    return result


def test_minimal_app_gets_every_default():
    app = one()
    assert app["user"] == app["group"] == "demo"
    assert app["service"] == "uwsgi-demo.service"
    assert app["ini"] == "/etc/uwsgi/demo.ini"
    assert app["socket"] == "/run/uwsgi/demo/uwsgi.sock" and app["unix_socket"] is True
    assert app["upstream"] == "unix:/run/uwsgi/demo/uwsgi.sock"
    assert app["socket_group"] == "www-data" and app["socket_mode"] == "0660"
    assert app["stats"] == "/run/uwsgi/demo/stats.sock"
    assert app["master_fifo"] == "/run/uwsgi/demo/master.fifo"
    assert app["install"] is True and app["settings"] is None
    assert app["installer"] == "pip"


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_the_installer_is_pip_or_uv(installer):
    assert one({"installer": installer})["installer"] == installer


@pytest.mark.parametrize("installer", ["conda", "UV", "", True, ["uv"], "uv; id"])
def test_another_installer_is_refused_naming_the_key(installer):
    with pytest.raises(AnsibleFilterError, match=r"uwsgi_apps\[0\]\.installer: .* is not one of pip, uv"):
        one({"installer": installer})


def test_settings_follow_the_plan():
    the_plan = plan()
    settings = one(plan=the_plan)["settings"]
    for key in ("processes", "threads", "listen", "harakiri", "max_requests", "max_requests_delta",
                "max_worker_lifetime", "reload_on_rss"):
        assert settings[key] == the_plan["uwsgi"][key], key


def test_role_values_then_app_overrides_win():
    settings = one({"overrides": {"threads": 3}}, plan=plan(), overrides={"processes": 5, "threads": 2, "listen": None})
    assert settings["settings"]["processes"] == 5
    assert settings["settings"]["threads"] == 3


def test_listen_is_clamped_to_somaxconn():
    settings = one(plan=plan(), somaxconn=128)["settings"]
    assert settings["listen"] == 128
    assert settings["listen_requested"] >= 1024


def test_thunder_lock_is_off_for_threaded_workers_unless_explicit():
    assert plan(profile="io")["uwsgi"]["thunder_lock"] is False
    assert one(plan=plan(profile="io"))["settings"]["thunder_lock"] is False
    # An app's own thread count turns the plan's lock off too.
    assert one({"overrides": {"threads": 4}}, plan=plan(profile="cpu"))["settings"]["thunder_lock"] is False
    assert one({"overrides": {"thunder_lock": True}}, plan=plan(profile="io"))["settings"]["thunder_lock"] is True
    assert one(plan=plan(profile="cpu"))["settings"]["thunder_lock"] is True


def test_cheaper_from_the_plan_is_dropped_when_processes_go_below_it():
    big = worker_counts({"vcpus": 16, "memory_mb": 65536}, profile="cpu")
    assert big["uwsgi"]["cheaper"] > 0
    settings = one({"overrides": {"processes": 2}}, plan=big)["settings"]
    assert settings["cheaper"] == 0 and settings["cheaper_algo"] is None


def test_tcp_socket_is_allowed():
    app = one({"socket": "127.0.0.1:8001"})
    assert app["unix_socket"] is False and app["upstream"] == "127.0.0.1:8001"


def test_options_merge_role_and_app():
    app = one({"options": {"post-buffering": 8192, "route": ["a", "b"]}}, options={"post-buffering": 4096, "memory-report": True})
    assert app["options"] == {"post-buffering": ["8192"], "memory-report": ["true"], "route": ["a", "b"]}


def test_absent_app_needs_only_a_name():
    (app,) = uwsgi_apps([{"name": "old", "state": "absent"}])
    assert app["state"] == "absent" and app["service"] == "uwsgi-old.service"


BAD = {
    "name with a slash": ([dict(APP, name="a/b")], {}, r"uwsgi_apps\[0\]\.name: 'a/b'"),
    "name with a space": ([dict(APP, name="my app")], {}, r"uwsgi_apps\[0\]\.name: 'my app'"),
    "zero processes (app)": ([dict(APP, overrides={"processes": 0})], {},
                             r"uwsgi_apps\[0\]\.overrides\.processes: 0 must be at least 1"),
    "negative processes (role)": ([APP], {"overrides": {"processes": -2}}, r"uwsgi_processes: -2 must be at least 1"),
    "zero threads (role)": ([APP], {"overrides": {"threads": 0}}, r"uwsgi_threads: 0 must be at least 1"),
    "relative venv": ([dict(APP, venv="venv")], {}, r"uwsgi_apps\[0\]\.venv"),
    "missing module": ([{k: v for k, v in APP.items() if k != "module"}], {}, r"uwsgi_apps\[0\]\.module: is required"),
    "bad module": ([dict(APP, module="demo/wsgi.py")], {}, r"uwsgi_apps\[0\]\.module"),
    "root user": ([dict(APP, user="root")], {}, r"uwsgi_apps\[0\]\.user: .*unprivileged"),
    "socket elsewhere": ([dict(APP, socket="/tmp/demo.sock")], {}, r"uwsgi_apps\[0\]\.socket: .*runtime directory"),
    "unknown key": ([dict(APP, procs=3)], {}, r"uwsgi_apps\[0\]: unknown key\(s\) procs"),
    "unknown override": ([dict(APP, overrides={"workers": 3})], {}, r"uwsgi_apps\[0\]\.overrides\.workers: unknown"),
    "managed option": ([dict(APP, options={"socket": "/x"})], {}, r"uwsgi_apps\[0\]\.options\.socket: is set by the role"),
    "duplicate names": ([APP, dict(APP, socket="127.0.0.1:9000")], {}, r"uwsgi_apps\[1\]\.name: 'demo' is also used"),
    "extra app bad": ([], {"extra_apps": [dict(APP, name="")]}, r"uwsgi_extra_apps\[0\]\.name"),
    "apps not a list": ({"name": "demo"}, {}, r"uwsgi_apps: must be a list"),
    "bad env name": ([dict(APP, environment={"A-B": 1})], {}, r"uwsgi_apps\[0\]\.environment\.A-B"),
    "bad socket mode": ([APP], {"socket_mode": "rw"}, r"uwsgi_socket_mode"),
}


@pytest.mark.parametrize("apps, kwargs, message", BAD.values(), ids=BAD.keys())
def test_bad_input_names_the_variable(apps, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        uwsgi_apps(apps, **kwargs)


def test_plan_without_uwsgi_section_is_refused():
    with pytest.raises(AnsibleFilterError, match="uwsgi_worker_plan"):
        uwsgi_apps([APP], plan={"nginx": {}})


def test_explicit_cheaper_not_below_processes_is_refused():
    with pytest.raises(AnsibleFilterError, match=r"overrides\.cheaper"):
        uwsgi_apps([dict(APP, overrides={"processes": 2, "cheaper": 2})], plan=plan())


def test_null_keys_take_their_defaults():
    app = one({"state": None, "install": None, "user": None, "socket": None, "overrides": None,
               "options": None, "environment": None, "env_file": None, "installer": None}, install=False)
    assert app["state"] == "present" and app["install"] is False and app["installer"] == "pip"
    assert app["user"] == "demo" and app["socket"] == "/run/uwsgi/demo/uwsgi.sock"


@pytest.mark.parametrize("key, value, message", [
    ("processes", 1000000000, "is above the maximum 1024"),
    ("threads", 257, "is above the maximum 256"),
    ("listen", 65536, "is above the maximum 65535"),
    ("harakiri", 86401, "is above the maximum 86400"),
    ("processes", -1, "must be at least 1"),
])
def test_counts_have_upper_bounds(key, value, message):
    with pytest.raises(AnsibleFilterError, match=rf"uwsgi_{key}: .*{message}"):
        uwsgi_apps([APP], overrides={key: value})


@pytest.mark.parametrize("value", ["a\nb", 'a"b', "a\\b", "a\x00b", "a\rb"])
def test_environment_values_that_a_unit_cannot_carry_are_refused(value):
    with pytest.raises(AnsibleFilterError, match=r"uwsgi_apps\[0\].environment.GREETING"):
        uwsgi_apps([dict(APP, environment={"GREETING": value})])


def test_environment_values_with_percent_and_dollar_are_kept_for_the_template():
    assert one({"environment": {"GREETING": "100% $HOME"}})["environment"] == {"GREETING": "100% $HOME"}


@pytest.mark.parametrize("user", ["root", "www-data", "postgres", "nobody", "systemd-network"])
def test_system_accounts_are_refused_as_the_app_user(user):
    with pytest.raises(AnsibleFilterError, match=rf"uwsgi_apps\[0\]\.user: the app must run as an unprivileged user "
                                                 rf"of its own: '{user}' is a system account"):
        one({"user": user})
