#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: wait_ratio
short_description: Measure the wait/compute ratio W/C of a uWSGI app on its host
version_added: 0.1.0
description:
  - Loads O(url) on the host itself and measures the CPU time of the app's uWSGI processes
    (the C(MainPID) of O(service) and all its descendants, read from C(/proc/<pid>/stat)),
    then returns W/C, the ratio that C(webstack.django.worker_counts) takes as C(wait_ratio).
  - "Method: (1) O(warmup) seconds of saturating load, not measured, so every worker has loaded
    the app; (2) a low-load probe of O(probe_requests) requests sent one at a time, giving the
    mean latency R1 and the workers' CPU time per request C1; (3) O(concurrency) parallel clients
    for O(duration) seconds, giving the completed 2xx responses N and the workers' CPU time, so
    C = CPU / N under saturation; (4) W = max(0, R1 - C1) and W/C = W / C."
  - W comes from the low-load probe because latency under saturation also holds queueing (in
    the listen backlog, for the GIL), which is not waiting on I/O. C comes from the saturation,
    the state the plan sizes for, because the CPU cost of a request differs between idle and
    busy workers (wake-ups and cold caches at low load, contention at high load); on the
    benchmark host, C taken at low load under-sized an I/O-bound view to 65% of its best.
  - The load generator is C(wrk) when it is on the host's PATH (O(loader=auto)), else a built-in
    client of O(concurrency) threads, each keeping one HTTP/1.1 keep-alive connection. Its own
    CPU time is not counted in C, but it competes with the app for the host's CPUs; C(wrk)
    needs far less than the built-in client.
  - The workers' CPU time counts every request they serve, so measure a host that takes no
    other traffic (before it joins the load balancers, or drained).
  - The module fails when the service has no C(MainPID), when a probe request fails or answers
    other than 2xx, when fewer than 100 requests complete under saturation, when more than
    1% of them fail, or when the workers used no measurable CPU time.
author:
  - webstack.django maintainers (!UNKNOWN)
options:
  url:
    description:
      - URL to load, normally the host's own nginx, for example C(http://127.0.0.1/io).
      - V(http) or V(https); the certificate of an V(https) URL is not verified (the module only
        sends GET requests, normally over the loopback interface).
    type: str
    required: true
  host_header:
    description:
      - C(Host) header to send, for example the site's server name; by default the host of O(url).
    type: str
  service:
    description:
      - systemd unit of the uWSGI app, for example C(uwsgi-demo.service). Its C(MainPID) (the
        uWSGI master) and all its descendants (the workers) are the processes measured.
    type: str
    required: true
  duration:
    description:
      - Seconds of saturating load. Raise it when the workers' CPU time is too small to measure
        (the kernel counts CPU time in clock ticks, usually 10 ms).
    type: int
    default: 10
  concurrency:
    description:
      - Parallel clients (connections) of the saturating load; more than the app's request slots.
    type: int
    default: 64
  probe_requests:
    description:
      - Requests of the low-load probe, sent one at a time.
    type: int
    default: 50
  warmup:
    description:
      - Seconds of saturating load before anything is measured; V(0) skips the warm-up.
    type: int
    default: 2
  timeout:
    description:
      - Seconds one request may take.
    type: int
    default: 10
  loader:
    description:
      - Load generator. V(wrk) runs C(wrk -t2 -c<concurrency> -d<duration>s --latency), V(python)
        the built-in client, V(auto) C(wrk) when it is on the PATH, else the built-in client.
    type: str
    choices: [auto, python, wrk]
    default: auto
attributes:
  check_mode:
    support: full
    description: The module only reads C(/proc) and sends GET requests, so it measures in check mode too.
  diff_mode:
    support: none
    description: The module never changes anything, so there is no diff.
notes:
  - Linux only (C(/proc), systemd). The module never reports a change.
  - The load lasts O(warmup) + O(duration) seconds plus the probe; the app serves it at full
    speed, so run it when the host may be saturated.
"""

EXAMPLES = r"""
- name: Measure W/C of the demo app through the local nginx
  webstack.django.wait_ratio:
    url: http://127.0.0.1/io
    host_header: localhost
    service: uwsgi-demo.service
  register: calibration

