# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Size uWSGI, Celery and nginx workers from a host's vCPUs, memory and workload."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

DOCUMENTATION = r"""
name: worker_counts
author: webstack.django maintainers
version_added: 0.1.0
short_description: Plan uWSGI, Celery and nginx worker counts for a host
description:
  - Turns a host's facts (vCPUs, memory) and a workload hint into a sizing plan for every
    service on the host, with the memory arithmetic that explains it (see docs/worker-counts.md).
  - "Model: the workload is a wait/compute ratio W/C (time a request waits on I/O per unit of CPU
    time). Request slots are C(vCPUs x (1 + W/C)). A CPU-bound app (W/C = 0) gets C(vCPUs + 1)
    single-threaded processes; otherwise up to 2 processes per vCPU share the slots as threads.
    Processes are capped at 64 and threads at 64."
  - Memory caps everything, and at the workers' recycling limits, not their steady size. Every
    uWSGI process at C(reload_on_rss) (at least 1.25, at most 2 times C(worker_rss_mb + threads x
    thread_rss_mb)) must fit in memory minus the OS reserve, the co-located services and Celery,
    whose prefork children are budgeted at C(max_memory_per_child) the same way. Processes are
    dropped first, their slots moving to threads of the remaining processes, rounded down (the
    slots never grow when memory limits).
  - A co-located Celery worker takes half the vCPUs and at most half the remaining memory first.
  - "RabbitMQ on the host (O(colocated)) gets C(vm_memory_high_watermark_mb), half the memory
    kept for it: its garbage collector can briefly need twice the memory in use."
  - O(db_max_connections) caps Celery's concurrency and C(processes x threads), keeping headroom
    for administration.
  - Bad input raises an error that names the field.
positional: profile
options:
  _input:
    description:
      - Ansible facts (C(ansible_facts), or C(hostvars[host]) with C(ansible_) prefixes), read for
        C(processor_vcpus), else C(processor_count x processor_cores x processor_threads_per_core),
        else C(processor_nproc); and C(memtotal_mb), else C(memory_mb.real.total).
      - "Or a plain dict C({vcpus: N, memory_mb: M}), optionally with C(somaxconn)."
    type: dict
    required: true
  profile:
    description:
      - Workload of the web views, mapped to W/C C(cpu=0), C(mixed=1), C(io=9).
      - Ignored for the sizing when O(wait_ratio) is given, but still validated.
    type: str
    default: mixed
    choices: [cpu, mixed, io]
  wait_ratio:
    description:
      - Measured wait/compute ratio W/C of the app under saturating load; wins over O(profile).
    type: float
  worker_rss_mb:
    description: Resident memory of one uWSGI worker process in MB (a measured value wins).
    type: int
    default: 150
  thread_rss_mb:
    description: Extra resident memory per uWSGI thread (and per Celery thread) in MB.
    type: int
    default: 2
  celery:
    description: Whether a Celery worker runs on this host; it is sized first.
    type: bool
    default: false
  web:
    description:
      - Whether uWSGI runs on this host. A host without it (a worker or broker host) gets
        C(uwsgi.enabled=false) and 0 processes; its Celery worker then takes every vCPU and all
        the memory left after the reserve and the co-located services.
    type: bool
    default: true
  celery_profile:
    description: Workload of the Celery tasks, as for O(profile).
    type: str
    default: mixed
    choices: [cpu, mixed, io]
  celery_pool:
    description:
      - Celery execution pool. C(prefork) runs about one child per vCPU share (two for C(io));
        C(threads) sizes threads from the slots; C(gevent) and C(eventlet) run
        C(10 x (1 + W/C)) green threads in one process; C(solo) runs one task at a time.
    type: str
    default: prefork
    choices: [prefork, threads, gevent, eventlet, solo]
  task_rss_mb:
    description: Resident memory of one Celery worker process (prefork child) in MB.
    type: int
    default: 150
  colocated:
    description:
      - Other services on the host whose memory is reserved before sizing, by name
        (C(rabbitmq), C(postgresql), C(mysql), C(mariadb), C(redis), C(memcached)), or a dict
        of name to MB to state the reserve explicitly (null takes the table's value).
      - A list naming C(rabbitmq) on a host with neither uWSGI (O(web)) nor Celery keeps all the
        memory left after the reserve and the other services for RabbitMQ.
      - "Table, a fraction of the host's memory within bounds: rabbitmq 20% in 256..4096 MB,
        postgresql/mysql/mariadb 25% in 256..8192 MB, redis 5% in 64..1024 MB,
        memcached 5% in 64..1024 MB."
    type: raw
    default: []
  reserved_mb:
    description: Memory kept for the OS, uWSGI master and Celery parent; default 10% of memory within 256..2048 MB.
    type: int
  db_max_connections:
    description:
      - The database connections this host may use (its share of the server's
        C(max_connections) in a fleet). Caps C(processes x threads) after keeping the
        larger of 3 and 10% for administration and one per Celery concurrency slot.
    type: int
  somaxconn:
    description:
      - The host's C(net.core.somaxconn); uWSGI C(listen) never exceeds it. Default the
        input's C(somaxconn) key, else 4096 (the Linux default since 5.4).
    type: int
  cpu_quota:
    description: vCPUs allowed by a cgroup CPU quota; used when lower than the host's vCPUs (rounded up).
    type: float
  overrides:
    description:
      - "Explicit values that win over the computed ones, by section C(uwsgi), C(celery), C(nginx),
        C(rabbitmq) and output key, for example C(overrides={'uwsgi': {'processes': 7}}). Values derived
        from an overridden one (threads, listen, cheaper, reload_on_rss, the budget) follow it."
      - Overridden uWSGI processes or threads are not capped by memory or the database; the
        budget then reports C(limited_by=override) and a negative C(spare_mb) if they do not fit.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Plan the workers of this host
  ansible.builtin.set_fact:
    webstack_plan: "{{ ansible_facts | webstack.django.worker_counts(profile='io') }}"

- name: Plan a small host that also runs RabbitMQ and Celery
  ansible.builtin.set_fact:
    webstack_plan: >-
      {{ ansible_facts | webstack.django.worker_counts(celery=true, colocated=['rabbitmq']) }}

- name: Use a measured wait/compute ratio and a database connection limit
  ansible.builtin.debug:
    msg: >-
      {{ {'vcpus': 2, 'memory_mb': 4096}
         | webstack.django.worker_counts(wait_ratio=75, db_max_connections=200) }}
    # uwsgi.processes=4, uwsgi.threads=38

- name: Pin the uWSGI process count
  ansible.builtin.set_fact:
    webstack_plan: "{{ ansible_facts | webstack.django.worker_counts(overrides={'uwsgi': {'processes': 7}}) }}"
"""

