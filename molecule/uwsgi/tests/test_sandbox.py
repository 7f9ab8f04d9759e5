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


@pytest.mark.parametrize("unit", [APP, MEASURE])
def test_unit_has_the_sandbox(host, unit):
    expected = EXPECTED[unit]
    assert show(host, unit, expected) == expected


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
    # Even root, in the app's mount namespace, cannot write its release, venv or configuration.
    for path in ("/srv/hello/current/probe", "/srv/hello/venv/probe", "/etc/uwsgi/probe", "/usr/local/probe"):
        cmd = host.run(f"nsenter -t {pid} -m touch {path}")
        assert cmd.rc != 0 and "Read-only file system" in cmd.stderr, (path, cmd.stderr)
        assert not host.file(path).exists
    # Its runtime directory (the sockets) stays writable, its /tmp is its own.
    assert host.run(f"nsenter -t {pid} -m sh -c 'touch /run/uwsgi/hello/probe && rm /run/uwsgi/hello/probe'").rc == 0
    host.run("touch /tmp/host-only")
    try:
        assert host.run(f"nsenter -t {pid} -m test -e /tmp/host-only").rc != 0
    finally:
        host.run("rm -f /tmp/host-only")


def test_app_state_and_media_are_writable_when_they_exist(host):
    host.run("install -d -o hello -g hello -m 0750 /srv/hello/shared /srv/hello/shared/state /srv/hello/shared/media")
    try:
        assert host.run(f"systemctl restart {APP}").rc == 0
        pid = main_pid(host)
        for directory in ("/srv/hello/shared/state", "/srv/hello/shared/media"):
            cmd = host.run(f"nsenter -t {pid} -m setpriv --reuid hello --regid hello --clear-groups "
                           f"sh -c 'echo x > {directory}/probe'")
            assert cmd.rc == 0, cmd.stderr
            assert host.file(f"{directory}/probe").user == "hello"
        # Beside them, the shared directory itself is not.
        cmd = host.run(f"nsenter -t {pid} -m touch /srv/hello/shared/probe")
        assert cmd.rc != 0 and "Read-only file system" in cmd.stderr
    finally:
        host.run("rm -rf /srv/hello/shared")
        host.run(f"systemctl restart {APP}")
        host.run("for i in $(seq 30); do curl -sf -o /dev/null http://127.0.0.1/ && break; sleep 1; done")
