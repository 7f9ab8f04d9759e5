"""The web tier in a real container: nginx → uWSGI → the demo Django release.

The tests run in file order: the first ones check release 1.0.0 as converged; then release
2.0.0 is deployed and checked. The no-change run is molecule's idempotence step; the 2.0.0 run,
at -vvv with a new secret, checks that no secret is printed. A release that fails its health
gate is rolled back by this role in the fleet scenario (`stack`, through deploy.yml), where the
release history is checked too.
"""

import base64
import json
import os
import re

from conftest import curl, header, playbook

SECRET = "molecule-only-secret-3f9c2a7e51d84b6c9e0a1f2b3c4d5e6f7a8b9c0d1e2f"
ROOT = "/srv/demo"
HOST = ("-H", "Host: demo.test")


def converge(*extra):
    """Run the scenario's converge playbook again (verbose) and return (rc, output)."""
    scenario = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return playbook(os.path.join(scenario, "converge.yml"), "-v", *extra)


def test_healthz_answers_200_through_nginx(host):
    status, _ignored, body = curl(host, "https://127.0.0.1/healthz", *HOST)
    assert status == 200
    assert body.startswith("ok 1.0.0")


def test_plain_http_redirects_to_https(host):
    status, headers, _ignored = curl(host, "http://127.0.0.1/", *HOST)
    assert status == 301
    assert header(headers, "Location").startswith("https://")


def test_static_file_is_served_by_nginx(host):
    status, headers, body = curl(host, "https://127.0.0.1/static/demo/site.css", *HOST)
    assert status == 200
    assert "max-age=2592000" in (header(headers, "Cache-Control") or "")
    release_copy = host.file(f"{ROOT}/current/staticfiles/demo/site.css")
    assert release_copy.exists and body == release_copy.content_string


MOTTO = "100% $HOME ${HOME} `id` $(id) ;#"


def test_environment_values_reach_uwsgi_and_manage_as_written(host):
    pid = host.check_output("systemctl show -p MainPID --value uwsgi-demo")
    environ = host.check_output(f"tr '\\0' '\\n' < /proc/{pid}/environ").splitlines()
    assert f"DEMO_MOTTO={MOTTO}" in environ
    out = host.check_output(f"{ROOT}/bin/manage shell -c 'import os; print(os.environ[\"DEMO_MOTTO\"])'")
    # Django's shell may first say what it imported; the value is the last line.
    assert out.strip().splitlines()[-1] == MOTTO


def test_uwsgi_workers_run_as_the_app_user(host):
    workers = host.process.filter(comm="uwsgi")
    assert workers, "no uwsgi process"
    assert {p.user for p in workers} == {"demo"}


def test_uwsgi_worker_count_equals_the_plan(host, plan):
    workers = [p for p in host.process.filter(comm="uwsgi", user="demo") if p.ppid != 1]
    assert len(workers) == plan["uwsgi"]["processes"]


def test_socket_is_0660_for_the_web_server_group(host):
    sock = host.file("/run/uwsgi/demo/uwsgi.sock")
    assert sock.is_socket
    assert sock.mode == 0o660
    assert sock.group == "www-data"


def test_env_file_is_0640_root_app_group(host):
    env = host.file(f"{ROOT}/shared/app.env")
    assert env.mode == 0o640
    assert env.user == "root"
    assert env.group == "demo"
    assert SECRET in env.content_string


def test_check_deploy_is_clean_with_tls(host):
    result = host.run(f"{ROOT}/bin/manage check --deploy --fail-level WARNING")
    assert result.rc == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def test_the_build_step_ran_for_the_release(host):
    status, _ignored, body = curl(host, "https://127.0.0.1/built", *HOST)
    assert status == 200 and body.strip() == "built 1.0.0"


def test_an_upload_lands_outside_the_release_and_nginx_serves_it(host):
    host.check_output(f"echo {base64.b64encode(PHOTO).decode()} | base64 -d > /tmp/photo.png")
    status, _ignored, body = curl(host, "https://127.0.0.1/uploads/photo.png", *HOST, "--data-binary", "@/tmp/photo.png")
    assert status == 201, body
    assert json.loads(body) == {"name": "uploads/photo.png", "url": "/media/uploads/photo.png", "size": len(PHOTO)}
    stored = host.file(f"{ROOT}/shared/media/uploads/photo.png")
    assert stored.user == "demo" and stored.group == "www-data" and stored.size == len(PHOTO)
    assert_photo_served(host)


def assert_photo_served(host):
    """The upload through nginx, byte for byte, as image/png with nosniff (the body is binary:
    not through curl(), which reads it as text)."""
    url = "https://127.0.0.1/media/uploads/photo.png"
    headers = host.check_output(f"curl -sk -o /tmp/photo.served -D - -H 'Host: demo.test' {url}")
    assert headers.splitlines()[0].split()[1] == "200", headers
    assert header(headers, "Content-Type") == "image/png"
    assert header(headers, "X-Content-Type-Options") == "nosniff"
    assert host.check_output("sha256sum < /tmp/photo.served") == host.check_output("sha256sum < /tmp/photo.png")


def test_a_check_run_predicts_no_change_with_uv_in_a_venv_without_pip(host):
    # The release's venv was made for uv, without pip: uv's dry run predicts the change.
    venv = f"{ROOT}/current/venv"
    assert host.file(f"{venv}/bin/python").exists and not host.file(f"{venv}/bin/pip").exists
    rc, out = converge("--check", "--diff")
    assert rc == 0, out[-3000:]
    # On a converged host the release is built: the one install left is uWSGI's into its venv,
    # predicted by uv (no pip to ask) and found already done.
    tasks = [part.split("TASK [")[0] for part in
             out.split("TASK [webstack.django.virtualenv : Create the virtualenv and install the requirements in ")[1:]]
    assert tasks and all(t.startswith(f"{venv}]") for t in tasks), tasks
    assert all("ok: [" in t and "changed: [" not in t and "/opt/webstack/uv/bin/uv" in t for t in tasks), tasks
    assert int(re.search(r"changed=(\d+)", out.split("PLAY RECAP")[-1]).group(1)) == 0, out[-3000:]


def test_second_release_switches_and_serves(host):
    # A new secret in the environment too: the env file changes (and uWSGI restarts) in a
    # run at -vvv, and neither value may show up in what Ansible prints.
    # (The token goes in through a vars file: -vvv echoes command-line extra vars.)
    token = "second-secret-9a8b7c6d5e4f"
    vars_file = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "second-release.json")
    with open(vars_file, "w", encoding="utf-8") as handle:
        json.dump({"demo_release": "2.0.0", "django_app_secret_env": {"DEMO_API_TOKEN": token}}, handle)
    rc, out = converge("-vvv", "-e", f"@{vars_file}")
    assert rc == 0, out[-3000:]
    assert SECRET not in out and token not in out
    assert token in host.file(f"{ROOT}/shared/app.env").content_string
    assert host.file(f"{ROOT}/current").linked_to == f"{ROOT}/releases/2.0.0"
    assert host.file(f"{ROOT}/releases/1.0.0/manage.py").exists
    _ignored, _ignored, body = curl(host, "https://127.0.0.1/version", *HOST)
    assert body.strip() == "2.0.0"
    # The new release ran its build step; the upload outlived the old one.
    _ignored, _ignored, body = curl(host, "https://127.0.0.1/built", *HOST)
    assert body.strip() == "built 2.0.0"
    assert_photo_served(host)
