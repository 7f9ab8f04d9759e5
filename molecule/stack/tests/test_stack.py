"""The fleet: a load balancer, two web hosts, a worker, a three-node RabbitMQ cluster and one
PostgreSQL host that every app host shares.

The tests run in file order and change the fleet as they go: release 2.0.0 (which brings a
migration) is rolled out under load, then the broken 3.0.0 is tried under load, then
rollback.yml refuses to return to 1.0.0 past that migration and returns every host to it when
told to ignore the schema (and refuses a release no host has; these three rollback tests are
marked `full`: make test-platforms runs them, make test leaves them to the project scenario's
one-host rollback), PostgreSQL restarts under a write loop, and last a broker node is stopped. What one host shows as well as a fleet (site.yml
repairing a site broken by hand before the gate judges a release, a rollback naming the live
release changing nothing) is tested on one host, in the project scenario.
"""

import hashlib
import json
import os
import shlex
import time

import pytest
import testinfra

from conftest import playbook

# No test takes testinfra's parametrized `host`, so they run in file order against the
# containers they name.
testinfra_hosts = ["webstack-stack-lb"]

WEB = ["webstack-stack-web1", "webstack-stack-web2"]
BROKERS = ["webstack-stack-broker1", "webstack-stack-broker2", "webstack-stack-broker3"]
DB = "webstack-stack-db"
MANAGE = "/srv/demo/bin/manage"
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks")
LOAD_LOG = "/tmp/load.log"


def other(name):
    """A testinfra host for another container of the scenario."""
    return testinfra.get_host(
        f"ansible://{name}?ansible_inventory={os.environ['MOLECULE_INVENTORY_FILE']}")


def fleet_playbook(name, *extra):
    """Run one of the project's playbooks on the whole fleet; return (rc, output)."""
    return playbook(os.path.join(PLAYBOOKS, name), *extra, timeout=1200, ANSIBLE_FORKS="8")


def fetch(host, path="/version"):
    """GET through the load balancer from inside its container; return (status, served_by, body)."""
    cmd = ("curl -sS --max-time 10 -o /tmp/fetch.body -D /tmp/fetch.head -w '%{http_code}' "
           f"-H 'Host: demo.test' http://127.0.0.1{path}")
    status = host.check_output(cmd)
    headers = host.file("/tmp/fetch.head").content_string.lower().splitlines()
    served = [h.split(":", 1)[1].strip() for h in headers if h.startswith("x-served-by:")]
    return int(status), (served[0] if served else ""), host.file("/tmp/fetch.body").content_string.strip()


