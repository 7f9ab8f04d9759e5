"""Behaviour of the uwsgi role behind nginx in a real systemd container."""

import json
import os
import re
import time

import pytest

from conftest import curl, playbook

SERVICE = "uwsgi-hello"
SOCKET = "/run/uwsgi/hello/uwsgi.sock"
STATS = "/run/uwsgi/hello/stats.sock"
INI = "/etc/uwsgi/hello.ini"
ROOT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))


def stats(host):
    """The uWSGI stats server's JSON (read as root through the unix socket)."""
    script = ("import socket,sys;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);d=b''\n"
              "while True:\n c=s.recv(65536)\n if not c: break\n d+=c\nprint(d.decode())")
    return json.loads(host.check_output(f"python3 -c \"{script}\" {STATS}"))


def main_pid(host):
    return int(host.check_output(f"systemctl show -p MainPID --value {SERVICE}"))


def worker_pids(host):
    return sorted(w["pid"] for w in stats(host)["workers"] if w["pid"] > 0)


def ini_value(host, key):
    match = re.search(rf"^{re.escape(key)} = (.*)$", host.file(INI).content_string, re.M)
    return match.group(1) if match else None


def wait_serving(host, timeout=60):
    """Wait until nginx answers 200 from the app; return the body."""
    deadline = time.time() + timeout
    while True:
        cmd = host.run("curl -s -o /tmp/serving.body -w '%{http_code}' http://127.0.0.1/")
        if cmd.stdout == "200":
            return host.file("/tmp/serving.body").content_string
        assert time.time() < deadline, f"not serving after {timeout}s: {cmd.stdout}"
        time.sleep(1)


def test_service_running_and_enabled(host):
    service = host.service(SERVICE)
    assert service.is_running
    assert service.is_enabled


def test_request_through_nginx_reaches_the_app(host):
    status, _ignored, body = curl(host, "http://127.0.0.1/")
    assert status == 200
    assert body.startswith("hello release=1 ")


def test_environment_file_and_variables_reach_the_app(host):
    _ignored, _ignored, body = curl(host, "http://127.0.0.1/")
    # systemd's Environment= expands % specifiers: the role escapes them; $ is never expanded.
    assert "greeting=bonjour 100% $HOME ${HOME} " in body
    assert "secret=set" in body
    assert "not-a-real-secret" not in host.file(INI).content_string


def test_workers_run_as_the_app_user(host):
    uid = host.user("hello").uid
    _ignored, _ignored, body = curl(host, "http://127.0.0.1/")
    assert f"uid={uid}" in body
    for pid in [main_pid(host)] + worker_pids(host):
        assert host.check_output(f"ps -o user= -p {pid}") == "hello"


def test_worker_count_equals_the_plan(host, plan):
    data = stats(host)
    assert len(data["workers"]) == plan["uwsgi"]["processes"]
    assert {len(w["cores"]) for w in data["workers"]} == {plan["uwsgi"]["threads"]}
    assert ini_value(host, "processes") == str(plan["uwsgi"]["processes"])


def test_listen_is_clamped_to_somaxconn(host, plan):
    somaxconn = int(host.file("/proc/sys/net/core/somaxconn").content_string)
    assert somaxconn == 512
    assert plan["uwsgi"]["listen"] > somaxconn
    assert ini_value(host, "listen") == str(somaxconn)


def test_worker_settings_come_from_the_plan(host, plan):
    for key in ("harakiri", "max_requests", "max_requests_delta", "max_worker_lifetime", "reload_on_rss"):
        assert ini_value(host, key.replace("_", "-")) == str(plan["uwsgi"][key]), key


def test_socket_is_0660_and_belongs_to_the_web_server_group(host):
    sock = host.file(SOCKET)
    assert sock.is_socket
    assert sock.mode == 0o660
    assert sock.user == "hello"
    assert sock.group == "www-data"


def test_configuration_is_readable_by_the_app_group_only(host):
    ini = host.file(INI)
    assert (ini.user, ini.group, ini.mode) == ("root", "hello", 0o640)


