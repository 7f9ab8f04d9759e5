"""roles/uwsgi/files/usr/local/libexec/webstack/uwsgi-load-measure: the passive W/C measurement
(stats socket, CPU time from cgroup v2 or /proc, the arithmetic, the refusals, the timer's
accumulation across runs and the fact file)."""

import importlib.machinery
import importlib.util
import io
import json
import os
import socket
import threading
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))))))
SCRIPT = os.path.join(ROOT, "roles", "uwsgi", "files", "usr", "local", "libexec", "webstack", "uwsgi-load-measure")


def load():
    loader = importlib.machinery.SourceFileLoader("uwsgi_load_measure", SCRIPT)
    spec = importlib.util.spec_from_loader("uwsgi_load_measure", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


m = load()


def stats_doc(master=100, workers=((10, 1000), (20, 2000))):
    """A stats document as uWSGI 2.0 writes it (only the keys the program reads, and some more)."""
    return {"version": "2.0.30", "pid": master, "workers": [
        {"id": i + 1, "pid": master + i + 1, "requests": r, "delta_requests": r, "running_time": t,
         "avg_rt": 170, "status": "idle"} for i, (r, t) in enumerate(workers)]}


def smp(master=100, requests=0, running_us=0, cpu_usec=0, time=1000.0, source="proc", **more):
    return dict({"master": master, "requests": requests, "running_us": running_us, "cpu_usec": cpu_usec,
                 "cpu_source": source, "time": time}, **more)


# --- sampling -----------------------------------------------------------------------------------

def test_counters_sum_the_workers():
    assert m.counters(stats_doc(7, ((5, 930), (6, 957), (0, 0)))) == (7, 11, 1887)


@pytest.mark.parametrize("doc", [{}, {"pid": 1}, {"pid": 1, "workers": [{"requests": 1}]}, [], {"pid": "x", "workers": []}])
def test_counters_refuse_what_is_not_a_stats_document(doc):
    with pytest.raises(ValueError, match="not a uWSGI stats document"):
        m.counters(doc)


def test_stats_are_read_from_the_unix_socket(tmp_path):
    path = str(tmp_path / "stats.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    body = json.dumps(stats_doc(workers=((3, 30),) * 2000)).encode()   # more than one recv

    def serve():
        conn, _ignored = server.accept()
        conn.sendall(body)
        conn.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        assert m.counters(m.read_stats(path)) == (100, 6000, 60000)
    finally:
        thread.join(5)
        server.close()


def write_stat(proc, pid, ppid, utime, stime, cutime=0, cstime=0, comm="uwsgi"):
    os.makedirs(proc / str(pid), exist_ok=True)
    (proc / str(pid) / "stat").write_text(
        "%d (%s) S %d %d %d 0 -1 4194624 10 0 0 0 %d %d %d %d 20 0 1 0 98765 0 0\n"
        % (pid, comm, ppid, ppid, ppid, utime, stime, cutime, cstime))


def test_proc_cpu_counts_the_tree_and_the_children_it_reaped(tmp_path):
    proc = tmp_path / "proc"
    write_stat(proc, 100, 1, 10, 5, cutime=300, cstime=200)      # master: reaped workers' time
    write_stat(proc, 101, 100, 40, 10, comm="uWSGI worker 1")
    write_stat(proc, 102, 100, 30, 20, comm="a) (b")              # odd names are parsed
    write_stat(proc, 103, 102, 1, 1)                              # a worker's child
    write_stat(proc, 200, 1, 9999, 9999)                          # another unit
    (proc / "self").mkdir()
    ticks = 10 + 5 + 300 + 200 + 50 + 50 + 2
    assert m.proc_cpu_usec(100, str(proc), clock_ticks=100) == ticks * 10000


def test_proc_cpu_fails_when_the_master_is_gone(tmp_path):
    write_stat(tmp_path, 101, 100, 1, 1)
    with pytest.raises(OSError, match="process 100 is gone"):
        m.proc_cpu_usec(100, str(tmp_path), clock_ticks=100)


def test_proc_cpu_of_this_process_is_read_from_the_real_proc():
    # At least 50 ms of CPU first: the kernel counts it in ticks (10 ms), a fresh process has none.
    while time.process_time() < 0.05:
        pass
    # What the kernel reports for this process through times(2) just before, in the same ticks:
    # CPU time, never wall time, so a busy machine changes neither side.
    before = os.times()
    counted = before.user + before.system + before.children_user + before.children_system
    assert counted >= 0.04
    assert m.proc_cpu_usec(os.getpid()) >= round(counted * 1000000) - 10000


def test_cgroup_v2_usage_is_read_from_the_units_cpu_stat(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    unit = tmp_path / "system.slice" / "uwsgi-hello.service"
    unit.mkdir(parents=True)
    (unit / "cpu.stat").write_text("usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n")
    assert m.cgroup_cpu_usec("/system.slice/uwsgi-hello.service", str(tmp_path)) == 123456
    assert m.cgroup_cpu_usec("/system.slice/other.service", str(tmp_path)) is None
    assert m.cgroup_cpu_usec("", str(tmp_path)) is None


def test_without_cgroup_v2_there_is_no_cgroup_usage(tmp_path):
    unit = tmp_path / "system.slice" / "uwsgi-hello.service"
    unit.mkdir(parents=True)
    (unit / "cpu.stat").write_text("usage_usec 123456\n")
    assert m.cgroup_cpu_usec("/system.slice/uwsgi-hello.service", str(tmp_path)) is None


def fake_unit(pid, group="/system.slice/uwsgi-hello.service"):
    return lambda service: (pid, group)


def test_sample_prefers_the_cgroup_and_falls_back_to_proc(tmp_path, monkeypatch):
    monkeypatch.setattr(m, "read_stats", lambda path: stats_doc(100, ((5, 50),)))
    kwargs = dict(now=lambda: 12.5, unit=fake_unit(100), proc=lambda pid: 777, delay=lambda group, pid: {"7": 3})
    more = {"workers": 1, "run_delay": {"7": 3}}
    assert m.sample("s", "u", cgroup=lambda group: 999, **kwargs) == smp(100, 5, 50, 999, 12.5, "cgroup", **more)
    assert m.sample("s", "u", cgroup=lambda group: None, **kwargs) == smp(100, 5, 50, 777, 12.5, "proc", **more)


def test_run_delay_is_read_for_every_thread_of_the_cgroup(tmp_path):
    root, proc = tmp_path / "cgroup", tmp_path / "proc"
    (root / "system.slice" / "uwsgi-hello.service").mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory\n")
    (root / "system.slice" / "uwsgi-hello.service" / "cgroup.threads").write_text("11\n12\n13\n")
    for tid, line in (("11", "5000000 2000000 9\n"), ("12", "1 7000 2\n")):  # 13 ended meanwhile
        (proc / tid).mkdir(parents=True)
        (proc / tid / "schedstat").write_text(line)
    tids = m.cgroup_threads("/system.slice/uwsgi-hello.service", root=str(root))
    assert tids == ["11", "12", "13"]
    assert m.run_delay_usec(tids, proc=str(proc)) == {"11": [2000, 9], "12": [7, 2]}
    assert m.run_delay_usec(["13"], proc=str(proc)) is None
    assert m.cgroup_threads("/system.slice/other.service", root=str(root)) is None
    (root / "cgroup.controllers").unlink()
    assert m.cgroup_threads("/system.slice/uwsgi-hello.service", root=str(root)) is None


def test_without_cgroup_v2_the_threads_of_the_process_tree_count(tmp_path):
    proc = tmp_path / "proc"
    for pid, ppid, tids in ((100, 1, ("100", "101")), (200, 100, ("200",)), (300, 1, ("300",))):
        (proc / str(pid) / "task").mkdir(parents=True)
        (proc / str(pid) / "stat").write_text("%d (uwsgi) S %d 0 0 0 0 0 0 0 0 0 1 1 0 0 20 0\n" % (pid, ppid))
        for tid in tids:
            (proc / str(pid) / "task" / tid).mkdir()
    assert sorted(m.proc_threads(100, proc=str(proc))) == ["100", "101", "200"]
    assert m.proc_threads(999, proc=str(proc)) == []


def test_run_delay_of_this_process_is_read_from_the_real_proc():
    delays = m.run_delay_usec(m.proc_threads(os.getpid()))
    assert delays and str(os.getpid()) in delays
    assert all(delay >= 0 and runs > 0 for delay, runs in delays.values())


def test_run_delay_between_two_samples():
    # Thread 2's id was used again (its counts went back), 3 ended, 4 is new.
    first = {"1": [100, 10], "2": [50, 40], "3": [9, 1]}
    assert m.run_delay_between(first, {"1": [400, 25], "2": [20, 5], "4": [30, 3]}) == (300 + 20 + 30, 15 + 5 + 3)
    # A state saved before the runs were kept: the delay alone, no runs.
    assert m.run_delay_between({"1": 100, "2": 50}, {"1": [400, 25], "2": [20, 5]}) == (300 + 20, None)
    assert m.run_delay_between({"1": 100}, {"1": 400}) == (300, None)
    assert m.run_delay_between(None, {"1": 5}) is None and m.run_delay_between({"1": 5}, None) is None


def test_sample_fails_when_the_unit_does_not_run():
    with pytest.raises(OSError, match="uwsgi-hello.service has no MainPID"):
        m.sample("s", "uwsgi-hello.service", unit=fake_unit(0))


def test_unit_properties_parse_systemctl_show():
    class Done:
        returncode, stdout, stderr = 0, "MainPID=1141\nControlGroup=/system.slice/uwsgi-hello.service\n", ""
    assert m.unit_properties("uwsgi-hello.service", run=lambda *a, **k: Done) == (1141, "/system.slice/uwsgi-hello.service")


# --- the arithmetic -------------------------------------------------------------------------------

def test_wait_and_compute_per_request():
    # 1000 requests in 50 s: 0.5 s of CPU, 10.5 s in uWSGI -> C 0.5 ms, R 10.5 ms, W 10 ms.
    result = m.window_result(smp(requests=2000, running_us=1000000, cpu_usec=4000000, time=100.0),
                             smp(requests=3000, running_us=11500000, cpu_usec=4500000, time=150.0), 500)
    assert result == {"wait_ratio": 20.0, "compute_ms": 0.5, "wait_ms": 10.0, "latency_ms": 10.5,
                      "run_delay_ms": None, "queue_ms": 0.0, "worker_busy": 0.0, "workers": 0,
                      "requests": 1000, "window_s": 50.0, "requests_per_second": 20.0, "cpu_source": "proc"}


def cpu_bound(run_delay_us):
    """2 workers x 10 threads serving a CPU-bound view to more clients: 4600 requests in 10 s,
    R 43.5 ms (20 in uWSGI at a time), C 3.5 ms; `run_delay_us` in all waiting for a core."""
    first = smp(requests=0, running_us=0, cpu_usec=0, time=0.0, workers=2, run_delay={"1": 0, "2": 0})
    last = smp(requests=4600, running_us=200100000, cpu_usec=16100000, time=10.0, workers=2,
               run_delay={"1": run_delay_us // 2, "2": run_delay_us // 2})
    return m.window_result(first, last, 500)


def test_saturated_workers_queue_and_do_not_wait():
    # D 0.85 ms: S 4.35 ms at 230 req/s per worker, workers taken all the time; R is 10 requests
    # sharing a GIL, not waiting (without the turn: W 40 ms, W/C 11.4).
    result = cpu_bound(3910000)
    assert (result["run_delay_ms"], result["worker_busy"], result["wait_ms"], result["wait_ratio"]) == (0.85, 1.0, 0.0, 0.0)
    assert result["queue_ms"] == pytest.approx(43.5 - 4.35, abs=0.05)


def test_nearly_saturated_workers_share_with_the_others_in_the_worker_at_most():
    # D 0.6 ms: workers 94 % taken; a processor-sharing queue would be 16.5 S, but only 9 others share it.
    result = cpu_bound(2760000)
    assert result["worker_busy"] == 0.943
    assert result["queue_ms"] == pytest.approx(4.1 * 9.005, abs=0.01)
    assert result["wait_ratio"] == pytest.approx(0.71, abs=0.01)


def test_one_request_at_a_time_waits_for_no_turn():
    # One client, one worker: R 7 ms, C 2 ms; nothing to share with, so W 5 ms.
    first = smp(requests=0, running_us=0, cpu_usec=0, time=0.0, workers=1, run_delay={"1": 0})
    last = smp(requests=1000, running_us=7000000, cpu_usec=2000000, time=7.0, workers=1, run_delay={"1": 0})
    result = m.window_result(first, last, 500)
    assert (result["queue_ms"], result["wait_ms"], result["wait_ratio"]) == (0.0, 5.0, 2.5)


def test_an_io_bound_app_keeps_its_wait():
    # 4 workers, 870 req/s each, C 0.53 ms, R 21 ms: workers 46 % taken, W hardly moves (20.47 -> 20.02 ms).
    first = smp(requests=0, running_us=0, cpu_usec=0, time=0.0, workers=4, run_delay={"1": 0})
    last = smp(requests=34800, running_us=730800000, cpu_usec=18444000, time=10.0, workers=4, run_delay={"1": 0})
    result = m.window_result(first, last, 500)
    assert (result["compute_ms"], result["worker_busy"], result["wait_ms"], result["wait_ratio"]) == (0.53, 0.461, 20.017, 37.77)


def test_wait_is_never_below_zero():
    # More CPU than wall time per request (threads computing in parallel, the master's own work).
    result = m.window_result(smp(), smp(requests=600, running_us=300000, cpu_usec=600000, time=1060.0), 500)
    assert (result["wait_ms"], result["wait_ratio"], result["compute_ms"]) == (0.0, 0.0, 1.0)


def test_too_few_requests_give_no_result():
    with pytest.raises(m.TooFew, match="499 requests in 60 s, at least 500 are needed"):
        m.window_result(smp(), smp(requests=499, running_us=10, cpu_usec=10, time=1060.0), 500)


@pytest.mark.parametrize("last, message", [
    (smp(master=200, requests=5000, running_us=10 ** 7, cpu_usec=10 ** 7), r"uWSGI restarted in the window \(master pid 100, then 200\)"),
    (smp(requests=10, running_us=10 ** 7, cpu_usec=10 ** 7), r"the counter requests went back \(1000, then 10\)"),
    (smp(requests=5000, running_us=10, cpu_usec=10 ** 7), r"the counter running_us went back"),
    (smp(requests=5000, running_us=10 ** 7, cpu_usec=10), r"the counter cpu_usec went back"),
    (smp(requests=5000, running_us=10 ** 7, cpu_usec=1000, source="cgroup"), r"read from proc, then from cgroup"),
    (smp(requests=5000, running_us=10 ** 7, cpu_usec=1000), r"no measurable CPU time for 4000 requests"),
])
def test_refused_windows(last, message):
    with pytest.raises(m.Refused, match=message) as caught:
        m.window_result(smp(requests=1000, running_us=1000, cpu_usec=1000), last, 500)
    assert not isinstance(caught.value, m.TooFew)


# --- the timer's runs -------------------------------------------------------------------------------

def test_the_first_run_starts_a_window_and_records_nothing():
    state, results, messages = m.accumulate({}, {"hello": smp(requests=42)}, 500)
    assert state == {"hello": smp(requests=42)} and results == {}
    assert messages["hello"] == "window started (42 requests served so far)"


def test_low_traffic_accumulates_across_runs():
    base = smp(requests=100, running_us=0, cpu_usec=0, time=0.0)
    state, results, messages = m.accumulate({"hello": base}, {"hello": smp(requests=400, running_us=9, cpu_usec=9, time=600.0)}, 500)
    assert state == {"hello": base} and results == {}
    assert "300 requests in 600 s, at least 500 are needed; the window goes on" in messages["hello"]
    last = smp(requests=700, running_us=6000000, cpu_usec=1200000, time=1200.0)
    state, results, _messages = m.accumulate(state, {"hello": last}, 500, measured_at="T")
    assert state == {"hello": last}
    assert results["hello"]["requests"] == 600 and results["hello"]["window_s"] == 1200.0
    assert results["hello"]["wait_ratio"] == 4.0 and results["hello"]["measured_at"] == "T"


def test_a_restart_drops_the_window_and_starts_another():
    restarted = smp(master=300, requests=5000, running_us=1, cpu_usec=1)
    state, results, messages = m.accumulate({"hello": smp(requests=10)}, {"hello": restarted}, 500)
    assert state == {"hello": restarted} and results == {}
    assert messages["hello"].startswith("window refused, the last result is kept: uWSGI restarted")


def test_an_app_that_cannot_be_sampled_loses_its_window():
    state, results, messages = m.accumulate({"hello": smp()}, {"hello": {"error": "no socket"}}, 500)
    assert state == {} and results == {} and messages["hello"] == "not sampled: no socket"


def test_a_broken_state_entry_starts_a_new_window():
    state, results, _messages = m.accumulate({"hello": {"master": 100}}, {"hello": smp(requests=900)}, 500)
    assert state == {"hello": smp(requests=900)} and results == {}


# --- the fact -----------------------------------------------------------------------------------------

def res(rps, requests=600, ratio=1.0, service="uwsgi-x.service"):
    return {"wait_ratio": ratio, "compute_ms": 1.0, "wait_ms": ratio, "latency_ms": 1.0 + ratio,
            "requests": requests, "window_s": 60.0, "requests_per_second": rps, "cpu_source": "proc",
            "service": service, "measured_at": "2026-12-03T20:00:00Z"}


def test_the_top_level_is_the_busiest_app():
    fact = m.merge({}, {"a": res(5.0, ratio=3.0, service="uwsgi-a.service"), "b": res(50.0, ratio=7.0, service="uwsgi-b.service")})
    assert fact["app"] == "b" and fact["wait_ratio"] == 7.0 and fact["service"] == "uwsgi-b.service"
    assert fact["method"] == "passive" and fact["loader"] == "passive"
    assert set(fact["apps"]) == {"a", "b"}
    for key in ("wait_ratio", "compute_ms", "wait_ms", "requests_per_second", "service", "measured_at",
                "requests", "window_s"):
        assert key in fact, key


def test_earlier_results_of_other_apps_are_kept_unless_pruned():
    before = m.merge({}, {"a": res(100.0, ratio=3.0), "b": res(10.0)})
    after = m.merge(before, {"b": res(20.0, ratio=9.0)})
    assert after["apps"]["a"] == before["apps"]["a"] and after["apps"]["b"]["wait_ratio"] == 9.0
    assert after["app"] == "a"
    pruned = m.merge(before, {"b": res(20.0, ratio=9.0)}, keep={"b"})
    assert set(pruned["apps"]) == {"b"} and pruned["app"] == "b"


def test_an_active_measurement_is_replaced_whole():
    active = {"wait_ratio": 38.27, "loader": "wrk", "url": "http://127.0.0.1/io", "service": "uwsgi-demo.service"}
    fact = m.merge(active, {"demo": res(10.0)})
    assert "url" not in fact and fact["loader"] == "passive" and set(fact["apps"]) == {"demo"}


def test_no_result_no_fact():
    assert m.merge({"method": "passive", "apps": {"a": res(1.0)}}, {}, keep=set()) is None


# --- the program ----------------------------------------------------------------------------------------

class Host:
    """Samples that a test moves on: apps' counters by stats path."""

    def __init__(self):
        self.now = {}

    def take(self, stats, service):
        if stats not in self.now:
            raise OSError("connection refused")
        return dict(self.now[stats])


def run(host, *args, sleep=None):
    out, err = io.StringIO(), io.StringIO()
    rc = m.main(list(args), take=host.take, sleep=sleep or (lambda s: None), out=out, err=err)
    return rc, out.getvalue(), err.getvalue()


def test_timer_mode_records_once_enough_requests_are_served(tmp_path):
    host, state, fact = Host(), str(tmp_path / "state" / "s.json"), str(tmp_path / "facts.d" / "c.fact")
    args = ("--app", "hello", "uwsgi-hello.service", "/run/h.sock", "--state", state, "--fact", fact, "--min-requests", "500")
    host.now["/run/h.sock"] = smp(requests=7, time=1000.0)
    assert run(host, *args)[0] == 0
    assert not os.path.exists(fact)
    assert oct(os.stat(state).st_mode & 0o777) == "0o600"
    host.now["/run/h.sock"] = smp(requests=17, running_us=10, cpu_usec=10, time=1900.0)
    rc, _out, err = run(host, *args)
    assert rc == 0 and not os.path.exists(fact)
    assert "hello: 10 requests in 900 s, at least 500 are needed; the window goes on" in err
    host.now["/run/h.sock"] = smp(requests=607, running_us=3000000, cpu_usec=600000, time=1600.0 + 1000.0)
    rc, _out, err = run(host, *args)
    assert rc == 0, err
    recorded = json.loads(open(fact).read())
    assert recorded["method"] == "passive" and recorded["requests"] == 600 and recorded["wait_ratio"] == 4.0
    assert recorded["service"] == "uwsgi-hello.service" and recorded["app"] == "hello"
    assert recorded["window_s"] == 1600.0 and recorded["measured_at"].endswith("Z")
    assert oct(os.stat(fact).st_mode & 0o777) == "0o644"
    assert open(fact).read() == m.dumps(recorded)


def test_timer_mode_keeps_the_result_over_a_restart(tmp_path):
    host, state, fact = Host(), str(tmp_path / "s.json"), str(tmp_path / "c.fact")
    args = ("--app", "hello", "uwsgi-hello.service", "/run/h.sock", "--state", state, "--fact", fact)
    host.now["/run/h.sock"] = smp()
    run(host, *args)
    host.now["/run/h.sock"] = smp(requests=800, running_us=1600000, cpu_usec=800000, time=2000.0)
    run(host, *args)
    kept = open(fact).read()
    host.now["/run/h.sock"] = smp(master=555, requests=5000, running_us=10 ** 8, cpu_usec=10 ** 6, time=3000.0)
    rc, _out, err = run(host, *args)
    assert rc == 0 and "window refused, the last result is kept: uWSGI restarted" in err
    assert open(fact).read() == kept


def test_timer_mode_fails_when_an_app_cannot_be_sampled(tmp_path):
    rc, _out, err = run(Host(), "--app", "hello", "uwsgi-hello.service", "/run/h.sock", "--state",
                        str(tmp_path / "s.json"), "--fact", str(tmp_path / "c.fact"))
    assert rc == 1 and "hello: not sampled: uwsgi-hello.service (/run/h.sock): connection refused" in err


def test_window_mode_prints_the_fact_and_writes_nothing(tmp_path):
    host, fact = Host(), str(tmp_path / "c.fact")

    def sleep(seconds):
        assert seconds == 30
        host.now["/run/h.sock"] = smp(requests=1000, running_us=2000000, cpu_usec=500000, time=1030.0)

    host.now["/run/h.sock"] = smp(time=1000.0)
    rc, out, err = run(host, "--app", "hello", "uwsgi-hello.service", "/run/h.sock", "--window", "30",
                       "--fact", fact, "--print", sleep=sleep)
    assert rc == 0, err
    printed = json.loads(out)
    assert (printed["wait_ratio"], printed["requests"], printed["window_s"], printed["requests_per_second"]) == (3.0, 1000, 30.0, 33.3)
    assert "hello: W/C 3.0: C 0.5 ms, W 1.5 ms (2.0 ms in uWSGI: 0.0 ms for a turn, workers 0% taken), 1000 requests in 30.0 s" in err
    assert not os.path.exists(fact)


def test_window_mode_fails_with_too_few_requests(tmp_path):
    host = Host()

    def sleep(seconds):
        host.now["/run/h.sock"] = smp(requests=20, running_us=10, cpu_usec=10, time=1030.0)

    host.now["/run/h.sock"] = smp(time=1000.0)
    rc, out, err = run(host, "--app", "hello", "uwsgi-hello.service", "/run/h.sock", "--window", "30",
                       "--fact", str(tmp_path / "c.fact"), sleep=sleep)
    assert rc == 1 and out == "" and not os.path.exists(tmp_path / "c.fact")
    assert "hello: window refused: 20 requests in 30 s, at least 500 are needed" in err


@pytest.mark.parametrize("args, message", [
    (["--app", "a", "s", "p"], "one of the arguments --state --window is required"),
    (["--app", "a", "s", "p", "--window", "0"], "--window: 0 must be at least 1"),
    (["--app", "a", "s", "p", "--state", "f", "--min-requests", "0"], "--min-requests: 0 must be at least 1"),
    (["--app", "a b", "s", "p", "--state", "f"], "--app: 'a b' is not an app name"),
    (["--app", "a", "s", "p", "--app", "a", "t", "q", "--state", "f"], "an app is named twice"),
    (["--app", "a", "s", "p", "--state", "f", "--window", "3"], "not allowed with argument"),
])
def test_bad_arguments(args, message, capsys):
    with pytest.raises(SystemExit) as caught:
        m.parse_args(args)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_only_the_delay_inside_requests_counts():
    # 1000 requests each woken once to be accepted and once after a 5 ms sleep: 2000 runs, half
    # of them outside a request. 2 s waiting for a core in all: 1 ms per request inside it.
    assert m.in_request_share(2000, 1000) == 0.5
    assert m.in_request_share(900, 1000) == 0.0 and m.in_request_share(None, 1000) == 1.0
    first = smp(requests=0, running_us=0, cpu_usec=0, time=0.0, workers=8, run_delay={"1": [0, 0]})
    last = smp(requests=1000, running_us=7500000, cpu_usec=500000, time=10.0, workers=8,
               run_delay={"1": [2000000, 2000]})
    result = m.window_result(first, last, 500)
    assert (result["run_delay_ms"], result["compute_ms"]) == (1.0, 0.5)
    assert result["wait_ms"] == pytest.approx(7.5 - 1.5 - result["queue_ms"], abs=0.001)
    # Without the runs (a window begun by an older version) all of the delay counts, as before.
    old = dict(first, run_delay={"1": 0})
    assert m.window_result(old, dict(last, run_delay={"1": 2000000}), 500)["run_delay_ms"] == 2.0
