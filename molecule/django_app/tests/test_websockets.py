"""The app's ASGI server (django_app_asgi_locations: /ws/ and /async/): uvicorn from the release's
venv, started by its socket unit, behind nginx with websocket upgrades.

These tests run last in the scenario (after test_processes.py): a websocket round trip and the
async view through nginx, as many uvicorn workers as the host has vCPUs, and a deploy under
load: every request answered, every websocket handshake accepted, the clients moved over to
the new release (a client whose connection the restart closes reconnects).
"""

import json
import os
import textwrap
import time

from conftest import curl, playbook

ROOT = "/srv/demo"
PYTHON = f"{ROOT}/current/venv/bin/python"
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A client inside the instance, with the websockets package of the release's venv: through nginx
# (TLS, the site's name), each websocket says which release answers.
CLIENT = textwrap.dedent('''
    import http.client, json, socket, ssl, sys, time, os
    from websockets.sync.client import connect

    CTX = ssl.create_default_context()
    CTX.check_hostname = False
    CTX.verify_mode = ssl.CERT_NONE

    def websocket():
        sock = socket.create_connection(("127.0.0.1", 443), timeout=10)
        return connect("wss://demo.test/ws/echo/", sock=sock, ssl=CTX, server_hostname="demo.test",
                       open_timeout=20)

    def get(path):
        conn = http.client.HTTPSConnection("127.0.0.1", 443, context=CTX, timeout=30)
        conn.request("GET", path, headers={"Host": "demo.test"})
        response = conn.getresponse()
        return response.status, response.read().decode()

    if sys.argv[1] == "once":
        with websocket() as ws:
            hello = ws.recv(timeout=10)
            ws.send("ping")
            print(json.dumps({"hello": hello, "echo": ws.recv(timeout=10), "async": get("/async/io")}))
    else:
        # Until the stop file appears: requests to the async view one after another, and one
        # websocket that pings every 0.2 s and reconnects when the server closes it.
        import threading
        result = {"statuses": {}, "hellos": [], "handshake_errors": [], "closes": 0}
        stop = sys.argv[2]

        def requests():
            while not os.path.exists(stop):
                try:
                    status = str(get("/async/io")[0])
                except Exception as exc:
                    status = type(exc).__name__
                result["statuses"][status] = result["statuses"].get(status, 0) + 1

        thread = threading.Thread(target=requests)
        thread.start()
        while not os.path.exists(stop):
            try:
                ws = websocket()
                result["hellos"].append(ws.recv(timeout=20))
            except Exception as exc:
                result["handshake_errors"].append(f"{type(exc).__name__}: {exc}")
                time.sleep(0.5)
                continue
            try:
                while not os.path.exists(stop):
                    ws.send("ping")
                    ws.recv(timeout=20)
                    time.sleep(0.2)
                ws.close()
            except Exception:
                result["closes"] += 1
        thread.join()
        with open(stop + ".json", "w") as out:
            json.dump(result, out)
''')


def client(host, *args):
    host.run(f"cat > /tmp/ws_client.py <<'EOF'\n{CLIENT}\nEOF")
    return host.run(f"{PYTHON} /tmp/ws_client.py {' '.join(args)}")


def converge(*extra):
    return playbook(os.path.join(SCENARIO, "converge.yml"), "-v", *extra)


def test_a_websocket_and_the_async_view_answer_through_nginx(host):
    rc, out = converge("-e", json.dumps({"demo_release": "2.0.0", "django_app_release_id": "2.1.0"}))
    assert rc == 0, out[-3000:]
    result = client(host, "once")
    assert result.rc == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["hello"] == "hello 2.0.0 from 2.1.0"
    assert answer["echo"] == "2.0.0 ping"
    status, body = answer["async"]
    assert status == 200 and json.loads(body)["interface"] == "asgi"
    # The rest of the site stays uWSGI's.
    status, _headers, body = curl(host, "https://127.0.0.1/io", "-H", "Host: demo.test")
    assert status == 200 and "interface" not in json.loads(body)


def test_uvicorn_runs_one_worker_per_vcpu_as_the_app_user(host):
    vcpus = int(host.run("nproc").stdout)
    pid = host.run("systemctl show --property=MainPID --value demo-asgi@1.service").stdout.strip()
    assert host.run(f"ps -o user= -p {pid}").stdout.strip() == "demo"
    # uvicorn's supervisor and its workers (multiprocessing's spawn_main), or one process alone.
    workers = host.run(f"pgrep -P {pid} -f spawn_main").stdout.split()
    assert len(workers) == (vcpus if vcpus > 1 else 0)
    socket = host.file("/run/asgi/demo.sock")
    assert socket.is_socket and socket.user == "root" and socket.group == "www-data" and socket.mode == 0o660


def test_a_deploy_under_load_refuses_no_request_and_moves_every_client_over(host):
    before = os.path.basename(host.check_output(f"readlink -f {ROOT}/current"))
    host.run("rm -f /tmp/ws.stop /tmp/ws.stop.json /tmp/ws.log")
    started = host.run(f"setsid nohup {PYTHON} /tmp/ws_client.py load /tmp/ws.stop > /tmp/ws.log 2>&1 < /dev/null &")
    assert started.rc == 0, started.stderr
    time.sleep(3)
    rc, out = converge("-e", json.dumps({"demo_release": "2.0.0", "django_app_release_id": "2.1.1"}))
    time.sleep(3)
    host.run("touch /tmp/ws.stop")
    deadline = time.time() + 60
    while not host.file("/tmp/ws.stop.json").exists and time.time() < deadline:
        time.sleep(1)
    assert rc == 0, out[-3000:]
    assert host.file("/tmp/ws.stop.json").exists, host.file("/tmp/ws.log").content_string[-3000:]
    result = json.loads(host.file("/tmp/ws.stop.json").content_string)
    assert host.check_output(f"readlink -f {ROOT}/current") == f"{ROOT}/releases/2.1.1" and before != "2.1.1"
    # Every request answered 200 (none refused while uvicorn restarted: its socket stayed open).
    assert set(result["statuses"]) == {"200"} and result["statuses"]["200"] > 20, result["statuses"]
    assert result["handshake_errors"] == [], result
    # The client was on the old release, then, reconnected, on the new one.
    assert result["hellos"][0].endswith(f" from {before}") and result["hellos"][-1].endswith(" from 2.1.1"), result