def test_logs_go_to_the_journal(host):
    out = host.check_output(f"journalctl -u {SERVICE} --no-pager -o cat")
    assert "spawned uWSGI worker" in out


def test_reload_is_a_chain_reload_that_keeps_serving(host):
    master, workers = main_pid(host), worker_pids(host)
    # Requests through nginx all along the reload: bounded loop on the loopback address.
    host.run("rm -f /tmp/codes; nohup sh -c 'for i in $(seq 1 150); do "
             "curl -s -o /dev/null -w \"%{http_code}\\n\" http://127.0.0.1/ >> /tmp/codes; sleep 0.05; done' "
             ">/dev/null 2>&1 &")
    time.sleep(1)
    assert host.run(f"systemctl reload {SERVICE}").rc == 0
    assert main_pid(host) == master
    new_workers = worker_pids(host)
    assert len(new_workers) == len(workers)
    assert not set(new_workers) & set(workers)
    deadline = time.time() + 60
    while len(host.file("/tmp/codes").content_string.split()) < 150:
        assert time.time() < deadline
        time.sleep(1)
    codes = host.file("/tmp/codes").content_string.split()
    assert set(codes) == {"200"}, codes


def test_reload_after_a_release_switch_serves_the_new_code(host):
    assert host.run("ln -sfn releases/2 /srv/hello/current.new && mv -T /srv/hello/current.new /srv/hello/current").rc == 0
    try:
        master = main_pid(host)
        assert host.run(f"systemctl reload {SERVICE}").rc == 0
        assert main_pid(host) == master
        for _ignored in range(10):
            _ignored, _ignored, body = curl(host, "http://127.0.0.1/")
            assert body.startswith("hello release=2 "), body
    finally:
        host.run("ln -sfn releases/1 /srv/hello/current.new && mv -T /srv/hello/current.new /srv/hello/current")
        host.run(f"systemctl reload {SERVICE}")


MEASURE = "webstack-uwsgi-measure"
FACT = "/etc/ansible/facts.d/webstack_calibration.fact"
STATE = "/var/lib/webstack/uwsgi-load-measure.json"


def assert_wait_is_what_the_latency_leaves(fact, least_latency_ms):
    """What a measurement must show however busy the machine is (how close W comes to the
    view's wait is for the benchmarks and the unit tests of the arithmetic to judge): every
    request sleeps, so the mean time in uWSGI is at least the sleep; W is that time less C, the
    wait for a core and the queue; some wait was seen, and W/C is W over C."""
    assert fact["latency_ms"] >= least_latency_ms, fact
    rest = fact["latency_ms"] - fact["compute_ms"] - (fact["run_delay_ms"] or 0.0) - fact["queue_ms"]
    assert fact["wait_ms"] == pytest.approx(max(0.0, rest), abs=0.005), fact
    assert fact["wait_ms"] > 0 and fact["compute_ms"] > 0, fact
    assert fact["wait_ratio"] == pytest.approx(fact["wait_ms"] / fact["compute_ms"], rel=0.01, abs=0.01), fact


def requests_through_nginx(host, count, query=""):
    """`count` ordinary GET requests through nginx, one after the other (one curl, keep-alive)."""
    cmd = host.run(f"curl -sS --fail 'http://127.0.0.1/?{query}n=[1-{count}]' > /dev/null")
    assert cmd.rc == 0, cmd.stderr


def measure(host):
    """One run of the timer's service (oneshot: systemctl returns when it is done); its log."""
    since = host.check_output("date +%s.%N")
    cmd = host.run(f"systemctl start {MEASURE}.service")
    log = host.check_output(f"journalctl -u {MEASURE}.service --since @{since} --no-pager -o cat")
    assert cmd.rc == 0, cmd.stderr + log
    return log


def test_measurement_timer_is_enabled_and_has_recorded_nothing_by_itself(host):
    timer = host.service(f"{MEASURE}.timer")
    assert timer.is_enabled
    assert timer.is_running
    # An hour after it started, then hourly: a result needs two runs, so none during the scenario.
    timers = host.check_output(f"systemctl show -p TimersMonotonic --value {MEASURE}.timer")
    assert "OnActiveUSec=1h " in timers and "OnUnitActiveUSec=1h " in timers, timers
    assert not host.file(FACT).exists


