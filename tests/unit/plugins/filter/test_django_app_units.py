"""Unit tests for the django_app role's processes and timers: what an item may hold (through
django_app_inputs), the units they become on each host, what is stale, what a release lacks,
and the process gate."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter.django_app_inputs import django_app_inputs
from ansible_collections.webstack.django.plugins.filter.django_app_process_gate import django_app_process_gate
from ansible_collections.webstack.django.plugins.filter.django_app_units import django_app_units
from ansible_collections.webstack.django.plugins.plugin_utils.app_units import exec_line

GROUPS = {"all": ["lb1", "web1", "web2", "worker1"], "web": ["web1", "web2"], "worker": ["worker1"]}
LOOP = {"name": "mailer", "command": ["manage.py", "send_mail", "--loop"]}
TICK = {"name": "cleanup", "command": ["manage.py", "clearsessions"], "on_calendar": "daily"}


def units(processes=(), timers=(), host="web1", play=("web1", "web2"), **kwargs):
    return django_app_units(list(processes), list(timers), "shop", "/srv/shop", host, GROUPS, list(play), **kwargs)


def problems(**given):
    with pytest.raises(AnsibleFilterError) as error:
        django_app_inputs(given)
    return str(error.value)


# What an item may hold

def test_good_items_pass():
    given = {"django_app_processes": [dict(LOOP, count="2", groups=["worker"], stop_signal="SIGINT", stop_timeout=60)],
             "django_app_timers": [dict(TICK, every_host="false", persistent=True, randomized_delay=300, timeout=60)],
             "django_app_process_gate_seconds": 5}
    assert django_app_inputs(given) == sorted(given)


@pytest.mark.parametrize("item, expected", [
    ({"name": "x"}, "django_app_processes[0].command: is required"),
    ({"command": ["manage.py", "x"]}, "django_app_processes[0].name: is required"),
    (dict(LOOP, name="Mailer"), "django_app_processes[0].name: 'Mailer' must match"),
    (dict(LOOP, name="a" * 32), "django_app_processes[0].name:"),
    (dict(LOOP, command="manage.py send_mail"), "django_app_processes[0].command: must be a non-empty list"),
    (dict(LOOP, command=["manage.py"]), "runs manage.py without a command"),
    (dict(LOOP, command=["../bin/sh"]), "neither manage.py nor the plain name"),
    (dict(LOOP, count=0), "django_app_processes[0].count: 0 must be from 1 to 64"),
    (dict(LOOP, count=10 ** 9), "django_app_processes[0].count: 1000000000 must be from 1 to 64"),
    (dict(LOOP, count=True), "django_app_processes[0].count: True must be a whole number"),
    (dict(LOOP, stop_signal="SIGKILL"), "django_app_processes[0].stop_signal: 'SIGKILL' is not one of"),
    (dict(LOOP, stop_timeout=0), "django_app_processes[0].stop_timeout: 0 must be from 1 to 3600"),
    (dict(LOOP, groups="web"), "django_app_processes[0].groups: must be a list"),
    (dict(LOOP, groups=["web; rm"]), "django_app_processes[0].groups[0]: 'web; rm' is not a group name"),
    (dict(LOOP, on_calendar="daily"), "django_app_processes[0]: unknown key on_calendar"),
    ("mailer", "django_app_processes[0]: must be a dict"),
])
def test_a_bad_process_is_refused_naming_its_key(item, expected):
    assert expected in problems(django_app_processes=[item])


@pytest.mark.parametrize("item, expected", [
    ({"name": "x", "command": ["manage.py", "x"]}, "django_app_timers[0].on_calendar: is required"),
    (dict(TICK, on_calendar="daily; rm -rf /"), "django_app_timers[0].on_calendar: 'daily; rm -rf /' is not"),
    (dict(TICK, on_calendar="daily\nExecStart=/bin/sh"), "django_app_timers[0].on_calendar:"),
    (dict(TICK, on_calendar=5), "django_app_timers[0].on_calendar: 5 is not"),
    (dict(TICK, every_host="sometimes"), "django_app_timers[0].every_host: 'sometimes' is not a boolean"),
    (dict(TICK, persistent="maybe"), "django_app_timers[0].persistent:"),
    (dict(TICK, randomized_delay=-1), "django_app_timers[0].randomized_delay: -1 must be from 0 to 86400"),
    (dict(TICK, timeout=0), "django_app_timers[0].timeout: 0 must be from 1 to 86400"),
    (dict(TICK, count=2), "django_app_timers[0]: unknown key count"),
])
def test_a_bad_timer_is_refused_naming_its_key(item, expected):
    assert expected in problems(django_app_timers=[item])


def test_a_name_used_twice_is_refused():
    message = problems(django_app_processes=[LOOP], django_app_timers=[dict(TICK, name="mailer")])
    assert "django_app_timers[0].name: 'mailer' is already the name of django_app_processes[0]" in message


def test_the_lists_must_be_lists_and_the_gate_a_bounded_number():
    assert "django_app_processes: must be a list" in problems(django_app_processes={"name": "x"})
    assert "django_app_process_gate_seconds: 0 must be from 1 to 300" in problems(django_app_process_gate_seconds=0)


# The units on each host

def test_a_process_runs_on_every_host_of_the_play_as_count_instances():
    result = units([dict(LOOP, count=2, stop_signal="SIGINT")])
    assert result["files"] == ["shop-mailer@.service"]
    assert result["instances"] == ["shop-mailer@1.service", "shop-mailer@2.service"]
    process = result["processes"][0]
    assert process["exec"] == '"/srv/shop/current/venv/bin/python" "manage.py" "send_mail" "--loop"'
    assert (process["variable"], process["stop_signal"], process["stop_timeout"]) == ("django_app_processes[0]", "SIGINT", 30)
    assert units([LOOP], host="web2")["instances"] == ["shop-mailer@1.service"]


def test_a_process_with_groups_runs_only_on_their_hosts():
    item = dict(LOOP, groups=["worker"])
    assert units([item], host="web1")["files"] == []
    assert units([item], host="worker1", play=["worker1"])["files"] == ["shop-mailer@.service"]


def test_a_timer_runs_on_the_first_host_of_its_groups_unless_every_host():
    item = dict(TICK, groups=["web"])
    assert units(timers=[item], host="web1")["files"] == ["shop-cleanup.service", "shop-cleanup.timer"]
    assert units(timers=[item], host="web2")["files"] == []
    assert units(timers=[dict(item, every_host="true")], host="web2")["timers"][0]["timer"] == "shop-cleanup.timer"
    # No groups: the first host of the play.
    assert units(timers=[TICK], host="worker1", play=["worker1"])["files"] == ["shop-cleanup.service", "shop-cleanup.timer"]
    timer = units(timers=[TICK])["timers"][0]
    assert (timer["on_calendar"], timer["persistent"], timer["randomized_delay"], timer["timeout"]) == ("daily", True, 0, 3600)


def test_bad_items_fail_naming_the_variable_even_here():
    with pytest.raises(AnsibleFilterError, match=r"django_app_processes\[0\]\.count: 0 must be from 1 to 64"):
        units([dict(LOOP, count=0)])


def test_the_summary_says_what_the_host_runs():
    assert units([dict(LOOP, count=2)], [TICK])["summary"] == "mailer x 2, cleanup at daily"
    assert units([dict(LOOP, groups=["worker"])])["summary"] == "none"


def test_a_venv_executable_runs_from_the_live_release():
    result = units([{"name": "ws", "command": ["daphne", "-b", "127.0.0.1", "demo.asgi:application"]}])
    assert result["processes"][0]["exec"].startswith('"/srv/shop/current/venv/bin/daphne" "-b"')


def test_the_command_line_reaches_the_program_as_written():
    # systemd expands % specifiers and $VARIABLES in ExecStart=, and splits on spaces unless quoted.
    assert exec_line(["a b", "100%", "$HOME", 'say "hi"', "back\\slash"]) == (
        '"a b" "100%%" "$$HOME" "say \\"hi\\"" "back\\\\slash"')


# What is stale, what a release lacks

def test_stale_units_are_the_role_s_own_that_the_inventory_no_longer_lists():
    result = units([dict(LOOP, count=1)], found=["shop-mailer@.service", "shop-old@.service", "shop-tick.service",
                                                 "shop-tick.timer"],
                   enabled=["shop-mailer@1.service", "shop-mailer@2.service", "shop-old@1.service",
                            "shop-api-x@1.service"])
    assert result["stale"] == {"files": ["shop-old@.service", "shop-tick.service", "shop-tick.timer"],
                               "units": ["shop-mailer@2.service", "shop-old@1.service", "shop-tick.service",
                                         "shop-tick.timer"]}


def test_nothing_is_stale_when_the_host_has_what_is_listed():
    result = units([LOOP], [TICK], found=["shop-mailer@.service", "shop-cleanup.service", "shop-cleanup.timer"],
                   enabled=["shop-mailer@1.service"])
    assert result["stale"] == {"files": [], "units": []}


def test_a_command_the_release_lacks_is_named():
    result = units([LOOP, {"name": "ws", "command": ["daphne"]}], [TICK],
                   commands=["clearsessions", "migrate"], executables=["python", "celery"])
    assert result["missing"] == [
        "django_app_processes[0].command: the release has no management command 'send_mail'",
        "django_app_processes[1].command: the release's venv/bin has no executable 'daphne'",
    ]


# The process gate

SHOW = """Id=shop-mailer@1.service
ActiveState=active
SubState=running
NRestarts=0
Result=success