RETURN = r"""
_value:
  description: The plan, one section per service and the budget that explains it.
  type: dict
  contains:
    uwsgi:
      description:
        - C(processes), C(threads), C(enable_threads) (always true), C(thunder_lock) (true with
          more than one single-threaded process), C(listen) (at most somaxconn), C(harakiri) (30 s),
          C(max_requests) (5000), C(max_requests_delta), C(max_worker_lifetime) (3600 s),
          C(max_worker_lifetime_delta), C(reload_on_rss) (MB, twice a worker's steady size, or
          less when memory is short, never below 1.25 times), C(enabled) (false with O(web=false),
          then every value but C(processes=0), C(threads=0) and C(harakiri) is null).
        - Cheaper settings C(cheaper), C(cheaper_algo), C(cheaper_initial), C(cheaper_step) are
          always present; from 8 processes on C(cheaper_algo=busyness) and C(cheaper) is a quarter
          of the processes, below that C(cheaper=0) and the other three are null.
      type: dict
    celery:
      description:
        - C(enabled), C(concurrency), C(pool), C(prefetch_multiplier) (1 for cpu tasks, else 4),
          C(max_tasks_per_child) (1000) and C(max_memory_per_child) (KiB, twice C(task_rss_mb), or
          less when memory is short, never below 1.25 times).
        - The last two only apply to C(prefork) and are null for other pools.
        - When O(celery) is false, C(enabled=false), C(concurrency=0), C(pool) is O(celery_pool)
          and the other values are null.
      type: dict
    nginx:
      description:
        - C(worker_processes) (vCPUs, at most 16), C(worker_connections) (1024 below 2 GB of
          memory, 2048 below 8 GB, else 4096), C(worker_rlimit_nofile) (twice the connections),
          C(uwsgi_read_timeout) (harakiri + 5 s).
      type: dict
    rabbitmq:
      description:
        - C(reserve_mb), the memory kept for RabbitMQ (null when it is not on the host), and
          C(vm_memory_high_watermark_mb), half of it (or the override).
      type: dict
    budget:
      description:
        - "The arithmetic: C(total_mb), C(reserved_mb), C(colocated) ({name: MB}), C(celery_mb),
          C(available_for_uwsgi_mb), C(per_process_mb) (steady), C(uwsgi_mb) (every process at
          C(reload_on_rss)), C(uwsgi_steady_mb), C(spare_mb), C(limited_by)
          (C(cpu), C(max_processes), C(max_threads), C(memory), C(db_max_connections) or
          C(override)), C(celery_limited_by), C(vcpus), C(vcpus_source), C(uwsgi_vcpus),
          C(celery_vcpus), C(profile), C(wait_ratio), C(celery_wait_ratio), C(slots),
          C(db_connections), C(db_connections_allowed), C(db_max_connections), C(somaxconn)."
      type: dict
"""