class Load:
    """A bounded request loop through the lb (at most 6000 requests or 1200 s, one at a time,
    five a second: enough to see every switch, little CPU taken from the deploy it watches),
    run inside the lb container; each line of the log is '<status> <release>'."""

    def __init__(self, host):
        self.host = host

    def __enter__(self):
        loop = (f"rm -f /tmp/load.stop {LOAD_LOG}; end=$((SECONDS+1200)); "
                "for i in $(seq 1 6000); do "
                "[ -e /tmp/load.stop ] || [ $SECONDS -ge $end ] && break; "
                "body=$(curl -s --max-time 10 -H 'Host: demo.test' -w ' %{http_code}' "
                "http://127.0.0.1/version); "
                f"echo \"${{body##* }} ${{body% *}}\" >> {LOAD_LOG}; sleep 0.2; done; "
                "touch /tmp/load.done")
        self.host.run("rm -f /tmp/load.done")
        self.host.run(f"nohup bash -c {shlex.quote(loop)} >/dev/null 2>&1 &")
        time.sleep(2)
        return self

    def __exit__(self, *exc):
        # Still running when the play ended: the loop was not stopped by its own bound, so the
        # requests it logged cover the whole play.
        self.spanned = not self.host.file("/tmp/load.done").exists
        self.host.run("touch /tmp/load.stop")
        for _ignored in range(30):
            if self.host.file("/tmp/load.done").exists:
                break
            time.sleep(1)

    def results(self):
        lines = self.host.file(LOAD_LOG).content_string.splitlines()
        return [line.split(" ", 1) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def lb():
    return other("webstack-stack-lb")


def web_versions():
    return {name: other(name).check_output(
        "curl -s -H 'Host: demo.test' http://127.0.0.1/version").strip() for name in WEB}


def test_requests_through_the_lb_reach_both_web_hosts(lb):
    served = set()
    for _ignored in range(20):
        status, by, body = fetch(lb, "/healthz")
        assert status == 200 and body == "ok 1.0.0"
        served.add(by)
    assert served == {"webstack-stack-web1", "webstack-stack-web2"}


def test_static_files_come_through_the_lb(lb):
    status, _ignored, _ignored = fetch(lb, "/static/demo/site.css")
    assert status == 200


def test_brokers_form_one_cluster_with_a_quorum_queue():
    broker = other(BROKERS[0])
    status = json.loads(broker.check_output("rabbitmqctl -q cluster_status --formatter json"))
    assert sorted(status["running_nodes"]) == sorted(f"rabbit@{b}" for b in BROKERS)
    queues = broker.check_output("rabbitmqctl -q list_queues -p demo name type --formatter json")
    assert {"name": "celery", "type": "quorum"} in json.loads(queues)


def record(host, key, method="GET"):
    """A /records/<key> request on a host's own nginx; returns (status, body as dict or None)."""
    out = host.check_output(
        f"curl -s --max-time 10 -X {method} -H 'Host: demo.test' -w '\\n%{{http_code}}' "
        f"http://127.0.0.1/records/{key}")
    body, _ignored, status = out.rpartition("\n")
    return int(status), (json.loads(body) if body.startswith("{") else None)


def test_every_app_host_uses_the_one_database():
    """A row written through web1 is read through web2, over PostgreSQL on the db host."""
    status, _ignored = record(other(WEB[0]), "shared-row", method="POST")
    assert status == 201
    status, body = record(other(WEB[1]), "shared-row")
    assert status == 200 and body["key"] == "shared-row"
    env = other(WEB[1]).file("/srv/demo/shared/app.env").content_string
    assert "DATABASE_URL='postgres://demo:" in env and "@webstack-stack-db:5432/demo'" in env


def test_a_task_on_the_worker_writes_rows_the_web_side_reads():
    other(WEB[0]).check_output(f"{MANAGE} enqueue_records --prefix fleet --count 5")
    web2 = other(WEB[1])
    for _ignored in range(60):
        if all(record(web2, f"fleet-{i}")[0] == 200 for i in range(5)):
            break
        time.sleep(1)
    assert [record(web2, f"fleet-{i}")[1]["executions"] for i in range(5)] == [1] * 5


UPLOAD = b"%PDF-1.4 shared by the fleet\n" * 64
S3_SECRET = "molecule-only-stack-s3-secret-3f9a7c1e"


def test_an_upload_through_web1_is_served_through_web2_and_read_on_the_worker(lb):
    """The uploads live in the fleet's object storage (SeaweedFS on the db host), not on a web
    host: what web1 stored, web2's nginx reads through from the bucket, the lb serves, and a
    Celery task on the worker host reads through the storage."""
    web1, web2 = other(WEB[0]), other(WEB[1])
    web1.check_output("yes '%PDF-1.4 shared by the fleet' | head -n 64 > /tmp/upload.pdf")
    out = web1.check_output("curl -s --max-time 20 -H 'Host: demo.test' -w '\\n%{http_code}' "
                            "--data-binary @/tmp/upload.pdf http://127.0.0.1/uploads/shared.pdf")
    body, _ignored, status = out.rpartition("\n")
    assert status == "201", out
    assert json.loads(body) == {"name": "uploads/shared.pdf", "url": "/media/uploads/shared.pdf", "size": len(UPLOAD)}
    # Nothing on web1's disk: the bucket has it.
    assert not web1.file("/srv/demo/shared/media/uploads/shared.pdf").exists
    digest = hashlib.sha256(UPLOAD).hexdigest()
    for host in (web2, lb):
        got = host.run("curl -s --max-time 10 -H 'Host: demo.test' -D /tmp/media.head -o /tmp/media.body "
                       "-w '%{http_code}' http://127.0.0.1/media/uploads/shared.pdf")
        assert got.stdout == "200"
        assert host.check_output("sha256sum /tmp/media.body").split()[0] == digest
        head = host.file("/tmp/media.head").content_string.lower()
        assert "content-type: application/pdf" in head and "x-content-type-options: nosniff" in head
    report = json.loads(web2.check_output(f"{MANAGE} read_upload shared.pdf --timeout 60"))
    assert report == {"size": len(UPLOAD), "sha256": digest}


def test_an_html_upload_is_data_and_the_bucket_is_not_listed_through_nginx():
    web1, web2 = other(WEB[0]), other(WEB[1])
    web1.check_output("printf '<script>alert(1)</script>' > /tmp/page.html && curl -s -o /dev/null "
                      "-H 'Host: demo.test' --data-binary @/tmp/page.html http://127.0.0.1/uploads/page.html")
    head = web2.check_output("curl -s -D - -o /dev/null -H 'Host: demo.test' "
                             "http://127.0.0.1/media/uploads/page.html").lower()
    assert "content-type: application/octet-stream" in head and "sandbox" in head
    for path in ("/media/", "/media/?list-type=2", "/media/uploads/"):
        status = web2.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' -H 'Host: demo.test' 'http://127.0.0.1{path}'")
        assert status in ("403", "404"), path
    # No S3 sub-resource either: the query string is dropped, the object itself comes back.
    body = web2.check_output("curl -s -H 'Host: demo.test' 'http://127.0.0.1/media/uploads/page.html?acl'")
    assert body == "<script>alert(1)</script>"
    status = web2.check_output("curl -s -o /dev/null -w '%{http_code}' -X PUT --data x -H 'Host: demo.test' "
                               "http://127.0.0.1/media/uploads/page.html")
    assert status == "403"


def test_celery_round_trip_from_a_web_host():
    result = other(WEB[0]).run(f"{MANAGE} celery_roundtrip --timeout 60")
    assert result.rc == 0, result.stdout + result.stderr
    assert "roundtrip ok 5" in result.stdout


def printed_plans():
    """Each host's plan as playbooks/plan.yml prints it (its whole plan, at -v, as JSON)."""
    rc, out = playbook(os.path.join(PLAYBOOKS, "plan.yml"), "-v", timeout=600, ANSIBLE_FORKS="8",
                       ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
    assert rc == 0, out
    report, _end = json.JSONDecoder().raw_decode(out[out.index("{"):])
    tasks = [task for play in report["plays"] for task in play["tasks"]]
    whole = next(t for t in tasks if t["task"]["name"] == "Print this host's whole plan")
    return {name: result["webstack_plan"] for name, result in whole["hosts"].items()}


def test_every_host_runs_the_plan_that_plan_yml_prints():
    plans = printed_plans()
    for name in WEB:
        web = other(name)
        workers = [p for p in web.process.filter(comm="uwsgi", user="demo") if p.ppid != 1]
        assert len(workers) == plans[name]["uwsgi"]["processes"], name
        site = web.file("/etc/nginx/sites-available/demo.conf").content_string
        assert f"uwsgi_read_timeout {plans[name]['nginx']['uwsgi_read_timeout']}s;" in site
    # web2 is given uwsgi_harakiri 45 (molecule.yml): the lb waits as long as its slowest web host.
    assert plans[WEB[1]]["uwsgi"]["harakiri"] == 45
    slowest = max(plans[name]["nginx"]["uwsgi_read_timeout"] for name in WEB)
    lb_site = other("webstack-stack-lb").file("/etc/nginx/sites-available/demo.conf").content_string
    assert f"proxy_read_timeout {slowest}s;" in lb_site
    # The worker host runs no uWSGI: Celery gets every vCPU.
    worker, plan = other("webstack-stack-worker"), plans["webstack-stack-worker"]
    assert plan["uwsgi"]["enabled"] is False and plan["budget"]["celery_vcpus"] == plan["budget"]["vcpus"]
    main = worker.check_output("systemctl show -p MainPID --value celery-demo-worker.service").strip()
    assert len(list(worker.process.filter(ppid=int(main)))) == plan["celery"]["concurrency"]
    # Each broker blocks publishers at half the memory its plan keeps for RabbitMQ.
    for name in BROKERS:
        watermark = plans[name]["rabbitmq"]["vm_memory_high_watermark_mb"]
        limit = other(name).check_output("rabbitmqctl -q eval 'vm_memory_monitor:get_memory_limit().'")
        assert int(limit.strip()) == watermark * 1024 * 1024, name
    # The database caps what each app host may open: its share of the primary's connections.
    assert plans["webstack-stack-web1"]["budget"]["db_connections_allowed"] is not None
    assert plans["webstack-stack-worker"]["budget"]["db_connections"] <= plans["webstack-stack-worker"]["budget"]["db_max_connections"]


# A websocket client on the worker (the release's venv has the websockets package), through the
# load balancer: it pings every 0.2 s and reconnects when its connection is closed (a web host
# drained or its ASGI server restarted in the new release); it logs each greeting (the release
# that answered) and each handshake that failed, until the stop file appears.
WS_CLIENT = """
import json, os, socket, sys, time
from websockets.sync.client import connect
result = {"hellos": [], "handshake_errors": [], "closes": 0}
while not os.path.exists("/tmp/ws.stop"):
    try:
        sock = socket.create_connection(("webstack-stack-lb", 80), timeout=10)
        ws = connect("ws://demo.test/ws/echo/", sock=sock, open_timeout=20)
        result["hellos"].append(ws.recv(timeout=20))
    except Exception as exc:
        result["handshake_errors"].append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.5)
        continue
    try:
        while not os.path.exists("/tmp/ws.stop"):
            ws.send("ping")
            ws.recv(timeout=20)
            time.sleep(0.2)
        ws.close()
    except Exception:
        result["closes"] += 1
with open("/tmp/ws.json", "w") as out:
    json.dump(result, out)
"""


class Websocket:
    """WS_CLIENT running on the worker for the length of a with block; ``result`` after it."""

    def __enter__(self):
        self.host = other("webstack-stack-worker")
        # The live release's venv (its python, not the system interpreter the venv links to).
        python = self.host.check_output("readlink -f /srv/demo/current") + "/venv/bin/python"
        self.host.run(f"rm -f /tmp/ws.stop /tmp/ws.json /tmp/ws.log; cat > /tmp/ws_client.py <<'EOF'\n{WS_CLIENT}\nEOF")
        self.host.run(f"setsid nohup {python} /tmp/ws_client.py > /tmp/ws.log 2>&1 < /dev/null &")
        time.sleep(3)
        return self

    def __exit__(self, *exc):
        self.host.run("touch /tmp/ws.stop")
        for _ignored in range(60):
            if self.host.file("/tmp/ws.json").exists:
                break
            time.sleep(1)
        assert self.host.file("/tmp/ws.json").exists, self.host.file("/tmp/ws.log").content_string[-3000:]
        self.result = json.loads(self.host.file("/tmp/ws.json").content_string)


def test_rolling_deploy_under_load_fails_no_request(lb):
    with Load(lb) as load, Websocket() as websocket:
        rc, out = fleet_playbook("deploy.yml", "-e", "demo_release=2.0.0")
    assert rc == 0, out[-4000:]
    # The websocket client stayed connected or reconnected, every handshake accepted, and ended
    # on the new release.
    hellos = websocket.result["hellos"]
    assert websocket.result["handshake_errors"] == [], websocket.result
    assert hellos[0] == "hello 1.0.0 from 1.0.0" and hellos[-1] == "hello 2.0.0 from 2.0.0", websocket.result
    results = load.results()
    failed = [r for r in results if r[0] != "200"]
    assert len(results) >= 50 and failed == [], f"{len(failed)} of {len(results)} failed: {failed[:5]}"
    releases = [r[1] for r in results]
    assert releases[0] == "1.0.0" and releases[-1] == "2.0.0"
    assert web_versions() == {name: "2.0.0" for name in WEB}
    worker = other("webstack-stack-worker")
    assert worker.file("/srv/demo/current").linked_to == "/srv/demo/releases/2.0.0"
    assert "roundtrip ok" in other(WEB[1]).check_output(f"{MANAGE} celery_roundtrip --timeout 60")


def test_the_migration_ran_exactly_once_on_the_first_web_host():
    # 2.0.0's migration counts its own runs in this row: one run across three app hosts.
    status, body = record(other(WEB[1]), "migration-0002")
    assert status == 200 and body["executions"] == 1


def test_the_worker_s_process_follows_the_release_and_one_web_host_runs_the_job():
    # The worker's process, as it writes itself every second: its pid (systemd's main process of
    # the unit) and the real path of its working directory, the release the deploy switched to.
    worker = other("webstack-stack-worker")
    pid = worker.run("systemctl show --property=MainPID --value demo-loop@1.service").stdout.strip()
    assert pid not in ("", "0")
    assert worker.file("/srv/demo/shared/state/loop-1.txt").content_string.split()[1:] == [
        pid, "/srv/demo/releases/2.0.0"]
    # The job's timer and its runs are on the first web host of the inventory only.
    time.sleep(7)
    ran = {}
    for name in WEB + ["webstack-stack-worker"]:
        host = other(name)
        log = host.file("/srv/demo/shared/state/ticks.log")
        ran[name] = (host.run("systemctl is-enabled demo-tick.timer").stdout.strip(),
                     len(log.content_string.splitlines()) if log.exists else 0)
        assert host.run("pgrep -f [d]emo_loop").rc == (0 if name == "webstack-stack-worker" else 1)
    assert ran[WEB[0]][0] == "enabled" and ran[WEB[0]][1] >= 2, ran
    assert all(state != "enabled" and lines == 0 for state, lines in (ran[WEB[1]], ran["webstack-stack-worker"])), ran
    # The ASGI server on each web host (one worker per vCPU, the plan's default), none on the worker.
    for name in WEB:
        web = other(name)
        main = web.check_output("systemctl show --property=MainPID --value demo-asgi@1.service").strip()
        vcpus = int(web.check_output("nproc"))
        spawned = web.run(f"pgrep -P {main} -f spawn_main").stdout.split()
        assert len(spawned) == (vcpus if vcpus > 1 else 0), name
    assert worker.run("pgrep -f [u]vicorn").rc == 1


def test_a_backup_was_taken_before_the_migration():
    db = other(DB)
    # The first deploy met an empty database: nothing to back up then.
    dumps = db.check_output("ls /srv/demo/shared/backups").split()
    assert len(dumps) == 1 and dumps[0].startswith("2.0.0-") and dumps[0].endswith(".dump"), dumps
    listing = db.check_output(f"pg_restore --list /srv/demo/shared/backups/{dumps[0]}")
    assert "TABLE DATA public core_taskrecord" in listing


def test_failed_deploy_keeps_serving_and_stops_at_the_first_host(lb):
    # At -vvv: the storage keys pass through the preflight, the storage URLs, the app's
    # environment file and a rollback, and show in none of them.
    with Load(lb) as load:
        rc, out = fleet_playbook("deploy.yml", "-vvv", "-e", "demo_release=3.0.0-broken")
    assert rc != 0
    assert "seaweedfs" in out and S3_SECRET not in out
    assert "Release 3.0.0-broken of demo failed its health check" in out
    assert "Rolled back to release 2.0.0" in out
    results = load.results()
    failed = [r for r in results if r[0] != "200"]
    assert len(results) >= 20 and failed == [], f"{len(failed)} of {len(results)} failed: {failed[:5]}"
    assert web_versions() == {name: "2.0.0" for name in WEB}
    assert not other(WEB[1]).file("/srv/demo/releases/3.0.0-broken").exists
    # The first host's history records the broken release as failed.
    history = json.loads(other(WEB[0]).file("/srv/demo/releases.json").content_string)
    assert [h["state"] for h in history if h["id"] == "3.0.0-broken"][-1] == "failed"


@pytest.mark.full
def test_rollback_past_a_migration_is_refused_naming_it():
    rc, out = fleet_playbook("rollback.yml")
    assert rc != 0
    text = " ".join(out.split())
    assert "Release 1.0.0 does not know these migrations, applied in the database: core.0002_release_2_marker" in text
    assert "webstack_rollback_ignore_schema=true" in text
    assert "TASK [Take this host out of the load balancers]" not in out
    assert web_versions() == {name: "2.0.0" for name in WEB}


@pytest.mark.full
def test_rollback_returns_every_host_to_the_previous_release(lb):
    ignore = ("-e", "webstack_rollback_ignore_schema=true")
    with Load(lb) as load:
        rc, out = fleet_playbook("rollback.yml", *ignore)
    assert rc == 0, out[-4000:]
    results = load.results()
    failed = [r for r in results if r[0] != "200"]
    assert len(results) >= 50 and failed == [], f"{len(failed)} of {len(results)} failed: {failed[:5]}"
    # The load spanned the rollback: it began on 2.0.0, ended on 1.0.0, and was still running
    # when the play ended.
    releases = [r[1] for r in results]
    assert releases[0] == "2.0.0" and releases[-1] == "1.0.0", (releases[:3], releases[-3:])
    assert load.spanned
    assert web_versions() == {name: "1.0.0" for name in WEB}
    worker = other("webstack-stack-worker")
    assert worker.file("/srv/demo/current").linked_to == "/srv/demo/releases/1.0.0"


@pytest.mark.full
def test_rollback_to_an_unknown_release_is_refused_before_any_host_drains():
    rc, out = fleet_playbook("rollback.yml", "-e", "webstack_rollback_release=no-such-release")
    assert rc != 0
    assert 'webstack_rollback_release: "no-such-release" is not a release' in " ".join(out.split())
    assert "TASK [Take this host out of the load balancers]" not in out
    assert web_versions() == {name: "1.0.0" for name in WEB}


def test_a_database_restart_loses_no_acknowledged_row(lb):
    """A bounded write loop through the lb (at most 250 POSTs or 90 s) while PostgreSQL
    restarts: some writes may fail, but every one answered 2xx is stored."""
    loop = ("rm -f /tmp/writes.log; end=$((SECONDS+90)); "
            "for i in $(seq 1 250); do [ $SECONDS -ge $end ] && break; "
            "code=$(curl -s -o /dev/null --max-time 10 -X POST -H 'Host: demo.test' -w '%{http_code}' "
            "http://127.0.0.1/records/pgw-$i); echo \"$i $code\" >> /tmp/writes.log; sleep 0.05; done; "
            "touch /tmp/writes.done")
    lb.run("rm -f /tmp/writes.done")
    lb.run(f"nohup bash -c {shlex.quote(loop)} >/dev/null 2>&1 &")
    time.sleep(3)
    other(DB).check_output("systemctl restart postgresql")
    for _ignored in range(120):
        if lb.file("/tmp/writes.done").exists:
            break
        time.sleep(1)
    writes = [line.split() for line in lb.file("/tmp/writes.log").content_string.splitlines()]
    acked = [key for key, code in writes if code in ("200", "201")]
    assert len(writes) >= 100 and len(acked) >= 50, writes[:5]
    check = ("for i in " + " ".join(acked) + "; do code=$(curl -s -o /dev/null -H 'Host: demo.test' "
             "-w '%{http_code}' http://127.0.0.1/records/pgw-$i); [ \"$code\" = 200 ] || echo $i; done")
    assert other(WEB[1]).check_output(check).split() == []


def test_round_trips_continue_with_one_broker_stopped():
    first = other(BROKERS[0])
    first.run("systemctl stop rabbitmq-server")
    try:
        assert not first.service("rabbitmq-server").is_running
        for web in WEB:
            result = other(web).run(f"{MANAGE} celery_roundtrip --timeout 90")
            assert result.rc == 0 and "roundtrip ok 5" in result.stdout, result.stdout + result.stderr
    finally:
        first.run("systemctl start rabbitmq-server")


@pytest.mark.parametrize("name", WEB)
def test_web_hosts_are_back_in_rotation(lb, name):
    conf = lb.file("/etc/nginx/sites-available/demo.conf").content_string
    assert f"server {name}:80" in conf
    assert f"server {name}:80 down;" not in conf
