"""The sandbox of the worker and beat units is in effect: systemd's view, the processes' and the exposure.

That the app still works inside it (tasks through RabbitMQ writing SQLite rows in shared/state,
beat's schedule there too) is test_celery.py's business.
"""

import re

import pytest

WORKER = "celery-demo-worker.service"
BEAT = "celery-demo-beat.service"

# roles/celery/templates/etc/systemd/system/sandbox.j2
EXPECTED = {
    "User": "demo",
    "ProtectSystem": "strict",
    "ReadWritePaths": "-/srv/demo/shared/state -/srv/demo/shared/media",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "NoNewPrivileges": "yes",
    "CapabilityBoundingSet": "",
    "UMask": "0027",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "ProtectClock": "yes",
    "ProtectHostname": "yes",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes",
    "RemoveIPC": "yes",
    "MemoryDenyWriteExecute": "no",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "SystemCallArchitectures": "native",
    "SystemCallErrorNumber": "1",  # EPERM
}


def show(host, unit, props):
    args = " ".join(f"-p {p}" for p in props)
    out = host.check_output(f"systemctl show {unit} {args}")
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def main_pid(host, unit):
    return int(host.check_output(f"systemctl show -p MainPID --value {unit}"))


def mount_of(host, pid, path):
    """The options of the mount that holds `path` as process `pid` sees it (its mountinfo)."""
    found = None
    for line in host.file(f"/proc/{pid}/mountinfo").content_string.splitlines():
        fields = line.split()
        point, options = fields[4].replace("\\040", " "), fields[5].split(",")
        # The deepest mount point above the path; of equal ones the last, which lies on top.
        if path == point or path.startswith(point.rstrip("/") + "/"):
            if found is None or len(point) >= len(found[0]):
                found = (point, options)
    return found[1]


@pytest.mark.parametrize("unit", [WORKER, BEAT])
def test_unit_has_the_sandbox(host, unit):
    assert show(host, unit, EXPECTED) == EXPECTED


@pytest.mark.parametrize("unit", [WORKER, BEAT])
def test_unit_filters_system_calls(host, unit):
    calls = show(host, unit, ["SystemCallFilter"])["SystemCallFilter"].split()
    assert "openat" in calls and "socket" in calls
    assert not {"mount", "reboot", "init_module", "kexec_load", "swapon"} & set(calls)


@pytest.mark.parametrize("unit", [WORKER, BEAT])
def test_exposure_is_ok(host, unit):
    out = host.check_output(f"systemd-analyze security --no-pager {unit}")
    level = float(re.search(r"Overall exposure level for \S+: (\d+\.\d)", out).group(1))
    assert level <= 3.0, out


def test_every_worker_process_has_no_capability_and_a_seccomp_filter(host):
    main = main_pid(host, WORKER)
    pids = [main] + [p.pid for p in host.process.filter(ppid=main)]
    assert len(pids) > 1, "no pool process"
    for pid in pids:
        status = host.file(f"/proc/{pid}/status").content_string
        fields = dict(re.findall(r"^(\w+):\s*(.*)$", status, re.M))
        assert fields["NoNewPrivs"] == "1", pid
        assert fields["Seccomp"] == "2", pid
        assert int(fields["CapBnd"], 16) == 0 and int(fields["CapEff"], 16) == 0, pid


@pytest.mark.parametrize("unit", [WORKER, BEAT])
def test_only_the_state_directory_is_writable(host, unit):
    pid = main_pid(host, unit)
    # SQLite and the beat schedule are there (test_celery.py writes rows through the worker).
    assert "rw" in mount_of(host, pid, "/srv/demo/shared/state/db.sqlite3")
    # The release, its venv, the environment file, the settings overlay, /etc and /run are not.
    release = host.check_output("readlink -f /srv/demo/current")
    for path in (release, release + "/venv", "/srv/demo/shared/app.env", "/srv/demo/shared/config",
                 "/etc", "/run/lock", "/var/lib"):
        assert "ro" in mount_of(host, pid, path), path