def test_passive_measurement_records_wc_from_ordinary_requests(host):
    host.run(f"rm -f {FACT} {STATE}")
    try:
        assert "hello: window started" in measure(host)
        assert host.file(STATE).exists
        requests_through_nginx(host, 10)
        assert "hello: 10 requests in" in measure(host)
        assert not host.file(FACT).exists, "recorded from 10 requests"
        # The same window goes on: 600 more, to a view that waits 5 ms on each.
        requests_through_nginx(host, 600, "sleep=5&")
        log = measure(host)
        assert "hello: W/C " in log, log
        fact = json.loads(host.file(FACT).content_string)
        assert fact["method"] == "passive"
        assert fact["requests"] == 610, fact
        assert fact["service"] == "uwsgi-hello.service"
        # 600 of the 610 requests slept 5 ms.
        assert_wait_is_what_the_latency_leaves(fact, 5 * 600 / 610)
        assert fact["window_s"] > 0 and fact["apps"]["hello"]["requests"] == 610
        local = host.ansible("setup", "gather_subset=!all,!min,local")["ansible_facts"]["ansible_local"]
        assert local["webstack_calibration"]["wait_ratio"] == fact["wait_ratio"]
        # A window over which uWSGI restarted is refused and the result stays.
        assert host.run(f"systemctl restart {SERVICE}").rc == 0
        wait_serving(host)
        requests_through_nginx(host, 600)
        assert "hello: window refused, the last result is kept: uWSGI restarted" in measure(host)
        assert json.loads(host.file(FACT).content_string) == fact
    finally:
        # The scenario's later steps size from the profile, not from this measurement.
        host.run(f"rm -f {FACT} {STATE}")


def test_calibrate_passive_measures_live_traffic(host):
    host.run(f"rm -f {FACT}")
    # Ordinary requests all along the run (at most 8000, at most 60 s), none sent by the playbook.
    host.run("nohup sh -c 'echo $$ > /root/traffic.pid; exec timeout 60 curl -s "
             "\"http://127.0.0.1/?sleep=5&n=[1-8000]\"' >/dev/null 2>&1 &")
    try:
        rc, out = playbook(os.path.join(ROOT, "playbooks", "calibrate.yml"), "-e", "webstack_web_hosts=all",
                           "-e", "webstack_calibrate_service=uwsgi-hello.service", "-e", "webstack_calibrate_window=5",
                           "-e", "webstack_calibrate_min_requests=300")
        host.run("kill $(cat /root/traffic.pid)")
        assert rc == 0, out
        flat = " ".join(out.split())
        assert "Measuring uwsgi-hello.service from its live traffic for 5 s (no load is sent; at least 300 requests, " \
               "stats /run/uwsgi/hello/stats.sock)" in flat, out
        assert re.search(r"W/C [\d.]+: C [\d.]+ ms, W [\d.]+ ms, [\d.]+ req/s \(\d+ requests of live traffic in "
                         r"[\d.]+ s, passive\) uwsgi-hello.service'", flat), out
        fact = json.loads(host.file(FACT).content_string)
        assert fact["method"] == "passive" and fact["requests"] >= 300, fact
        assert_wait_is_what_the_latency_leaves(fact, 5)
    finally:
        host.run(f"rm -f {FACT}")


def test_killed_master_is_restarted_by_systemd(host):
    """Restarted by systemd and serving again, both within 60 s of the kill."""
    master = main_pid(host)
    killed = time.time()
    assert host.run(f"kill -KILL {master}").rc == 0
    while main_pid(host) in (0, master):
        assert time.time() < killed + 60, "systemd did not restart the app within 60 s"
        time.sleep(1)
    body = wait_serving(host, timeout=max(0.0, killed + 60 - time.time()))
    assert body.startswith("hello release=1 ")
    assert time.time() - killed < 60
    assert host.service(SERVICE).is_running