- name: Size the workers from the measurement
  ansible.builtin.set_fact:
    plan: "{{ ansible_facts | webstack.django.worker_counts(wait_ratio=calibration.wait_ratio) }}"

- name: Measure with the built-in client for 30 s with 128 clients
  webstack.django.wait_ratio:
    url: http://127.0.0.1:8080/
    service: uwsgi-shop.service
    loader: python
    duration: 30
    concurrency: 128
"""

RETURN = r"""
wait_ratio:
  description: W/C, the time a request waits per unit of CPU time, rounded to 2 decimals.
  returned: success
  type: float
  sample: 12.74
wait_ms:
  description: W, the mean latency at low load minus the CPU time per request at low load (ms).
  returned: success
  type: float
  sample: 21.406
compute_ms:
  description: C, the workers' CPU time per completed request under saturation (ms).
  returned: success
  type: float
  sample: 1.68
compute_ms_low_load:
  description: C1, the workers' CPU time per request during the low-load probe (ms).
  returned: success
  type: float
  sample: 1.2
latency_ms_low_load:
  description: R1, the mean client latency during the low-load probe (ms).
  returned: success
  type: float
  sample: 22.606
requests:
  description: Requests answered with 2xx under saturation (C(wrk) also counts 3xx).
  returned: success
  type: int
  sample: 11893
errors:
  description: Requests that failed or answered other than 2xx under saturation.
  returned: success
  type: int
  sample: 0
requests_per_second:
  description: Throughput under saturation.
  returned: success
  type: float
  sample: 1189.1
cpu_seconds:
  description: CPU time (user and system) of the app's processes under saturation.
  returned: success
  type: float
  sample: 19.98
worker_pids:
  description: Number of processes measured (uWSGI master and workers) at the end of the load.
  returned: success
  type: int
  sample: 5
loader:
  description: The load generator used, V(wrk) or V(python).
  returned: success
  type: str
  sample: wrk
duration:
  description: Seconds of saturating load.
  returned: success
  type: int
  sample: 10
concurrency:
  description: Parallel clients of the saturating load.
  returned: success
  type: int
  sample: 64
url:
  description: The URL measured.
  returned: success
  type: str
  sample: http://127.0.0.1/io
measured_at:
  description: When the measurement ended, UTC, ISO 8601.
  returned: success
  type: str
  sample: "2025-01-31T14:05:09Z"
