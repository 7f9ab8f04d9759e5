"""playbooks/plan.yml prints the worker plan table for localhost and changes nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
HEADER = re.compile(r"host\s+runs\s+vCPUs\s+memory MB\s+uWSGI p x t\s+rss MB\s+Celery\s+nginx\s+timeout\s+"
                    r"RabbitMQ\s+DB\s+W/C\s+limited by")


def run_plan(tmp_path, *args):
    """Run playbooks/plan.yml against localhost with a local connection; return the result."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".collections"),
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(tmp_path / "facts"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    cmd = [os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", "plan.yml"),
           "-i", "localhost,", "-c", "local", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def run_fleet(tmp_path, inventory_text, *args):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  vars:\n    ansible_connection: local\n"
                         f"    ansible_python_interpreter: {sys.executable}\n" + inventory_text)
    result = run_plan(tmp_path, "-i", str(inventory), *args)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    return out


def test_plan_prints_the_table_and_changes_nothing(tmp_path):
    result = run_plan(tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert HEADER.search(out), out
    # A host in no group is planned as a web host: uWSGI and nginx, no Celery, no cap.
    assert re.search(r"localhost\s+-\s+\d+\s+\d+\s+\d+ x \d+\s+\d+\s+-\s+\d+\s+35s\s+-\s+-\s+1\s+\w+", out), out
    assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=0\s", out), out


def test_plan_lists_the_app_s_processes_and_timers_of_each_host(tmp_path):
    out = run_fleet(tmp_path,
                    "    django_app_name: shop\n"
                    "    django_app_processes:\n"
                    "      - {name: mailer, command: [manage.py, send_mail], count: 2, groups: [worker]}\n"
                    "      - {name: ws, command: [daphne, shop.asgi:application]}\n"
                    "    django_app_timers:\n"
                    "      - {name: cleanup, command: [manage.py, clearsessions], on_calendar: daily, groups: [web]}\n"
                    "  children:\n"
                    "    web: {hosts: {w1: , w2: }}\n"
                    "    worker: {hosts: {k1: }}\n"
                    "    db: {hosts: {d1: }}\n")
    listing = out.split("List the app's processes and timers of every host")[-1]
    # A process on every host of the play that runs the role, or of its groups; a timer on the
    # first host of its group; nothing on a host the role does not run on.
    assert "'w1: ws x 1, cleanup at daily'" in listing, listing
    assert "'w2: ws x 1'" in listing and "'k1: mailer x 2, ws x 1'" in listing, listing
    assert "d1:" not in listing, listing


def test_the_roles_explicit_settings_are_in_the_plan_and_what_follows_them_follows(tmp_path):
    result = run_plan(tmp_path, "-e", '{"uwsgi_processes": 7, "uwsgi_harakiri": 120}')
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    # nginx waits for uWSGI's harakiri and a margin.
    assert re.search(r"localhost\s+-\s+\d+\s+\d+\s+7 x \d+\s+\d+\s+-\s+\d+\s+125s\s+.*override", out), out


def test_each_host_is_planned_for_what_its_groups_run(tmp_path):
    """web1 runs uWSGI and Celery (half the vCPUs each), worker1 Celery on every vCPU, broker1
    keeps its memory for RabbitMQ (the watermark half of it), lb1 nginx only; all from this
    machine's facts."""
    out = run_fleet(tmp_path,
                    "    webstack_reserved_mb: 400\n"
                    "    uwsgi_harakiri: 50\n"
                    "  children:\n"
                    "    web: {hosts: {web1: }}\n"
                    "    worker: {hosts: {web1: , worker1: }}\n"
                    "    broker: {hosts: {broker1: }}\n"
                    "    lb: {hosts: {lb1: }}\n")
    web = re.search(r"web1\s+web,worker\s+(\d+)\s+(\d+)\s+\d+ x \d+\s+\d+\s+(\d+)\s+\d+\s+55s\s+-\s+-", out)
    assert web, out
    vcpus, memory_mb, shared_celery = (int(g) for g in web.groups())
    worker = re.search(r"worker1\s+worker\s+\d+\s+\d+\s+-\s+-\s+(\d+)\s+\d+\s+55s\s+-\s+-", out)
    assert worker, out
    assert int(worker.group(1)) == min(vcpus, 64) > shared_celery or vcpus == 1
    assert re.search(rf"broker1\s+broker\s+\d+\s+\d+\s+-\s+-\s+-\s+\d+\s+55s\s+{(memory_mb - 400) // 2}\s+-", out), out
    assert re.search(r"lb1\s+lb\s+\d+\s+\d+\s+-\s+-\s+-\s+\d+\s+55s\s+-\s+-", out), out


def test_plan_gives_each_app_host_its_share_of_the_database(tmp_path):
    """With a db group, each app host may open its share of the primary's connections:
    max_connections 50 minus 3 reserved for superusers, in 3 shares (web1's uWSGI, web1's and
    worker1's Celery) of 15. web1 holds two."""
    out = run_fleet(tmp_path,
                    "    webstack_private_address: 127.0.0.1\n"
                    "    postgresql_apps: [{name: demo, password: plan-test-only-pw-1}]\n"
                    "    postgresql_settings: {max_connections: 50}\n"
                    "    uwsgi_worker_profile: io\n"
                    "  children:\n"
                    "    web: {hosts: {web1: }}\n"
                    "    worker: {hosts: {web1: , worker1: }}\n"
                    "    db: {hosts: {db1: }}\n", "-v")
    row = re.search(r"web1\s+web,worker\s+\d+\s+\d+\s+(\d+) x (\d+)\s+\d+\s+(\d+)\s+\d+\s+\d+s\s+-\s+30\s", out)
    assert row, out
    processes, threads, celery = (int(g) for g in row.groups())
    assert processes * threads + celery <= 30 - 3
    assert re.search(r"worker1\s+worker\s+.*\s15\s", out), out
    assert re.search(r"db1\s+db\s+\d+\s+\d+\s+-\s+-\s+-\s+\d+\s+\d+s\s+-\s+-\s", out), out
    assert "plan-test-only-pw-1" not in out


def test_the_load_balancer_waits_as_long_as_the_slowest_web_host(tmp_path):
    """The lb's proxy_read_timeout is the largest read timeout of the web hosts' plans (each host's
    nginx waits harakiri + 5 s for uWSGI), not the lb's own plan's."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars:\n    ansible_connection: local\n"
        f"    ansible_python_interpreter: {sys.executable}\n    django_app_name: demo\n"
        "  children:\n    lb:\n      hosts:\n        lb1:\n"
        "    web:\n      hosts:\n        web1:\n        web2:\n          uwsgi_harakiri: 95\n")
    play = tmp_path / "play.yml"
    wiring = os.path.join(ROOT, "playbooks", "vars", "wiring.yml")
    play.write_text(f"""
- name: Know the web hosts' worker plans, as lb.yml does
  hosts: web
  gather_facts: false
  vars_files: [{wiring}]
  tasks:
    - name: Compute the web host's worker plan
      ansible.builtin.include_tasks: {os.path.join(ROOT, "playbooks", "tasks", "worker_plan.yml")}
- name: The load balancer's site
  hosts: lb
  gather_facts: false
  vars_files: [{wiring}]
  tasks:
    - name: Show the upstream
      ansible.builtin.debug:
        msg: "upstream {{{{ __webstack_lb_sites[0].upstream | to_json }}}}"
""")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"),
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp_path / "facts"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACK_RESULT_FORMAT="json",
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    for limit, expected in (("all", 100), ("lb", None)):
        result = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(inventory), str(play),
                                 "--limit", limit], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=300, check=False)
        out = result.stdout + result.stderr
        assert result.returncode == 0, out
        found = re.search(r"upstream (\{.*\})\"", out)
        assert found, out
        upstream = json.loads(found.group(1).replace('\\"', '"'))
        assert upstream["servers"] == ["web1:80", "web2:80"], out
        # web2's nginx waits 95 + 5 s; with no web plan computed (--limit lb), the role's default.
        assert upstream.get("read_timeout") == expected, out