Id=shop-mailer@2.service
ActiveState=activating
SubState=auto-restart
NRestarts=2
Result=exit-code
"""


def test_the_gate_passes_instances_that_stayed_up_and_names_the_others():
    assert django_app_process_gate(SHOW, ["shop-mailer@1.service"]) == []
    assert django_app_process_gate(SHOW, ["shop-mailer@1.service", "shop-mailer@2.service", "shop-x@1.service"]) == [
        "shop-mailer@2.service is activating (auto-restart, result exit-code, restarted 2 times by systemd)",
        "shop-x@1.service is not known to systemd",
    ]


def test_restarts_before_the_gate_s_start_do_not_count():
    # systemd's NRestarts keeps counting across manual restarts: only an increase fails.
    before = "Id=shop-mailer@1.service\nActiveState=active\nNRestarts=3\n"
    after = "Id=shop-mailer@1.service\nActiveState=active\nSubState=running\nNRestarts=3\nResult=success\n"
    assert django_app_process_gate(after, ["shop-mailer@1.service"], before) == []
    assert django_app_process_gate(after.replace("NRestarts=3", "NRestarts=4"), ["shop-mailer@1.service"], before) == [
        "shop-mailer@1.service is active (running, result success, restarted 1 times by systemd)"]


def test_an_instance_that_exited_cleanly_fails_the_gate_too():
    show = "Id=shop-mailer@1.service\nActiveState=inactive\nSubState=dead\nNRestarts=0\nResult=success\n"
    assert django_app_process_gate(show, ["shop-mailer@1.service"]) == [
        "shop-mailer@1.service is inactive (dead, result success, restarted 0 times by systemd)"]


# The ASGI server

ASGI = {"locations": ["/ws/"], "module": "shop.asgi:application", "workers": 3, "groups": ["web"],
        "socket": "/run/asgi/shop.sock"}


def test_the_asgi_server_is_a_socket_activated_process_on_its_groups():
    result = units([LOOP], host="web1", play=("web1", "worker1"), asgi=ASGI)
    asgi = result["processes"][0]
    assert (asgi["name"], asgi["file"], asgi["instances"]) == ("asgi", "shop-asgi@.service", ["shop-asgi@1.service"])
    assert asgi["socket"] == {"file": "shop-asgi.socket", "path": "/run/asgi/shop.sock"}
    assert result["summary"] == "asgi (uvicorn, 3 workers), mailer x 1"
    assert result["sockets"] == ["shop-asgi.socket"]
    assert {"shop-asgi@.service", "shop-asgi.socket"} <= set(result["files"])
    assert result["instances"][0] == "shop-asgi@1.service"
    assert asgi["exec"].startswith('"/srv/shop/current/venv/bin/uvicorn" "--fd" "3" "--workers" "3" ')
    assert asgi["exec"].endswith('"--timeout-graceful-shutdown" "25" "shop.asgi:application"')
    # Not on a host outside its groups, nor with no locations.
    assert units([LOOP], host="worker1", play=("web1", "worker1"), asgi=ASGI)["sockets"] == []
    assert units([LOOP], host="web1", asgi=dict(ASGI, locations=[]))["sockets"] == []


def test_a_release_without_uvicorn_cannot_run_the_asgi_server():
    result = units(host="web1", asgi=ASGI, commands=["migrate"], executables=["python"])
    assert result["missing"] == [
        "django_app_asgi_locations: the release's venv/bin has no uvicorn, the ASGI server (add uvicorn to the "
        "project's requirements, and websockets for websocket routes)"]
    assert units(host="web1", asgi=ASGI, commands=["migrate"], executables=["python", "uvicorn"])["missing"] == []
    # A host that does not run it does not need it.
    assert units(host="worker1", asgi=ASGI, commands=["migrate"], executables=["python"])["missing"] == []


def test_taking_the_asgi_server_out_makes_its_socket_and_instance_stale():
    found = ["shop-asgi@.service", "shop-asgi.socket"]
    stale = units(host="web1", found=found, enabled=["shop-asgi@1.service"])["stale"]
    assert stale == {"files": ["shop-asgi.socket", "shop-asgi@.service"],
                     "units": ["shop-asgi.socket", "shop-asgi@1.service"]}
    assert units(host="web1", asgi=ASGI, found=found, enabled=["shop-asgi@1.service"])["stale"] == {
        "files": [], "units": []}


@pytest.mark.parametrize("given, expected", [
    ({"django_app_asgi_locations": "/ws/"}, "django_app_asgi_locations: must be a list"),
    ({"django_app_asgi_locations": ["/"]}, "django_app_asgi_locations[0]: / is the WSGI app's"),
    ({"django_app_asgi_locations": ["ws/"]}, "django_app_asgi_locations[0]: 'ws/' is not a URL prefix"),
    ({"django_app_asgi_locations": ["/ws/../admin/"]}, "django_app_asgi_locations[0]: '/ws/../admin/' is not"),
    ({"django_app_asgi_locations": ["/ws/;return"]}, "django_app_asgi_locations[0]:"),
    ({"django_app_asgi_locations": ["/ws/", "/ws/"]}, "django_app_asgi_locations[1]: /ws/ is listed twice"),
    ({"django_app_asgi_locations": ["/ws/"], "django_app_asgi_workers": 65}, "django_app_asgi_workers: 65 must be"),
    ({"django_app_asgi_locations": ["/ws/"], "django_app_asgi_workers": "many"}, "django_app_asgi_workers: 'many'"),
    ({"django_app_asgi_locations": ["/ws/"], "django_app_asgi_workers": True}, "django_app_asgi_workers: True"),
    ({"django_app_asgi_locations": ["/ws/"], "django_app_asgi_groups": "web"}, "django_app_asgi_groups: must be a list"),
    ({"django_app_asgi_module": "shop asgi"}, "django_app_asgi_module:"),
    ({"django_app_asgi_read_timeout": 0}, "django_app_asgi_read_timeout:"),
    ({"django_app_asgi_locations": ["/ws/"], "django_app_processes": [dict(LOOP, name="asgi")],
      "django_app_timers": []}, "django_app_processes[0].name: 'asgi' is already the name of the ASGI server"),
])
def test_bad_asgi_input_is_refused_naming_the_variable(given, expected):
    assert expected in problems(**given)


def test_good_asgi_input_passes():
    given = {"django_app_asgi_locations": ["/ws/", "/async/v1/"], "django_app_asgi_workers": "4",
             "django_app_asgi_groups": ["web"], "django_app_asgi_module": "shop.asgi:application",
             "django_app_asgi_read_timeout": 600}
    assert django_app_inputs(given) == sorted(given)
