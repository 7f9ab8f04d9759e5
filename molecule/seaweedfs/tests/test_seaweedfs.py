"""SeaweedFS as the role leaves it: the S3 API's rules for the apps' keys and for anonymous
requests, the data across a restart, what listens where, and the sandbox."""

import base64
import json
import os
import re
import shlex
import time
import urllib.parse
import uuid

import pytest

from conftest import curl, playbook

S3 = "http://127.0.0.1:8333"
DEMO = {"bucket": "demo-site", "key": "MOLECULEdemo0001", "secret": "molecule/only+demo=5e8d2c91a7"}
PRIVATE = {"bucket": "private", "key": "MOLECULEpriv0002", "secret": "molecule-only~private$7c41d9"}
SECRETS = {"demo": DEMO["secret"], "private": PRIVATE["secret"]}
UNITS = ["seaweedfs.service", "seaweedfs-s3.service"]


# A minimal S3 client with AWS Signature V4 (the standard library only), run in the instance:
# curl's --aws-sigv4 of Ubuntu 22.04 (7.81) signs no x-amz-content-sha256 and SeaweedFS refuses
# its every request (SignatureDoesNotMatch), so the tests sign as the SDKs (boto3) do.
# Arguments, base64: method, url, access key, secret key (both empty: anonymous), body.
CLIENT = """
import base64, datetime, hashlib, hmac, sys, urllib.error, urllib.parse, urllib.request
method, url, access, secret, body = (base64.b64decode(a).decode() for a in sys.argv[1:6])
body = body.encode()
parts = urllib.parse.urlsplit(url)
headers = {}
if access:
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    signed = {"host": parts.netloc, "x-amz-content-sha256": payload, "x-amz-date": stamp}
    quote = lambda text: urllib.parse.quote(text, safe="-_.~")
    query = "&".join(sorted(quote(k) + "=" + quote(v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)))
    names = ";".join(sorted(signed))
    canonical = "\\n".join([method, urllib.parse.quote(parts.path or "/", safe="/-_.~"), query,
                             "".join(k + ":" + signed[k] + "\\n" for k in sorted(signed)), names, payload])
    scope = day + "/us-east-1/s3/aws4_request"
    key = ("AWS4" + secret).encode()
    for part in (day, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    to_sign = "\\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {"x-amz-content-sha256": payload, "x-amz-date": stamp, "Content-Type": "text/plain",
               "Authorization": "AWS4-HMAC-SHA256 Credential=" + access + "/" + scope + ", SignedHeaders=" + names
                                + ", Signature=" + signature}
request = urllib.request.Request(url, data=body if method in ("PUT", "POST") else None, method=method, headers=headers)
try:
    with urllib.request.urlopen(request, timeout=20) as response:
        status, text = response.status, response.read()
except urllib.error.HTTPError as error:
    status, text = error.code, error.read()
sys.stdout.write(str(status) + text.decode(errors="replace"))
"""


def request(host, method, url, app=None, secret=None, data=None):
    """An S3 request from inside the instance, signed with the app's key (secret: another one)
    or anonymous; returns (status, body)."""
    args = [method, url, app["key"] if app else "", (secret or app["secret"]) if app else "", data or ""]
    words = [base64.b64encode(arg.encode()).decode() for arg in args]
    cmd = host.run(" ".join(shlex.quote(word) for word in ["python3", "-c", CLIENT, *words]))
    assert cmd.rc == 0, cmd.stderr
    return int(cmd.stdout[:3]), cmd.stdout[3:]


def put(host, app, bucket, name, body):
    return request(host, "PUT", f"{S3}/{bucket}/{name}", app, data=body)[0]


def ready(host, timeout=120):
    """Wait until the S3 API serves an anonymous GET of the public bucket's probe object again
    (while the server restarts the proxy resets the connections)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host.run(f"curl -sf -o /dev/null --max-time 5 {S3}/{DEMO['bucket']}/probe.txt").rc == 0:
            return
        time.sleep(2)
    raise AssertionError("the S3 API did not come back")


@pytest.fixture(scope="module")
def probe(host):
    """An object in the public bucket, written with the app's key."""
    assert put(host, DEMO, DEMO["bucket"], "probe.txt", "probe") == 200
    return "probe"


def test_service_is_running_and_enabled(host):
    service = host.service("seaweedfs")
    assert service.is_running
    assert service.is_enabled
    assert host.service("seaweedfs-s3.socket").is_enabled