"""

import datetime
import http.client
import os
import re
import shutil
import ssl
import subprocess
import threading
import time
from collections import namedtuple
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule

MIN_REQUESTS = 100
MAX_ERROR_RATE = 0.01
SAMPLE_INTERVAL = 0.5

Stat = namedtuple("Stat", "pid ppid starttime ticks")
Target = namedtuple("Target", "scheme host port path host_header")
WrkResult = namedtuple("WrkResult", "requests seconds requests_per_second non_2xx socket_errors")


class MeasurementError(Exception):
    """The measurement cannot give a trustworthy W/C; the message says why."""


# --- /proc ------------------------------------------------------------------------------------

def parse_stat(text):
    """Stat(pid, ppid, starttime, utime + stime in clock ticks) of a /proc/<pid>/stat line.

    The command name is in parentheses and may itself hold spaces and parentheses: the fields
    after it start after the last ')'. Raises ValueError on anything else."""
    head, sep, tail = text.rpartition(")")
    pid, paren, _comm = head.partition(" (")
    fields = tail.split()
    if not sep or not paren or len(fields) < 20:
        raise ValueError("not a /proc/<pid>/stat line: %r" % text[:80])
    # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22.
    return Stat(int(pid), int(fields[1]), int(fields[19]), int(fields[11]) + int(fields[12]))


def read_stat(pid, proc="/proc"):
    """Stat of a process, or None when it is gone (or unreadable)."""
    try:
        with open(os.path.join(proc, str(pid), "stat")) as handle:
            return parse_stat(handle.read())
    except (OSError, ValueError):
        return None


def ppid_map(proc="/proc"):
    """{pid: ppid} of every process in proc."""
    result = {}
    for entry in os.listdir(proc):
        if entry.isdigit():
            stat = read_stat(entry, proc)
            if stat is not None:
                result[stat.pid] = stat.ppid
    return result


def descendants(root, ppids):
    """root and every process below it, from a {pid: ppid} map."""
    children = {}
    for pid, ppid in ppids.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def snapshot(pids, proc="/proc"):
    """{(pid, starttime): CPU ticks} of the processes still there; starttime tells a reused pid."""
    result = {}
    for pid in pids:
        stat = read_stat(pid, proc)
        if stat is not None:
            result[(stat.pid, stat.starttime)] = stat.ticks
    return result


def cpu_ticks(first, last):
    """CPU ticks spent between two snapshots: a process that is new in `last` counts whole."""
    return sum(max(0, ticks - first.get(key, 0)) for key, ticks in last.items())


class CpuMeter:
    """CPU time of a changing set of processes over a window.

    `pids` is called for the current processes at every sample; a process that ends during the
    window keeps the ticks of its last sample (at most one sample interval is lost)."""

    def __init__(self, pids, proc="/proc", clock_ticks=None):
        self.pids = pids
        self.proc = proc
        self.clock_ticks = clock_ticks or os.sysconf("SC_CLK_TCK")
        self.first = {}
        self.last = {}

    def start(self):
        self.first = snapshot(self.pids(), self.proc)
        if not self.first:
            raise MeasurementError("no process of the app to measure: is the service running?")
        self.last = dict(self.first)

    def sample(self):
        current = snapshot(self.pids(), self.proc)
        self.last.update(current)
        return len(current)

    def ticks(self):
        return cpu_ticks(self.first, self.last)

    def seconds(self):
        return self.ticks() / float(self.clock_ticks)


# --- wrk --------------------------------------------------------------------------------------

TIME_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_wrk(text):
    """WrkResult of wrk 4.x output; raises ValueError when the summary lines are missing."""
    done = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)\b", text, re.M)
    rate = re.search(r"^Requests/sec:\s*([\d.]+)", text, re.M)
    if not done or not rate:
        raise ValueError("no 'requests in' and 'Requests/sec:' lines in the wrk output")
    non_2xx = re.search(r"^\s*Non-2xx or 3xx responses:\s*(\d+)", text, re.M)
    sockets = re.search(r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text, re.M)
    return WrkResult(
        requests=int(done.group(1)),
        seconds=float(done.group(2)) * TIME_UNITS[done.group(3)],
        requests_per_second=float(rate.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def explicit_port(url):
    """The URL with its port spelled out: wrk resolves a missing one through /etc/services,
    which minimal hosts (no netbase package) do not have."""
    scheme, rest = url.split("://", 1)
    netloc, slash, path = rest.partition("/")
    hostpart = netloc.rsplit("@", 1)[-1]
    if re.search(r":\d+$", hostpart) is None:
        netloc += ":443" if scheme == "https" else ":80"
    return "%s://%s%s%s" % (scheme, netloc, slash, path)


def wrk_command(wrk, url, host_header, concurrency, seconds, timeout):
    """argv of one wrk run."""
    argv = [wrk, "-t%d" % min(2, concurrency), "-c%d" % concurrency, "-d%ds" % seconds,
            "--timeout", "%ds" % timeout, "--latency"]
    if host_header:
        argv += ["-H", "Host: " + host_header]
    return argv + [explicit_port(url)]


def _run(argv):
    """(rc, stdout, stderr) of a command; the module passes AnsibleModule.run_command instead."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError as exc:
        return 127, "", str(exc)
    return done.returncode, done.stdout, done.stderr


def run_wrk(argv, meter=None, interval=SAMPLE_INTERVAL, run_command=_run):
    """Run wrk, sampling the meter meanwhile (from a thread); return its parsed output."""
    stop = threading.Event()

    def sample():
        while not stop.wait(interval):
            meter.sample()

    sampler = threading.Thread(target=sample, daemon=True) if meter is not None else None
    if meter is not None:
        meter.start()
        sampler.start()
    try:
        rc, out, err = run_command(argv)
    finally:
        stop.set()
        if sampler is not None:
            sampler.join()
    if meter is not None:
        meter.sample()
    if rc != 0:
        raise MeasurementError("%s failed (rc %d): %s" % (" ".join(argv), rc, (err or out).strip()))
    try:
        return parse_wrk(out)
    except ValueError as exc:
        raise MeasurementError("%s: %s:\n%s" % (" ".join(argv), exc, out))