# Wait/compute ratio W/C assumed for each workload profile.
PROFILES = {"cpu": 0, "mixed": 1, "io": 9}
CELERY_POOLS = ("prefork", "threads", "gevent", "eventlet", "solo")
GREEN_POOLS = ("gevent", "eventlet")

MAX_PROCESSES = 64          # uWSGI processes on any host
MAX_THREADS = 64            # uWSGI threads per process, Celery threads
MAX_CELERY_PROCESSES = 64   # Celery prefork children
GREEN_PER_SLOT = 10         # green threads per (1 + W/C)
GREENLET_RSS_MB = 0.5       # memory of one green thread

RESERVE_FRACTION = 0.10     # default OS reserve: this fraction of memory,
RESERVE_MIN_MB = 256        # at least this much
RESERVE_MAX_MB = 2048       # and at most this much
# Memory reserved for a co-located service: (fraction of memory, minimum MB, maximum MB).
COLOCATED = {
    "rabbitmq": (0.20, 256, 4096),
    "postgresql": (0.25, 256, 8192),
    "mysql": (0.25, 256, 8192),
    "mariadb": (0.25, 256, 8192),
    "redis": (0.05, 64, 1024),
    "memcached": (0.05, 64, 1024),
}
CELERY_CPU_SHARE = 0.5      # of the vCPUs, when Celery shares the host
CELERY_MEMORY_SHARE = 0.5   # at most, of the memory left after reserve and co-located services
DB_HEADROOM_MIN = 3         # database connections kept for administration, at least
DB_HEADROOM_FRACTION = 0.10  # or this fraction of db_max_connections
# RabbitMQ blocks publishers at its memory watermark, but its garbage collector can briefly need
# twice the memory in use: the watermark is half the memory the plan keeps for it.
RABBITMQ_WATERMARK_SHARE = 0.5

DEFAULT_SOMAXCONN = 4096    # net.core.somaxconn assumed when not given (Linux >= 5.4)
LISTEN_MIN = 1024           # uWSGI listen backlog, at least
LISTEN_PER_SLOT = 4         # or this many per request slot (processes x threads)
HARAKIRI = 30               # seconds before uWSGI kills a stuck request
READ_TIMEOUT_MARGIN = 5     # nginx uwsgi_read_timeout = harakiri + this
MAX_REQUESTS = 5000         # requests before a worker is recycled
MAX_WORKER_LIFETIME = 3600  # seconds before a worker is recycled
RELOAD_FACTOR = 2           # recycle a worker at this multiple of its steady memory, when it fits
RELOAD_MIN_FACTOR = 1.25    # the room to grow each worker is budgeted at least (its recycling limit)
CHEAPER_FROM = 8            # processes from which the cheaper subsystem is on
MAX_TASKS_PER_CHILD = 1000  # Celery prefork child recycling
NGINX_MAX_WORKERS = 16      # nginx worker_processes, at most
NGINX_CONNECTIONS = ((2048, 1024), (8192, 2048))  # (memory below MB, worker_connections)
NGINX_MAX_CONNECTIONS = 4096  # from 8 GB of memory

OVERRIDE_KEYS = {
    "uwsgi": ("processes", "threads", "enable_threads", "thunder_lock", "listen", "harakiri",
              "max_requests", "max_requests_delta", "max_worker_lifetime",
              "max_worker_lifetime_delta", "reload_on_rss", "cheaper", "cheaper_algo",
              "cheaper_initial", "cheaper_step"),
    "celery": ("concurrency", "pool", "prefetch_multiplier", "max_tasks_per_child",
               "max_memory_per_child"),
    "nginx": ("worker_processes", "worker_connections", "worker_rlimit_nofile",
              "uwsgi_read_timeout"),
    "rabbitmq": ("vm_memory_high_watermark_mb",),
}

# The overrides that are switches.
BOOL_OVERRIDES = ("enable_threads", "thunder_lock")


def _fail(field, msg):
    """Raise the filter error, naming the field."""
    raise AnsibleFilterError(f"worker_counts: {field}: {msg}")