def test_an_object_put_with_the_apps_key_is_read_back_anonymously_and_with_the_key(host):
    body = f"hello {uuid.uuid4()}"
    assert put(host, DEMO, DEMO["bucket"], "uploads/a.txt", body) == 200
    assert request(host, "GET", f"{S3}/{DEMO['bucket']}/uploads/a.txt") == (200, body)
    assert request(host, "GET", f"{S3}/{DEMO['bucket']}/uploads/a.txt", DEMO) == (200, body)


def test_the_public_bucket_answers_curl_on_the_instances_own_address(host, probe):
    # As nginx or a browser asks: a plain GET, through the socket on every address.
    address = host.check_output("hostname -I").split()[0]
    status, _headers, body = curl(host, f"http://{address}:8333/{DEMO['bucket']}/probe.txt")
    assert (status, body) == (200, probe)


def test_anonymous_put_is_refused(host):
    assert request(host, "PUT", f"{S3}/{DEMO['bucket']}/anon.txt", data="x")[0] == 403
    assert request(host, "GET", f"{S3}/{DEMO['bucket']}/anon.txt", DEMO)[0] == 404


@pytest.mark.parametrize("url", [f"{S3}/demo-site", f"{S3}/demo-site/", f"{S3}/demo-site?list-type=2", f"{S3}/"])
def test_anonymous_listing_is_refused(host, probe, url):
    status, body = request(host, "GET", url)
    assert status == 403, body
    assert "probe.txt" not in body


def test_the_app_lists_its_own_bucket(host, probe):
    status, body = request(host, "GET", f"{S3}/{DEMO['bucket']}?list-type=2", DEMO)
    assert status == 200 and "<Key>probe.txt</Key>" in body


def test_a_wrong_secret_is_refused(host, probe):
    assert request(host, "GET", f"{S3}/{DEMO['bucket']}/probe.txt", DEMO, secret=DEMO["secret"] + "x")[0] == 403
    assert put(host, {**DEMO, "secret": DEMO["secret"][:-1]}, DEMO["bucket"], "wrong.txt", "x") == 403


def test_an_apps_key_cannot_write_another_apps_bucket(host):
    assert put(host, DEMO, PRIVATE["bucket"], "intruder.txt", "x") == 403
    assert put(host, PRIVATE, DEMO["bucket"], "intruder.txt", "x") == 403
    assert request(host, "GET", f"{S3}/{PRIVATE['bucket']}?list-type=2", DEMO)[0] == 403


def test_an_apps_key_cannot_create_a_bucket(host):
    assert request(host, "PUT", f"{S3}/another-bucket", DEMO)[0] == 403
    assert "another-bucket" not in bucket_list(host)


def test_the_private_bucket_is_read_with_its_key_only(host):
    assert put(host, PRIVATE, PRIVATE["bucket"], "secret.txt", "private data") == 200
    assert request(host, "GET", f"{S3}/{PRIVATE['bucket']}/secret.txt", PRIVATE) == (200, "private data")
    assert request(host, "GET", f"{S3}/{PRIVATE['bucket']}/secret.txt")[0] == 403
    assert request(host, "GET", f"{S3}/{PRIVATE['bucket']}/secret.txt", DEMO)[0] == 403


def test_the_app_deletes_its_objects(host):
    assert put(host, DEMO, DEMO["bucket"], "gone.txt", "x") == 200
    assert request(host, "DELETE", f"{S3}/{DEMO['bucket']}/gone.txt", DEMO)[0] == 204
    assert request(host, "GET", f"{S3}/{DEMO['bucket']}/gone.txt")[0] == 404


def bucket_list(host):
    cmd = host.run("echo s3.bucket.list | /opt/seaweedfs/bin/weed -logtostderr shell -master=127.0.0.1:9333")
    assert cmd.rc == 0, cmd.stderr
    return re.findall(r"^\s+(\S+)\s+size:", cmd.stdout, re.M)


def test_each_app_has_its_bucket(host):
    assert {"demo-site", "private"} <= set(bucket_list(host))


def test_each_bucket_starts_with_one_volume(host, probe):
    # master.toml's volume growth (SeaweedFS's default grows 7 volumes per bucket).
    assert put(host, PRIVATE, PRIVATE["bucket"], "one.txt", "1") == 200
    files = host.check_output("ls /var/lib/seaweedfs").split()
    for bucket in ("demo-site", "private"):
        assert len([f for f in files if re.fullmatch(rf"{bucket}_\d+\.dat", f)]) == 1, files


