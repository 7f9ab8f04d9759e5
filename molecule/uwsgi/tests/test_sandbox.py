"""The sandbox of the uwsgi role's units is in effect: systemd's view, the processes' and the exposure."""

import re

import pytest

APP = "uwsgi-hello.service"
MEASURE = "webstack-uwsgi-measure.service"

# What every unit of the role has (roles/uwsgi/templates/etc/systemd/system/sandbox.j2).
COMMON = {
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "NoNewPrivileges": "yes",
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
    "SystemCallArchitectures": "native",
    "SystemCallErrorNumber": "1",  # EPERM
}
EXPECTED = {
    APP: dict(COMMON, **{
        "User": "hello",
        "CapabilityBoundingSet": "",
        "UMask": "0027",
        "RemoveIPC": "yes",
        "MemoryDenyWriteExecute": "no",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "PrivateNetwork": "no",
        "ReadWritePaths": "-/srv/hello/shared/state -/srv/hello/shared/media",
    }),
    MEASURE: dict(COMMON, **{
        "User": "",
        "CapabilityBoundingSet": "cap_dac_override",
        "UMask": "0077",
        "MemoryDenyWriteExecute": "yes",
        "RestrictAddressFamilies": "AF_UNIX",
        "PrivateNetwork": "yes",
        "IPAddressDeny": "0.0.0.0/0 ::/0",
        "ReadWritePaths": "/etc/ansible/facts.d",
    }),
}


def show(host, unit, props):
    args = " ".join(f"-p {p}" for p in props)
    out = host.check_output(f"systemctl show {unit} {args}")
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def main_pid(host):
    return int(host.check_output(f"systemctl show -p MainPID --value {APP}"))


def mount_of(host, pid, path):
    """(root, options) of the mount that holds `path` as process `pid` sees it (its mountinfo)."""
    found = None
    for line in host.file(f"/proc/{pid}/mountinfo").content_string.splitlines():
        fields = line.split()
        root, point, options = fields[3], fields[4].replace("\\040", " "), fields[5].split(",")
        # The deepest mount point above the path; of equal ones the last, which lies on top.
        if path == point or path.startswith(point.rstrip("/") + "/"):
            if found is None or len(point) >= len(found[0]):
                found = (point, root, options)
    return found[1], found[2]


@pytest.mark.parametrize("unit", [APP, MEASURE])
def test_unit_has_the_sandbox(host, unit):
    expected = EXPECTED[unit]
    # A list's order is systemd's own (IPAddressDeny differs between versions).
    assert {k: sorted(v.split()) for k, v in show(host, unit, expected).items()} == \
        {k: sorted(v.split()) for k, v in expected.items()}


@pytest.mark.parametrize("unit", [APP, MEASURE])
def test_unit_filters_system_calls(host, unit):
    calls = show(host, unit, ["SystemCallFilter"])["SystemCallFilter"].split()
    # @system-service: what a service calls, not mounting, rebooting or loading modules.
    assert "openat" in calls and "socket" in calls
    assert not {"mount", "reboot", "init_module", "kexec_load", "swapon"} & set(calls)


@pytest.mark.parametrize("unit", [APP, MEASURE])
def test_exposure_is_ok(host, unit):
    out = host.check_output(f"systemd-analyze security --no-pager {unit}")
    level = float(re.search(r"Overall exposure level for \S+: (\d+\.\d)", out).group(1))
    assert level <= 3.0, out


def test_app_processes_have_no_capability_and_a_seccomp_filter(host):
    status = host.file(f"/proc/{main_pid(host)}/status").content_string
    fields = dict(re.findall(r"^(\w+):\s*(.*)$", status, re.M))
    assert fields["NoNewPrivs"] == "1"
    assert fields["Seccomp"] == "2"
    assert int(fields["CapBnd"], 16) == 0 and int(fields["CapEff"], 16) == 0


def test_app_sees_its_release_read_only_and_a_private_tmp(host):
    pid = main_pid(host)
    release = host.check_output("readlink -f /srv/hello/current")
    # The release, the venv, the configuration, /usr and /run are read-only mounts for the app.
    for path in (release, "/srv/hello/venv", "/etc/uwsgi", "/usr/local", "/var/lib", "/run/lock"):
        assert "ro" in mount_of(host, pid, path)[1], path
    # Its runtime directory (the sockets) stays writable, its /tmp is its own.
    assert "rw" in mount_of(host, pid, "/run/uwsgi/hello")[1]
    root, options = mount_of(host, pid, "/tmp")
    assert "systemd-private-" in root and "rw" in options


def test_app_state_and_media_are_writable_when_they_exist(host):
    pid = main_pid(host)
    assert "ro" in mount_of(host, pid, "/srv/hello/shared/state")[1]
    host.run("install -d -o hello -g hello -m 0750 /srv/hello/shared /srv/hello/shared/state /srv/hello/shared/media")
    try:
        assert host.run(f"systemctl restart {APP}").rc == 0
        pid = main_pid(host)
        for directory in ("/srv/hello/shared/state", "/srv/hello/shared/media"):
            assert "rw" in mount_of(host, pid, directory)[1], directory
            assert "rw" in mount_of(host, pid, directory + "/upload.png")[1], directory
        # Beside them, the shared directory itself is not.
        assert "ro" in mount_of(host, pid, "/srv/hello/shared/app.env")[1]
    finally:
        host.run("rm -rf /srv/hello/shared")
        host.run(f"systemctl restart {APP}")
        host.run("for i in $(seq 30); do curl -sf -o /dev/null http://127.0.0.1/ && break; sleep 1; done")