def _number(field, value, minimum=None, positive=False, integer=False):
    """Return value as an int or float, checking its range; raise naming the field."""
    if isinstance(value, bool) or value is None:
        _fail(field, f"{value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        _fail(field, f"{value!r} is not a number")
    if math.isnan(number) or math.isinf(number):
        _fail(field, f"{value!r} is not a finite number")
    if positive and number <= 0:
        _fail(field, f"{value!r} must be greater than 0")
    if minimum is not None and number < minimum:
        _fail(field, f"{value!r} must be at least {minimum}")
    if integer:
        if number != int(number):
            _fail(field, f"{value!r} must be a whole number")
        return int(number)
    return int(number) if number == int(number) else number


def _lookup(data, key):
    """Return data[key], data['ansible_' + key] or data['ansible_facts'][key], else None."""
    for name in (key, "ansible_" + key):
        if data.get(name) is not None:
            return data[name]
    facts = data.get("ansible_facts")
    return facts.get(key) if isinstance(facts, Mapping) else None


def host_resources(data):
    """Return (vcpus, vcpus_source, memory_mb, somaxconn) from facts or a plain dict."""
    if not isinstance(data, Mapping):
        _fail("_input", f"must be a dict of facts or {{vcpus, memory_mb}}, got {type(data).__name__}")

    vcpus = source = None
    for key in ("vcpus", "processor_vcpus"):
        if _lookup(data, key) is not None:
            vcpus, source = _number(key, _lookup(data, key), positive=True), key
            break
    else:
        parts = [_lookup(data, k) for k in ("processor_count", "processor_cores", "processor_threads_per_core")]
        if all(p is not None for p in parts):
            source = "processor_count*processor_cores*processor_threads_per_core"
            vcpus = 1
            for part in parts:
                vcpus *= _number(source, part, positive=True)
        elif _lookup(data, "processor_nproc") is not None:
            source = "processor_nproc"
            vcpus = _number(source, _lookup(data, source), positive=True)
    if vcpus is None:
        _fail("vcpus", "not found in the input (vcpus, processor_vcpus, processor_count/cores/threads_per_core "
                       "or processor_nproc); gather the hardware facts")

    memory = _lookup(data, "memory_mb")
    field = "memory_mb"
    if isinstance(memory, Mapping):
        memory, field = (memory.get("real") or {}).get("total"), "memory_mb.real.total"
    if _lookup(data, "memtotal_mb") is not None:
        memory, field = _lookup(data, "memtotal_mb"), "memtotal_mb"
    if memory is None:
        _fail("memory_mb", "not found in the input (memory_mb, memtotal_mb or memory_mb.real.total); "
                           "gather the hardware facts")
    memory = int(_number(field, memory, positive=True))

    somaxconn = _lookup(data, "somaxconn")
    return vcpus, source, memory, somaxconn


def _reserve(memory_mb, fraction, low, high):
    """Return fraction of memory_mb in MB, bounded to low..high."""
    return int(min(high, max(low, round(memory_mb * fraction))))


def _colocated(memory_mb, colocated):
    """Return {service: reserved MB} for the co-located services."""
    if colocated is None:
        return {}
    if isinstance(colocated, str):
        colocated = [colocated]
    if isinstance(colocated, Mapping):
        items = list(colocated.items())
    elif isinstance(colocated, (list, tuple)):
        items = [(name, None) for name in colocated]
    else:
        _fail("colocated", f"must be a list of service names or a dict of name to MB, got {type(colocated).__name__}")
    result = {}
    for name, mb in items:
        if name not in COLOCATED:
            _fail("colocated", f"unknown service {name!r}; known: {', '.join(sorted(COLOCATED))} "
                               "(Celery is sized with celery=true)")
        if mb is None:
            mb = _reserve(memory_mb, *COLOCATED[name])
        result[str(name)] = int(_number(f"colocated.{name}", mb, minimum=0))
    return result


def _overrides(overrides):
    """Validate the overrides; return {section: {key: value}} for every section."""
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        _fail("overrides", f"must be a dict of sections ({', '.join(OVERRIDE_KEYS)}), got {type(overrides).__name__}")
    result = {section: {} for section in OVERRIDE_KEYS}
    for section, values in overrides.items():
        if section not in OVERRIDE_KEYS:
            _fail(f"overrides.{section}", f"unknown section; allowed: {', '.join(OVERRIDE_KEYS)}")
        if values is None:
            continue
        if not isinstance(values, Mapping):
            _fail(f"overrides.{section}", "must be a dict")
        for key, value in values.items():
            if key not in OVERRIDE_KEYS[section]:
                _fail(f"overrides.{section}.{key}", f"unknown key; allowed: {', '.join(OVERRIDE_KEYS[section])}")
            if key in BOOL_OVERRIDES and value is not None:
                # "false" (a string from the command line) is false, as in a type: bool argument spec.
                try:
                    value = boolean(value, strict=True)
                except TypeError:
                    _fail(f"overrides.{section}.{key}", f"{value!r} is not a boolean")
            result[section][key] = value
    return result


def _celery_concurrency(pool, vcpus, wait_ratio, profile):
    """Return the Celery concurrency its pool and CPU share call for."""
    if pool == "solo":
        return 1
    if pool in GREEN_POOLS:
        return math.ceil(GREEN_PER_SLOT * (1 + wait_ratio))
    if pool == "threads":
        return min(MAX_THREADS, max(1, math.ceil(vcpus * (1 + wait_ratio))))
    per_vcpu = 2 if profile == "io" else 1
    return min(MAX_CELERY_PROCESSES, max(1, math.ceil(vcpus * per_vcpu)))


def _celery_mb(pool, concurrency, task_rss_mb, thread_rss_mb):
    """Return the memory a Celery worker of this pool and concurrency needs."""
    if pool == "prefork":
        return concurrency * task_rss_mb
    if pool == "threads":
        return task_rss_mb + concurrency * thread_rss_mb
    if pool in GREEN_POOLS:
        return task_rss_mb + math.ceil(concurrency * GREENLET_RSS_MB)
    return task_rss_mb


def _size_celery(pool, vcpus, profile, cap_mb, task_rss_mb, thread_rss_mb, override, db_cap=None):
    """Return (concurrency, memory MB, child limit MB, limited_by) of the Celery worker within cap_mb.

    A prefork child is budgeted at its recycling limit (max_memory_per_child): at least
    RELOAD_MIN_FACTOR x task_rss_mb, up to RELOAD_FACTOR x when memory allows, so that every child
    at its limit still fits in cap_mb."""
    prefork = pool == "prefork"
    least_mb = math.ceil(RELOAD_MIN_FACTOR * task_rss_mb)

    def need(concurrency):
        return concurrency * least_mb if prefork else _celery_mb(pool, concurrency, task_rss_mb, thread_rss_mb)

    if "concurrency" in override:
        concurrency = _number("overrides.celery.concurrency", override["concurrency"], minimum=1, integer=True)
        child_mb = RELOAD_FACTOR * task_rss_mb if prefork else None
        return (concurrency, concurrency * child_mb if prefork else need(concurrency), child_mb,
                "override")
    concurrency = _celery_concurrency(pool, vcpus, PROFILES[profile], profile)
    limited_by = "cpu"
    if db_cap is not None and concurrency > db_cap:
        concurrency, limited_by = max(1, db_cap), "db_max_connections"
    while concurrency > 1 and need(concurrency) > cap_mb:
        concurrency -= 1
        limited_by = "memory"
    if not prefork:
        return concurrency, need(concurrency), None, limited_by
    child_mb = int(max(least_mb, min(RELOAD_FACTOR * task_rss_mb, cap_mb // concurrency)))
    return concurrency, concurrency * child_mb, child_mb, limited_by


def _threads_for(processes, slots, wait_ratio, most=None):
    """Return the threads per process that serve the slots (1 for a CPU-bound app).

    With `most` (the CPU plan's processes x threads) the threads never give more slots than that:
    processes dropped for memory hand their slots to the others, rounded down."""
    if wait_ratio == 0:
        return 1
    threads = min(MAX_THREADS, max(1, math.ceil(slots / processes)))
    return threads if most is None else max(1, min(threads, most // processes))


def _size_uwsgi(vcpus, wait_ratio, available_mb, worker_rss_mb, thread_rss_mb, db_allowed, override):
    """Return (processes, threads, slots, limited_by) for uWSGI."""
    slots = max(1, math.ceil(vcpus * (1 + wait_ratio)))
    wanted = max(math.ceil(vcpus) + 1, min(slots, math.ceil(2 * vcpus)))
    processes = min(wanted, MAX_PROCESSES)
    limited_by = "cpu" if processes == wanted else "max_processes"
    threads = _threads_for(processes, slots, wait_ratio)
    if threads == MAX_THREADS and math.ceil(slots / processes) > MAX_THREADS:
        limited_by = "max_threads"

    if "processes" in override or "threads" in override:
        if "processes" in override:
            processes = _number("overrides.uwsgi.processes", override["processes"], minimum=1, integer=True)
        threads = _threads_for(processes, slots, wait_ratio)
        if "threads" in override:
            threads = _number("overrides.uwsgi.threads", override["threads"], minimum=1, integer=True)
        return processes, threads, slots, "override"

    # Each process must fit at its recycling limit (reload_on_rss), not only at its steady size.
    def fits(p, t):
        return p * math.ceil(RELOAD_MIN_FACTOR * (worker_rss_mb + t * thread_rss_mb)) <= available_mb

    if not fits(processes, threads):
        limited_by = "memory"
        most = processes * threads
        while processes > 1 and not fits(processes, threads):
            processes -= 1
            threads = _threads_for(processes, slots, wait_ratio, most)
        if not fits(processes, threads):
            threads = max(1, int((available_mb / RELOAD_MIN_FACTOR - worker_rss_mb) // thread_rss_mb))

    if db_allowed is not None and processes * threads > db_allowed:
        limited_by = "db_max_connections"
        if processes > db_allowed:
            processes, threads = db_allowed, 1
        else:
            threads = db_allowed // processes
    return processes, threads, slots, limited_by


def _uwsgi_settings(processes, threads, reload_mb, somaxconn, override):
    """Return the uWSGI section for the sized processes and threads, overrides applied.

    thunder_lock serialises accept() between single-threaded processes only: threads waiting
    on that lock cannot be cancelled, so a graceful (chain) reload of an idle multi-threaded
    worker would wait for traffic."""
    cheaper = processes // 4 if processes >= CHEAPER_FROM else 0
    settings = {
        "enabled": True,
        "processes": processes,
        "threads": threads,
        "enable_threads": True,
        "thunder_lock": processes > 1 and threads == 1,
        "listen": min(somaxconn, max(LISTEN_MIN, LISTEN_PER_SLOT * processes * threads)),
        "harakiri": HARAKIRI,
        "max_requests": MAX_REQUESTS,
        "max_requests_delta": max(1, math.ceil(MAX_REQUESTS / (2 * processes))),
        "max_worker_lifetime": MAX_WORKER_LIFETIME,
        "max_worker_lifetime_delta": max(1, math.ceil(MAX_WORKER_LIFETIME / (2 * processes))),
        "reload_on_rss": reload_mb,
        "cheaper": cheaper,
        "cheaper_algo": "busyness" if cheaper else None,
        "cheaper_initial": max(cheaper, processes // 2) if cheaper else None,
        "cheaper_step": max(1, processes // 8) if cheaper else None,
    }
    settings.update(override)
    listen = _number("overrides.uwsgi.listen", settings["listen"], minimum=1, integer=True)
    if listen > somaxconn:
        _fail("overrides.uwsgi.listen", f"{listen} is above somaxconn {somaxconn}; uWSGI would refuse to start")
    cheaper = settings["cheaper"]
    if cheaper and _number("overrides.uwsgi.cheaper", cheaper, minimum=0, integer=True) >= processes:
        _fail("overrides.uwsgi.cheaper", f"{cheaper} must be below processes ({processes})")
    return settings


def _nginx_settings(vcpus, memory_mb, harakiri, override):
    """Return the nginx section, overrides applied."""
    connections = NGINX_MAX_CONNECTIONS
    for below, value in NGINX_CONNECTIONS:
        if memory_mb < below:
            connections = value
            break
    settings = {
        "worker_processes": min(NGINX_MAX_WORKERS, max(1, math.ceil(vcpus))),
        "worker_connections": connections,
    }
    settings.update({k: v for k, v in override.items() if k in settings})
    connections = _number("overrides.nginx.worker_connections", settings["worker_connections"],
                          minimum=1, integer=True)
    settings["worker_rlimit_nofile"] = override.get("worker_rlimit_nofile", 2 * connections)
    harakiri = _number("overrides.uwsgi.harakiri", harakiri, minimum=1)
    timeout = override.get("uwsgi_read_timeout", harakiri + READ_TIMEOUT_MARGIN)
    if _number("overrides.nginx.uwsgi_read_timeout", timeout, positive=True) < harakiri:
        _fail("overrides.nginx.uwsgi_read_timeout", f"{timeout} is below uWSGI harakiri ({harakiri})")
    settings["uwsgi_read_timeout"] = timeout
    return settings


def _disabled_uwsgi(harakiri):
    """Return the uWSGI section of a host that runs no uWSGI (only the harakiri nginx reads)."""
    section = dict.fromkeys(OVERRIDE_KEYS["uwsgi"])
    section.update(enabled=False, processes=0, threads=0, harakiri=harakiri)
    return section


def plan_workers(vcpus, memory_mb, profile="mixed", wait_ratio=None, worker_rss_mb=150,
                 thread_rss_mb=2, celery=False, celery_profile="mixed", celery_pool="prefork",
                 task_rss_mb=150, colocated=None, reserved_mb=None, db_max_connections=None,
                 somaxconn=None, cpu_quota=None, overrides=None, vcpus_source="vcpus", web=True):
    """Return the worker plan for a host with these vCPUs and memory (MB)."""
    host_vcpus = _number("vcpus", vcpus, positive=True)
    memory_mb = int(_number("memory_mb", memory_mb, positive=True))
    if profile not in PROFILES:
        _fail("profile", f"{profile!r} is not one of {', '.join(PROFILES)}")
    if celery_profile not in PROFILES:
        _fail("celery_profile", f"{celery_profile!r} is not one of {', '.join(PROFILES)}")
    ratio = PROFILES[profile] if wait_ratio is None else _number("wait_ratio", wait_ratio, minimum=0)
    worker_rss_mb = _number("worker_rss_mb", worker_rss_mb, positive=True)
    thread_rss_mb = _number("thread_rss_mb", thread_rss_mb, positive=True)
    task_rss_mb = _number("task_rss_mb", task_rss_mb, positive=True)
    flags = {}
    for name, value in (("celery", celery), ("web", web)):
        try:
            flags[name] = boolean(value, strict=True)
        except TypeError:
            _fail(name, f"{value!r} is not a boolean")
    celery, web = flags["celery"], flags["web"]
    over = _overrides(overrides)
    celery_pool = over["celery"].get("pool", celery_pool)
    if celery_pool not in CELERY_POOLS:
        _fail("celery_pool", f"{celery_pool!r} is not one of {', '.join(CELERY_POOLS)}")
    somaxconn = DEFAULT_SOMAXCONN if somaxconn is None else _number("somaxconn", somaxconn, positive=True, integer=True)

    vcpus = host_vcpus
    if cpu_quota is not None:
        quota = math.ceil(_number("cpu_quota", cpu_quota, positive=True))
        if quota < host_vcpus:
            vcpus, vcpus_source = quota, "cpu_quota"

    if reserved_mb is None:
        reserved_mb = _reserve(memory_mb, RESERVE_FRACTION, RESERVE_MIN_MB, RESERVE_MAX_MB)
    reserved_mb = int(_number("reserved_mb", reserved_mb, minimum=0))
    services = _colocated(memory_mb, colocated)
    if "rabbitmq" in services and not web and not celery and not isinstance(colocated, Mapping):
        # A broker host without uWSGI or Celery keeps the rest of its memory for RabbitMQ.
        services["rabbitmq"] = max(0, memory_mb - reserved_mb - sum(v for k, v in services.items() if k != "rabbitmq"))
    left_mb = memory_mb - reserved_mb - sum(services.values())
    one_worker_mb = math.ceil(RELOAD_MIN_FACTOR * (worker_rss_mb + thread_rss_mb))
    if web and left_mb < one_worker_mb:
        _fail("memory_mb", f"{memory_mb} MB leaves {left_mb} MB after the OS reserve ({reserved_mb} MB) and "
                           f"co-located services {services}; one uWSGI worker needs {one_worker_mb} MB "
                           f"(its recycling limit)")

    db_max = headroom = None
    if db_max_connections is not None:
        db_max = _number("db_max_connections", db_max_connections, positive=True, integer=True)
        headroom = max(DB_HEADROOM_MIN, math.ceil(db_max * DB_HEADROOM_FRACTION))
        if db_max - headroom - (1 if web else 0) < (1 if celery else 0):
            _fail("db_max_connections", f"{db_max} leaves no connection for "
                                        f"{'uWSGI' if web else 'Celery'} after {headroom} for administration")

    celery_vcpus = (vcpus * CELERY_CPU_SHARE if web else vcpus) if celery else 0
    uwsgi_vcpus = vcpus - celery_vcpus if web else 0
    celery_mb, concurrency, child_mb, celery_limited_by = 0, 0, None, None
    if celery:
        cap_mb = left_mb * CELERY_MEMORY_SHARE if web else left_mb
        db_cap = None if db_max is None else db_max - headroom - (1 if web else 0)
        concurrency, celery_mb, child_mb, celery_limited_by = _size_celery(
            celery_pool, celery_vcpus, celery_profile, cap_mb, task_rss_mb, thread_rss_mb, over["celery"], db_cap)
        # An overridden concurrency is not capped: the budget shows what it leaves (spare_mb).
        if web and celery_limited_by != "override" and left_mb - celery_mb < one_worker_mb:
            _fail("memory_mb", f"{memory_mb} MB leaves {left_mb - celery_mb} MB after the OS reserve, "
                               f"co-located services and Celery ({celery_mb} MB); one uWSGI worker needs "
                               f"{one_worker_mb} MB (its recycling limit)")
    available_mb = left_mb - celery_mb
    db_allowed = None if db_max is None else db_max - headroom - concurrency

    harakiri = over["uwsgi"].get("harakiri", HARAKIRI)
    if web:
        processes, threads, slots, limited_by = _size_uwsgi(
            uwsgi_vcpus, ratio, available_mb, worker_rss_mb, thread_rss_mb, db_allowed, over["uwsgi"])
        per_process_mb = worker_rss_mb + threads * thread_rss_mb
        reload_mb = RELOAD_FACTOR * per_process_mb
        if limited_by != "override":
            reload_mb = int(max(math.ceil(RELOAD_MIN_FACTOR * per_process_mb),
                                min(reload_mb, available_mb // processes)))
        uwsgi = _uwsgi_settings(processes, threads, reload_mb, somaxconn, over["uwsgi"])
        reload_mb = _number("overrides.uwsgi.reload_on_rss", uwsgi["reload_on_rss"], minimum=1)
        uwsgi_mb = processes * reload_mb
        harakiri = uwsgi["harakiri"]
    else:
        processes = threads = slots = per_process_mb = uwsgi_mb = 0
        limited_by = None
        uwsgi = _disabled_uwsgi(harakiri)

    celery_section = {"enabled": celery, "concurrency": concurrency, "pool": celery_pool,
                      "prefetch_multiplier": None, "max_tasks_per_child": None, "max_memory_per_child": None}
    if celery:
        prefork = celery_pool == "prefork"
        celery_section.update({
            "prefetch_multiplier": 1 if celery_profile == "cpu" else 4,
            "max_tasks_per_child": MAX_TASKS_PER_CHILD if prefork else None,
            "max_memory_per_child": int(child_mb * 1024) if prefork else None,
        })
        celery_section.update({k: v for k, v in over["celery"].items() if k != "concurrency"})

    rabbitmq_mb = services.get("rabbitmq")
    rabbitmq = {
        "reserve_mb": rabbitmq_mb,
        "vm_memory_high_watermark_mb": (None if rabbitmq_mb is None
                                        else int(rabbitmq_mb * RABBITMQ_WATERMARK_SHARE)),
    }
    if "vm_memory_high_watermark_mb" in over["rabbitmq"]:
        rabbitmq["vm_memory_high_watermark_mb"] = _number(
            "overrides.rabbitmq.vm_memory_high_watermark_mb", over["rabbitmq"]["vm_memory_high_watermark_mb"],
            minimum=64, integer=True)

    budget = {
        "total_mb": memory_mb,
        "reserved_mb": reserved_mb,
        "colocated": services,
        "celery_mb": celery_mb,
        "available_for_uwsgi_mb": available_mb if web else 0,
        "per_process_mb": per_process_mb,
        "uwsgi_mb": uwsgi_mb,
        "uwsgi_steady_mb": processes * per_process_mb,
        "spare_mb": available_mb - uwsgi_mb,
        "limited_by": limited_by,
        "celery_limited_by": celery_limited_by,
        "vcpus": vcpus,
        "host_vcpus": host_vcpus,
        "vcpus_source": vcpus_source,
        "uwsgi_vcpus": _number("uwsgi_vcpus", uwsgi_vcpus),
        "celery_vcpus": _number("celery_vcpus", celery_vcpus),
        "profile": profile if wait_ratio is None else "measured",
        "wait_ratio": ratio,
        "celery_wait_ratio": PROFILES[celery_profile] if celery else None,
        "slots": slots,
        "db_connections": processes * threads + concurrency,
        "db_connections_allowed": db_allowed,
        "db_max_connections": db_max,
        "somaxconn": somaxconn,
    }
    return {
        "uwsgi": uwsgi,
        "celery": celery_section,
        "nginx": _nginx_settings(vcpus, memory_mb, harakiri, over["nginx"]),
        "rabbitmq": rabbitmq,
        "budget": budget,
    }


def worker_counts(facts, profile="mixed", wait_ratio=None, worker_rss_mb=150, thread_rss_mb=2,
                  celery=False, celery_profile="mixed", celery_pool="prefork", task_rss_mb=150,
                  colocated=None, reserved_mb=None, db_max_connections=None, somaxconn=None,
                  cpu_quota=None, overrides=None, web=True):
    """Return the worker plan for the host these facts describe (the filter)."""
    vcpus, source, memory_mb, facts_somaxconn = host_resources(facts)
    return plan_workers(
        vcpus, memory_mb, profile=profile, wait_ratio=wait_ratio, worker_rss_mb=worker_rss_mb,
        thread_rss_mb=thread_rss_mb, celery=celery, celery_profile=celery_profile,
        celery_pool=celery_pool, task_rss_mb=task_rss_mb, colocated=colocated,
        reserved_mb=reserved_mb, db_max_connections=db_max_connections,
        somaxconn=somaxconn if somaxconn is not None else facts_somaxconn,
        cpu_quota=cpu_quota, overrides=overrides, vcpus_source=source, web=web)


class FilterModule:
    """Filters of webstack.django for worker sizing."""

    def filters(self):
        """Map the filter names to their functions."""
        return {"worker_counts": worker_counts}