def test_an_object_survives_a_restart(host, probe):
    body = f"kept {uuid.uuid4()}"
    assert put(host, DEMO, DEMO["bucket"], "kept.txt", body) == 200
    host.run_expect([0], "systemctl restart seaweedfs")
    ready(host)
    assert request(host, "GET", f"{S3}/{DEMO['bucket']}/kept.txt", DEMO) == (200, body)


def listeners(host):
    """(address, port) of every TCP listener of the instance (ss names no process of another
    user here: the container's root lacks CAP_SYS_PTRACE)."""
    found = set()
    for line in host.check_output("ss -Hltn").splitlines():
        address, _sep, port = line.split()[3].rpartition(":")
        found.add((address.strip("[]"), int(port)))
    return found


def loopback(address):
    return address.startswith("127.") or address in ("::1", "::ffff:127.0.0.1")


def test_only_the_s3_port_listens_off_loopback(host, probe):
    found = listeners(host)
    assert {port for address, port in found if not loopback(address)} == {8333}, found
    # Master, volume server, filer and the S3 gateway (HTTP and gRPC): on loopback only.
    internal = {9333, 19333, 8080, 18080, 8888, 18888, 18333, 28333}
    assert internal <= {port for _address, port in found}, found
    assert all(loopback(address) for address, port in found if port in internal), found


def test_the_identities_file_is_0640_root_seaweedfs(host):
    config = host.file("/etc/seaweedfs/s3.json")
    assert (config.mode, config.user, config.group) == (0o640, "root", "seaweedfs")
    identities = json.loads(config.content_string)["identities"]
    assert [i["name"] for i in identities] == ["demo_site", "private", "anonymous"]
    assert identities[-1] == {"name": "anonymous", "actions": ["Read:demo-site"]}
    assert not [i for i in identities if "Admin" in " ".join(i["actions"])]


def test_the_data_directory_belongs_to_seaweedfs(host):
    data = host.file("/var/lib/seaweedfs")
    assert (data.mode, data.user, data.group) == (0o750, "seaweedfs", "seaweedfs")


def show(host, unit, props):
    args = " ".join(f"-p {p}" for p in props)
    out = host.check_output(f"systemctl show {unit} {args}")
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_the_server_runs_unprivileged_in_its_sandbox(host):
    props = show(host, "seaweedfs.service", ["User", "ProtectSystem", "ReadWritePaths", "NoNewPrivileges",
                                             "PrivateTmp", "PrivateDevices", "CapabilityBoundingSet", "Restart"])
    assert props == {"User": "seaweedfs", "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/seaweedfs",
                     "NoNewPrivileges": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
                     "CapabilityBoundingSet": "", "Restart": "on-failure"}
    pid = int(host.check_output("systemctl show -p MainPID --value seaweedfs.service"))
    fields = dict(re.findall(r"^(\w+):\s*(.*)$", host.file(f"/proc/{pid}/status").content_string, re.M))
    assert fields["NoNewPrivs"] == "1" and fields["Seccomp"] == "2"
    assert int(fields["CapEff"], 16) == 0 and int(fields["CapBnd"], 16) == 0


@pytest.mark.parametrize("unit", UNITS)
def test_exposure_is_ok(host, probe, unit):
    out = host.check_output(f"systemd-analyze security --no-pager {unit}")
    level = float(re.search(r"Overall exposure level for \S+: (\d+\.\d)", out).group(1))
    print(f"{unit}: exposure {level}")
    assert level <= 3.0, out


def converge(*extra):
    """Run the scenario's converge playbook again at -vvv (the most a CI log shows) and return (rc, output)."""
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return playbook(os.path.join(scenario, "converge.yml"), "-vvv", *extra)


@pytest.fixture(scope="module")
def rerun():
    """An idempotent re-run of the converge at -vvv, for what it prints."""
    return converge()


def test_verbose_converge_is_idempotent(rerun):
    rc, out = rerun
    assert rc == 0, out[-5000:]
    assert re.search(r"changed=0\s", out), out[-5000:]


@pytest.mark.parametrize("secret", SECRETS.values(), ids=SECRETS.keys())
def test_verbose_converge_shows_no_secret(rerun, secret):
    _rc, out = rerun
    assert "ESTABLISH" in out  # the run really was at -vvv
    forms = {secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe=""),
             base64.b64encode(secret.encode()).decode().rstrip("=")}
    assert [form for form in forms if form in out] == []