# --- built-in HTTP client ---------------------------------------------------------------------

def parse_url(url, host_header=None):
    """Target of an http(s) URL; raises ValueError naming the problem."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("url: %r must be an http:// or https:// URL with a host" % url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError("url: %r has a bad port" % url)
    path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, host_header or None)


def connect(target, timeout):
    if target.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(target.host, target.port, timeout=timeout, context=context)
    return http.client.HTTPConnection(target.host, target.port, timeout=timeout)


def fetch(connection, target):
    """Status of one GET on a keep-alive connection (the body is read, so it can be reused)."""
    headers = {"Host": target.host_header} if target.host_header else {}
    connection.request("GET", target.path, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def probe(target, requests, timeout, meter):
    """Send requests one at a time; return (mean latency s, workers' CPU s per request)."""
    connection = connect(target, timeout)
    meter.start()
    spent = 0.0
    try:
        for number in range(1, requests + 1):
            began = time.monotonic()
            try:
                status = fetch(connection, target)
            except (OSError, http.client.HTTPException) as exc:
                raise MeasurementError("probe request %d of %d failed: %s: %s"
                                       % (number, requests, type(exc).__name__, exc))
            spent += time.monotonic() - began
            if not 200 <= status < 300:
                raise MeasurementError("probe request %d of %d answered %d, not 2xx: check the URL and "
                                       "the Host header" % (number, requests, status))
    finally:
        connection.close()
    meter.sample()
    return spent / requests, meter.seconds() / requests


class PythonLoad:
    """`concurrency` threads, each with one keep-alive connection, for `seconds` seconds.

    Only responses that complete inside the window [start, end] count."""

    def __init__(self, target, concurrency, timeout):
        self.target = target
        self.concurrency = concurrency
        self.timeout = timeout
        self.window = [float("inf"), float("inf")]
        self.stop = threading.Event()
        self.counts = []

    def client(self, counts):
        connection = connect(self.target, self.timeout)
        while not self.stop.is_set():
            try:
                status = fetch(connection, self.target)
                ok = 200 <= status < 300
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                self.stop.wait(0.01)            # no busy loop against a refusing server
            now = time.monotonic()
            if self.window[0] <= now <= self.window[1]:
                counts[0 if ok else 1] += 1
        connection.close()

    def run(self, seconds, meter=None, interval=SAMPLE_INTERVAL):
        """Return (2xx responses, errors, seconds of the window)."""
        threads = []
        for _ignored in range(self.concurrency):
            counts = [0, 0]
            self.counts.append(counts)
            thread = threading.Thread(target=self.client, args=(counts,))
            thread.daemon = True
            thread.start()
            threads.append(thread)
        if meter is not None:
            meter.start()
        start = time.monotonic()
        self.window[:] = [start, start + seconds]
        while time.monotonic() < self.window[1]:
            time.sleep(max(0.0, min(interval, self.window[1] - time.monotonic())))
            if meter is not None:
                meter.sample()
        self.stop.set()
        for thread in threads:
            thread.join(self.timeout + 1)
        return sum(c[0] for c in self.counts), sum(c[1] for c in self.counts), seconds


# --- arithmetic -------------------------------------------------------------------------------

def ratio(latency_s, cpu_low_s, cpu_seconds, requests, errors, duration, clock_ticks=100):
    """The W/C figures from the probe (R1, C1) and the saturation (CPU, 2xx, errors).

    Raises MeasurementError when the saturation gives no trustworthy C."""
    total = requests + errors
    if requests < MIN_REQUESTS:
        raise MeasurementError(
            "only %d requests completed in %d s of saturating load (%d failed), at least %d are needed: "
            "check that the app answers, or raise duration" % (requests, duration, errors, MIN_REQUESTS))
    if errors > MAX_ERROR_RATE * total:
        raise MeasurementError(
            "%d of %d requests failed under saturation (more than %g %%): the app or the load generator "
            "is overloaded or misconfigured; lower concurrency or raise timeout"
            % (errors, total, MAX_ERROR_RATE * 100))
    if cpu_seconds <= 0:
        raise MeasurementError(
            "the app's processes used no measurable CPU time in %d s (the kernel counts it in steps of "
            "%g ms): raise duration" % (duration, 1000.0 / clock_ticks))
    compute = cpu_seconds / requests
    wait = max(0.0, latency_s - cpu_low_s)
    return {
        "wait_ratio": round(wait / compute, 2),
        "wait_ms": round(wait * 1000, 3),
        "compute_ms": round(compute * 1000, 3),
        "compute_ms_low_load": round(cpu_low_s * 1000, 3),
        "latency_ms_low_load": round(latency_s * 1000, 3),
        "cpu_seconds": round(cpu_seconds, 2),
    }


# --- the measurement --------------------------------------------------------------------------

def resolve_loader(loader, which=shutil.which):
    """(loader name, wrk path or None) for loader auto, python or wrk."""
    wrk = which("wrk")
    if loader == "wrk" and not wrk:
        raise MeasurementError("loader: wrk is not on the host's PATH (install it, or use loader python or auto)")
    if loader == "python" or not wrk:
        return "python", None
    return "wrk", wrk


def measure(url, pids, host_header=None, duration=10, concurrency=64, probe_requests=50, warmup=2,
            timeout=10, loader="auto", proc="/proc", clock_ticks=None, which=shutil.which,
            run_command=_run):
    """Warm up, probe at low load, saturate; return the module's result (without changed).

    `pids` is called for the pids of the app's processes whenever the CPU time is sampled."""
    target = parse_url(url, host_header)
    loader, wrk = resolve_loader(loader, which)
    clock_ticks = clock_ticks or os.sysconf("SC_CLK_TCK")

    def load(seconds, meter=None):
        if loader == "wrk":
            out = run_wrk(wrk_command(wrk, url, host_header, concurrency, seconds, timeout), meter,
                          run_command=run_command)
            return (out.requests - out.non_2xx, out.non_2xx + out.socket_errors,
                    out.requests_per_second)
        ok, errors, elapsed = PythonLoad(target, concurrency, timeout).run(seconds, meter)
        return ok, errors, ok / float(elapsed)

    if warmup > 0:
        load(warmup)
    latency, cpu_low = probe(target, probe_requests, timeout, CpuMeter(pids, proc, clock_ticks))
    meter = CpuMeter(pids, proc, clock_ticks)
    requests, errors, rate = load(duration, meter)
    workers = meter.sample()
    result = ratio(latency, cpu_low, meter.seconds(), requests, errors, duration, clock_ticks)
    result.update(requests=requests, errors=errors, requests_per_second=round(rate, 1),
                  worker_pids=workers, loader=loader, duration=duration, concurrency=concurrency,
                  url=url)
    return result


def main_pid(module, service):
    """The MainPID of a systemd unit; fails the module when it has none."""
    rc, out, err = module.run_command(["systemctl", "show", "-p", "MainPID", "--value", service])
    if rc != 0:
        module.fail_json(msg="cannot read the MainPID of %s: %s" % (service, (err or out).strip()))
    pid = out.strip()
    if not pid.isdigit() or int(pid) == 0:
        module.fail_json(msg="%s has no MainPID: is the service running? (systemctl status %s)" % (service, service))
    return int(pid)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            host_header=dict(type="str"),
            service=dict(type="str", required=True),
            duration=dict(type="int", default=10),
            concurrency=dict(type="int", default=64),
            probe_requests=dict(type="int", default=50),
            warmup=dict(type="int", default=2),
            timeout=dict(type="int", default=10),
            loader=dict(type="str", choices=["auto", "python", "wrk"], default="auto"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for name, least in (("duration", 1), ("concurrency", 1), ("probe_requests", 1), ("warmup", 0), ("timeout", 1)):
        if params[name] < least:
            module.fail_json(msg="%s: %d must be at least %d" % (name, params[name], least))
    try:
        parse_url(params["url"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))

    root = main_pid(module, params["service"])
    try:
        result = measure(params["url"], lambda: descendants(root, ppid_map()), host_header=params["host_header"],
                         duration=params["duration"], concurrency=params["concurrency"],
                         probe_requests=params["probe_requests"], warmup=params["warmup"],
                         timeout=params["timeout"], loader=params["loader"],
                         run_command=lambda argv: module.run_command(argv, check_rc=False))
    except MeasurementError as exc:
        module.fail_json(msg="%s (%s): %s" % (params["service"], params["url"], exc))
    result["measured_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
