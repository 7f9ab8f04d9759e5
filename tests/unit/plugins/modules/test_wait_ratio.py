"""Unit tests for the wait_ratio module: /proc parsing, process tree, wrk output, arithmetic,
and one real measurement of a local HTTP server."""

import json
import math
import os

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

import slow_app
from ansible_collections.webstack.django.plugins.modules import wait_ratio
from ansible_collections.webstack.django.plugins.modules.wait_ratio import MeasurementError

# Fields 3.. of a real /proc/<pid>/stat line (a uWSGI worker): ppid 812, utime 1234, stime 56,
# starttime 98765.
TAIL = ("S 812 812 812 0 -1 4194624 10234 0 0 0 1234 56 0 0 20 0 2 0 98765 253444096 10840 "
        "18446744073709551615 94 95 140 0 0 0 0 16781312 16386 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n")

WRK = """\
Running 10s test @ http://127.0.0.1/io
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    26.12ms    3.01ms  60.04ms   90.12%
    Req/Sec     1.23k   102.34     1.45k    70.00%
  Latency Distribution
     50%   25.61ms
     75%   26.59ms
     90%   28.33ms
     99%   38.70ms
  24512 requests in 10.01s, 5.12MB read
{extra}Requests/sec:   2448.76
Transfer/sec:    523.90KB
"""

ERRORS = """\
  Socket errors: connect 0, read 3, write 1, timeout 12
  Non-2xx or 3xx responses: 17
"""


# --- /proc ------------------------------------------------------------------------------------

def test_stat_line_gives_ppid_starttime_and_cpu_ticks():
    assert wait_ratio.parse_stat("4242 (uwsgi) " + TAIL) == (4242, 812, 98765, 1234 + 56)


@pytest.mark.parametrize("comm", ["uWSGI worker 1", "a) (b", "x)", "(", ") S 1 2 3"])
def test_command_name_with_spaces_and_parentheses(comm):
    assert wait_ratio.parse_stat("77 (%s) %s" % (comm, TAIL)) == (77, 812, 98765, 1290)


@pytest.mark.parametrize("text", ["", "4242 uwsgi S 1", "4242 (uwsgi) S 1 2 3"])
def test_bad_stat_line_raises(text):
    with pytest.raises(ValueError):
        wait_ratio.parse_stat(text)


def test_descendants_walks_the_whole_tree_and_nothing_else():
    ppids = {1: 0, 100: 1, 101: 100, 102: 100, 103: 101, 200: 1, 201: 200, 300: 103}
    assert wait_ratio.descendants(100, ppids) == {100, 101, 102, 103, 300}
    assert wait_ratio.descendants(201, ppids) == {201}


def test_descendants_survives_a_cycle():
    assert wait_ratio.descendants(5, {5: 6, 6: 5}) == {5, 6}


@pytest.fixture
def proc(tmp_path):
    """A fake /proc: master 10 with workers 11 and 12, an unrelated 20."""

    def write(pid, ppid, ticks, start=1000):
        (tmp_path / str(pid)).mkdir(exist_ok=True)
        fields = TAIL.split()
        fields[1], fields[11], fields[12], fields[19] = str(ppid), str(ticks), "0", str(start)
        (tmp_path / str(pid) / "stat").write_text("%d (uwsgi) %s\n" % (pid, " ".join(fields)))

    for pid, ppid in ((1, 0), (10, 1), (11, 10), (12, 10), (20, 1)):
        write(pid, ppid, 100)
    (tmp_path / "self").mkdir()
    return tmp_path, write


def test_process_tree_from_proc(proc):
    proc, _write = proc
    assert wait_ratio.descendants(10, wait_ratio.ppid_map(str(proc))) == {10, 11, 12}


def test_cpu_meter_counts_new_processes_whole_and_keeps_ended_ones(proc):
    proc, write = proc

    def pids():
        return wait_ratio.descendants(10, wait_ratio.ppid_map(str(proc)))

    meter = wait_ratio.CpuMeter(pids, str(proc), clock_ticks=100)
    meter.start()
    write(11, 10, 150)                     # +50
    write(13, 10, 30)                      # a new worker: +30
    meter.sample()
    os.remove(proc / "11" / "stat")             # worker 11 ends: its +50 stays counted
    (proc / "11").rmdir()
    write(12, 10, 40, start=2000)          # pid 12 reused by a new process: +40
    assert meter.sample() == 3
    assert meter.ticks() == 50 + 30 + 40
    assert meter.seconds() == pytest.approx(1.2)


def test_cpu_meter_without_processes_fails(proc):
    proc, _write = proc
    with pytest.raises(MeasurementError, match="no process of the app"):
        wait_ratio.CpuMeter(lambda: {999}, str(proc)).start()


# --- wrk --------------------------------------------------------------------------------------

def test_wrk_output_without_errors():
    assert wait_ratio.parse_wrk(WRK.format(extra="")) == (24512, 10.01, 2448.76, 0, 0)


def test_wrk_output_with_socket_errors_and_non_2xx():
    out = wait_ratio.parse_wrk(WRK.format(extra=ERRORS))
    assert (out.requests, out.non_2xx, out.socket_errors) == (24512, 17, 16)


@pytest.mark.parametrize("elapsed, seconds", [("1.00m", 60.0), ("500.00ms", 0.5), ("2.00s", 2.0)])
def test_wrk_duration_units(elapsed, seconds):
    text = WRK.format(extra="").replace("10.01s,", elapsed + ",")
    assert wait_ratio.parse_wrk(text).seconds == pytest.approx(seconds)


def test_wrk_output_without_summary_raises():
    with pytest.raises(ValueError, match="Requests/sec"):
        wait_ratio.parse_wrk("unable to connect to 127.0.0.1:80 Connection refused\n")


def test_wrk_command():
    assert wait_ratio.wrk_command("/usr/bin/wrk", "http://127.0.0.1/io", "shop.example.com", 64, 10, 5) == [
        "/usr/bin/wrk", "-t2", "-c64", "-d10s", "--timeout", "5s", "--latency",
        "-H", "Host: shop.example.com", "http://127.0.0.1:80/io"]
    assert wait_ratio.wrk_command("wrk", "http://h/", None, 1, 3, 10)[1:4] == ["-t1", "-c1", "-d3s"]


# --- arithmetic -------------------------------------------------------------------------------

def test_ratio_is_wait_over_compute_under_saturation():
    # R1 22 ms, C1 1 ms -> W 21 ms; 3 CPU s over 2000 requests -> C 1.5 ms; W/C 14.
    result = wait_ratio.ratio(0.022, 0.001, 3.0, 2000, 0, 10)
    assert result == {"wait_ratio": 14.0, "wait_ms": 21.0, "compute_ms": 1.5, "compute_ms_low_load": 1.0,
                      "latency_ms_low_load": 22.0, "cpu_seconds": 3.0}


def test_cpu_bound_app_waits_nothing():
    # C1 measured above R1 (clock-tick rounding) must not give a negative W.
    assert wait_ratio.ratio(0.010, 0.012, 20.0, 2000, 0, 10)["wait_ratio"] == 0


def test_ratio_is_rounded_to_two_decimals():
    assert wait_ratio.ratio(0.0201, 0.0, 1.5, 1000, 0, 10)["wait_ratio"] == 13.4


@pytest.mark.parametrize("args, message", [
    ((0.02, 0.001, 1.0, 99, 0, 10), r"only 99 requests completed in 10 s .* at least 100 .* raise duration"),
    ((0.02, 0.001, 1.0, 1000, 11, 10), r"11 of 1011 requests failed under saturation \(more than 1 %\)"),
    ((0.02, 0.001, 0.0, 1000, 0, 3), r"no measurable CPU time in 3 s .* 10 ms\): raise duration"),
])
def test_untrustworthy_measurement_says_why(args, message):
    with pytest.raises(MeasurementError, match=message):
        wait_ratio.ratio(*args)


def test_one_error_in_a_hundred_is_tolerated():
    assert wait_ratio.ratio(0.02, 0.001, 1.0, 1000, 10, 10)["wait_ratio"] == 19.0


@pytest.mark.parametrize("url, target", [
    ("http://127.0.0.1/io", ("http", "127.0.0.1", 80, "/io", None)),
    ("http://127.0.0.1:8080", ("http", "127.0.0.1", 8080, "/", None)),
    ("https://[::1]/a?b=1", ("https", "::1", 443, "/a?b=1", None)),
])
def test_parse_url(url, target):
    assert wait_ratio.parse_url(url) == target


@pytest.mark.parametrize("url", ["ftp://host/", "127.0.0.1/io", "http:///io", "http://h:99999/"])
def test_bad_url_is_named(url):
    with pytest.raises(ValueError, match="url: "):
        wait_ratio.parse_url(url)


def test_loader_choice():
    assert wait_ratio.resolve_loader("auto", which=lambda _: "/usr/bin/wrk") == ("wrk", "/usr/bin/wrk")
    assert wait_ratio.resolve_loader("auto", which=lambda _: None) == ("python", None)
    assert wait_ratio.resolve_loader("python", which=lambda _: "/usr/bin/wrk") == ("python", None)
    with pytest.raises(MeasurementError, match="wrk is not on the host's PATH"):
        wait_ratio.resolve_loader("wrk", which=lambda _: None)


# --- the module -------------------------------------------------------------------------------

@pytest.fixture
def run(capsys, monkeypatch):
    def _run(systemctl, **args):
        monkeypatch.setattr(AnsibleModule, "run_command", lambda self, argv, **kw: systemctl)
        args.update(_ansible_check_mode=True)
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                wait_ratio.main()
        return json.loads(capsys.readouterr().out)

    return _run


def test_service_without_main_pid_fails(run):
    result = run((0, "0\n", ""), url="http://127.0.0.1/", service="uwsgi-demo.service")
    assert result["failed"]
    assert result["msg"] == ("uwsgi-demo.service has no MainPID: is the service running? "
                             "(systemctl status uwsgi-demo.service)")


def test_systemctl_failure_is_reported(run):
    result = run((1, "", "Failed to connect to bus"), url="http://127.0.0.1/", service="uwsgi-demo")
    assert result["msg"] == "cannot read the MainPID of uwsgi-demo: Failed to connect to bus"


@pytest.mark.parametrize("args, message", [
    ({"duration": 0}, "duration: 0 must be at least 1"),
    ({"concurrency": -1}, "concurrency: -1 must be at least 1"),
    ({"url": "127.0.0.1/io"}, "url: '127.0.0.1/io' must be an http:// or https:// URL"),
])
def test_bad_options_fail_before_any_load(run, args, message):
    result = run((0, "4242\n", ""), **dict({"url": "http://127.0.0.1/", "service": "uwsgi-demo"}, **args))
    assert result["failed"] and message in result["msg"], result


# --- a real measurement -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    # Waits 20 ms and computes 0.5 ms per request; answers 400 unless the Host is app.test.
    with slow_app.running(0.02, "app.test") as (pid, port):
        yield pid, "http://127.0.0.1:%d/io" % port


def test_io_bound_server_measures_a_high_wait_ratio(server, monkeypatch):
    # How many requests 2 s of load completes depends on how busy the machine is; the refusal of
    # too few is test_untrustworthy_measurement_says_why's. Here any count gives a result.
    monkeypatch.setattr(wait_ratio, "MIN_REQUESTS", 1)
    pid, url = server
    result = wait_ratio.measure(url, lambda: {pid}, host_header="app.test", duration=2, concurrency=16,
                                probe_requests=20, warmup=1, timeout=5, loader="python")
    assert result["errors"] == 0 and result["requests"] > 0, result
    assert result["worker_pids"] == 1 and result["loader"] == "python" and result["cpu_seconds"] > 0, result
    # Bounds a busy machine cannot break: every request sleeps 20 ms (a busy machine only adds to
    # the latency), C1 and C are CPU time (which a busy machine does not stretch), and W is the
    # latency less C1.
    assert result["latency_ms_low_load"] >= 20, result
    assert result["wait_ms"] == pytest.approx(result["latency_ms_low_load"] - result["compute_ms_low_load"], abs=0.002)
    assert result["wait_ms"] > 15, result
    assert result["compute_ms"] == pytest.approx(result["cpu_seconds"] * 1000 / result["requests"],
                                                 abs=5.0 / result["requests"] + 0.001), result
    assert result["wait_ratio"] == pytest.approx(result["wait_ms"] / result["compute_ms"], rel=0.01, abs=0.01), result
    # 20 ms of wait against the CPU time of one request (0.5 ms of work and Python's HTTP
    # handling), a ratio of CPU time and sleep that the machine's load does not move.
    assert math.isfinite(result["wait_ratio"]) and result["wait_ratio"] > 5, result


def test_probe_answering_non_2xx_fails(server):
    pid, url = server
    with pytest.raises(MeasurementError, match=r"probe request 1 of 5 answered 400, not 2xx"):
        wait_ratio.measure(url, lambda: {pid}, duration=1, probe_requests=5, warmup=0, loader="python")


def test_wrk_is_run_with_the_options_and_its_count_checked(server, tmp_path):
    # A stand-in wrk that records its arguments and reports too few requests.
    fake = tmp_path / "wrk"
    fake.write_text("#!/bin/sh\necho \"$@\" > %s\nsleep 0.2\ncat <<'EOF'\n%sEOF\n"
                    % (tmp_path / "argv", WRK.format(extra="").replace("24512 requests", "50 requests")))
    fake.chmod(0o755)
    pid, url = server
    with pytest.raises(MeasurementError, match=r"only 50 requests completed in 1 s of saturating load \(0 failed\)"):
        wait_ratio.measure(url, lambda: {pid}, host_header="app.test", duration=1, concurrency=8, probe_requests=2,
                           warmup=0, timeout=3, loader="auto", which=lambda _: str(fake))
    assert (tmp_path / "argv").read_text() == "-t2 -c8 -d1s --timeout 3s --latency -H Host: app.test %s\n" % url


@pytest.mark.parametrize("url, expected", [
    ("http://127.0.0.1/io", "http://127.0.0.1:80/io"),
    ("https://shop.example.com/a?b=1", "https://shop.example.com:443/a?b=1"),
    ("http://127.0.0.1:8080/io", "http://127.0.0.1:8080/io"),
    ("http://[::1]/", "http://[::1]:80/"),
    ("http://[::1]:81", "http://[::1]:81"),
])
def test_wrk_gets_an_explicit_port(url, expected):
    assert wait_ratio.explicit_port(url) == expected


class RecordingMeter:
    def __init__(self):
        self.calls = []

    def start(self):
        self.calls.append("start")

    def sample(self):
        self.calls.append("sample")


def test_run_wrk_measures_only_its_own_window():
    # A meter that is not started counts each process's CPU time since it began.
    output = "  1000 requests in 2.00s, 1.00MB read\nRequests/sec:    500.00\n"
    meter = RecordingMeter()
    result = wait_ratio.run_wrk(["sh", "-c", "sleep 0.3; printf '%s' \"$0\"", output], meter, interval=0.1)
    assert result.requests == 1000
    assert meter.calls[0] == "start"
    assert meter.calls.count("start") == 1 and "sample" in meter.calls
