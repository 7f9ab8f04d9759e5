"""The preflight play refuses hostile input for every role before any host changes.

Every case is one host of one inventory (all in broker, web and worker, run locally, nothing
changed): a copy of playbooks/preflight.yml that lets every host fail on its own shows each
case refused with the variable named. The real playbooks stop the whole run on one bad host
(any_errors_fatal), before the broker play: tested with site.yml in check mode.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml

from conftest import BIN, ROOT, ansible_env

pytestmark = pytest.mark.integration

LONG = "x" * 10000
# A secret key strong enough for the role (50 characters or more, at least 5 different).
KEY = "Zq8-vN3kL0pR7sT2wX5yB9cD4fG6hJ1mQ_aE8iO3uY7rT2wX5y"

GOOD = {
    "ansible_connection": "local",
    "ansible_python_interpreter": sys.executable,
    "django_app_name": "demo",
    "django_app_secret_key": KEY,
    "django_app_allowed_hosts": ["localhost"],
    "django_app_server_names": ["localhost"],
    "rabbitmq_nodename": "rabbit@{{ inventory_hostname }}",
    "rabbitmq_erlang_cookie": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    # A broker password may hold anything printable: it is never refused, only passed safely.
    "rabbitmq_apps": [{"name": "demo", "password": "p$(touch /tmp/pwned)`id`%'\"\\;{}"}],
}

MEDIA_S3 = {"endpoint_url": "http://storage:8333", "bucket": "demo", "access_key": "demokey0",
            "secret_key": "s3-secret-$(touch /tmp/pwned)"}

# case id: (host variables, what the failure must say: the variable and the reason)
CASES = {
    # django_app
    "app name Root": ({"django_app_name": "Root"}, r"django_app_name"),
    "app name with a slash": ({"django_app_name": "de/mo"}, r"django_app_name"),
    "app name with $()": ({"django_app_name": "$(id)"}, r"django_app_name"),
    "app name unicode": ({"django_app_name": "démo"}, r"django_app_name"),
    "app name 10,000 characters": ({"django_app_name": LONG}, r"django_app_name"),
    "app user with a backtick": ({"django_app_user": "a`id`"}, r"django_app_user"),
    "app root with a space": ({"django_app_root": "/srv/a b"}, r"django_app_root"),
    "app root with $": ({"django_app_root": "/srv/$HOME"}, r"django_app_root"),
    "empty secret key": ({"django_app_secret_key": ""}, r"django_app_secret_key: must not be empty"),
    "secret key with a quote": ({"django_app_secret_key": "a'b" + KEY}, r"django_app_secret_key: contains a quote"),
    "secret key with a newline": ({"django_app_secret_key": "a\nb" + KEY}, r"django_app_secret_key: contains a quote"),
    "secret key with NUL": ({"django_app_secret_key": "a\x00b" + KEY}, r"django_app_secret_key: contains a quote"),
    "weak secret key": ({"django_app_secret_key": "django-insecure-" + KEY}, r"django_app_secret_key: is too weak"),
    "env value with a backslash": ({"django_app_env": {"A": "a\\b"}}, r"django_app_env\.A: the value .* contains"),
    "env key that runs a command": ({"django_app_env": {"true;touch /tmp/pwn-env;X=": "1"}},
                                    r"django_app_env: the key 'true;touch /tmp/pwn-env;X=' is not an environment"),
    "env key LD_PRELOAD": ({"django_app_secret_env": {"LD_PRELOAD": "/tmp/x.so"}},
                           r"django_app_secret_env\.LD_PRELOAD: the key LD_PRELOAD is refused"),
    "app user root": ({"django_app_user": "root"}, r"django_app_user: 'root' is a system account"),
    "app group root": ({"django_app_group": "root"}, r"django_app_group: 'root' is a system group"),
    "app root /srv/../tmp": ({"django_app_root": "/srv/../tmp"}, r"django_app_root: '/srv/\.\./tmp' is not normalised"),
    "allowed hosts a string": ({"django_app_allowed_hosts": "localhost"}, r"django_app_allowed_hosts: must be a list"),
    "debug neither true nor false": ({"django_app_debug": "maybe"}, r"django_app_debug"),
    "env not a dict": ({"django_app_env": ["A=1"]}, r"django_app_env"),
    "allowed hosts empty": ({"django_app_allowed_hosts": []}, r"django_app_allowed_hosts: must list at least one"),
    "allowed host with a space": ({"django_app_allowed_hosts": ["my host"]}, r"django_app_allowed_hosts"),
    "allowed host with a comma": ({"django_app_allowed_hosts": ["a,b"]}, r"django_app_allowed_hosts"),
    "server name injects a directive": ({"django_app_server_names": ["localhost; return 418"]},
                                        r"django_app_server_names\[0\]: 'localhost; return 418' is not a host name"),
    "server name with a space": ({"django_app_server_names": ["my host"]}, r"django_app_server_names\[0\]"),
    "server name with a brace": ({"django_app_server_names": ["a{"]}, r"django_app_server_names\[0\]"),
    "server name with a quote": ({"django_app_server_names": ['a"b']}, r"django_app_server_names\[0\]"),
    "server name with %": ({"django_app_server_names": ["a%b"]}, r"django_app_server_names\[0\]"),
    "server name unicode": ({"django_app_server_names": ["bücher.example"]}, r"django_app_server_names\[0\]"),
    "server name 10,000 characters": ({"django_app_server_names": [LONG]}, r"django_app_server_names\[0\]"),
    "http port 0": ({"django_app_http_port": 0}, r"django_app_http_port: 0 is out of range"),
    "http port huge": ({"django_app_http_port": 10**9}, r"django_app_http_port: 1000000000 is out of range"),
    "http port a word": ({"django_app_http_port": "eighty"}, r"django_app_http_port"),
    "keep releases negative": ({"django_app_keep_releases": -1}, r"django_app_keep_releases: -1 must be from 1 to 1000"),
    "keep releases huge": ({"django_app_keep_releases": 10**9}, r"django_app_keep_releases: 1000000000 must be from 1"),
    "release id with ..": ({"django_app_release_id": ".."}, r"django_app_release_id"),
    "wsgi module with a space": ({"django_app_wsgi_module": "demo.wsgi:application --x"}, r"django_app_wsgi_module"),
    "celery module with ;": ({"django_app_celery_module": "demo; id"}, r"django_app_celery_module"),
    "settings module with $": ({"django_app_settings_module": "$DEMO"}, r"django_app_settings_module"),
    "tls certificate with ;": ({"django_app_tls": {"enabled": True, "certificate": "/a;b", "certificate_key": "/k"}},
                               r"django_app_tls.certificate"),
    # uwsgi
    "uwsgi processes huge": ({"uwsgi_processes": 1000000000}, r"uwsgi_processes: 1000000000 is above the maximum 1024"),
    "uwsgi processes negative": ({"uwsgi_processes": -1}, r"uwsgi_processes: -1 must be at least 1"),
    "uwsgi processes a word": ({"uwsgi_processes": "many"}, r"uwsgi_processes"),
    "uwsgi threads huge": ({"uwsgi_threads": 100000}, r"uwsgi_threads: 100000 is above the maximum 256"),
    "uwsgi harakiri huge": ({"uwsgi_harakiri": 10**7}, r"uwsgi_harakiri: 10000000 is above the maximum"),
    "uwsgi listen huge": ({"uwsgi_listen": 10**6}, r"uwsgi_listen: 1000000 is above the maximum 65535"),
    "uwsgi buffer size huge": ({"uwsgi_buffer_size": 10**6}, r"uwsgi_buffer_size 4096-65535"),
    "nginx header value with a quote": ({"nginx_security_headers": {"X-A": 'a"; return 418; #'}},
                                        r"nginx_security_headers"),
    "nginx body size injects": ({"nginx_client_max_body_size": "1m; return 418"}, r"nginx_client_max_body_size"),
    "uwsgi option with a newline": ({"uwsgi_options": {"route": "a\nb"}}, r"uwsgi_options.route"),
    # nginx
    "extra site name with ;": ({"nginx_extra_sites": [{"name": "x;y"}]}, r"nginx_extra_sites\[0\].name"),
    "extra site root with a space": ({"nginx_extra_sites": [{"name": "x", "root": "/a b"}]},
                                     r"nginx_extra_sites\[0\].root"),
    # celery
    "celery concurrency huge": ({"celery_concurrency": 10**6}, r"celery_concurrency"),
    "celery concurrency negative": ({"celery_concurrency": -1}, r"celery_concurrency"),
    "celery loglevel injects": ({"celery_loglevel": "INFO --x"}, r"celery_loglevel"),
    "celery pool unknown": ({"celery_pool": "bogus"}, r"celery_pool"),
    # rabbitmq
    "broker app name with a space": ({"rabbitmq_apps": [{"name": "a b", "password": "p"}]}, r"rabbitmq_apps\[0\].name"),
    "broker password empty": ({"rabbitmq_apps": [{"name": "demo", "password": ""}]}, r"rabbitmq_apps\[0\].password"),
    "broker vhost with a space": ({"rabbitmq_apps": [{"name": "demo", "password": "p", "vhost": "a b"}]},
                                  r"rabbitmq_apps\[0\].vhost"),
    "broker port huge": ({"rabbitmq_port": 10**6}, r"rabbitmq_port: 1000000 is out of range"),
    "broker cookie with a space": ({"rabbitmq_erlang_cookie": "bad cookie"}, r"rabbitmq_erlang_cookie"),
    "broker apps not a list": ({"rabbitmq_apps": {"name": "demo"}}, r"rabbitmq_apps"),
    # the uploads' object storage
    "media storage endpoint not a URL": ({"django_app_media_storage": {**MEDIA_S3, "endpoint_url": "storage:8333"}},
                                         r"django_app_media_storage\.endpoint_url: 'storage:8333' is not the URL"),
    "media storage endpoint with a path": ({"django_app_media_storage": {**MEDIA_S3, "endpoint_url": "http://s/;x"}},
                                           r"django_app_media_storage\.endpoint_url"),
    "media storage bucket with a slash": ({"django_app_media_storage": {**MEDIA_S3, "bucket": "../etc"}},
                                          r"django_app_media_storage\.bucket: '\.\./etc' is not an S3 bucket name"),
    "media storage unknown key": ({"django_app_media_storage": {**MEDIA_S3, "acl": "public-read"}},
                                  r"django_app_media_storage: unknown key acl"),
    "media storage a string": ({"django_app_media_storage": "http://storage:8333"},
                               r"argument 'django_app_media_storage' is of type str"),
}


def _host(index):
    return f"case{index:02d}"


def _preflight_copy(tmp_path):
    """preflight.yml with every host failing on its own (the real one stops all at the first)."""
    text = open(os.path.join(ROOT, "playbooks", "preflight.yml"), encoding="utf-8").read()
    assert "any_errors_fatal: true" in text
    text = text.replace("any_errors_fatal: true", "any_errors_fatal: false")
    for rel in ["vars/wiring.yml"] + ["tasks/" + name for name in os.listdir(os.path.join(ROOT, "playbooks", "tasks"))]:
        text = text.replace(f" {rel}", " " + os.path.join(ROOT, "playbooks", rel))
    path = tmp_path / "preflight.yml"
    path.write_text(text)
    return str(path)


# A release archive laid out the way `startproject` writes a project (docs/app-contract.md).
PROJECT = (
    ("requirements.txt", b"Django\n"),
    ("manage.py", b"import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n"),
    ("mysite/__init__.py", b""),
    ("mysite/settings.py", b"WSGI_APPLICATION = 'mysite.wsgi.application'\n"),
    ("mysite/wsgi.py", b"application = object()\n"),
    ("mysite/celery.py", b"app = object()\n"),
)


def _archive(path, members=PROJECT):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return str(path)


def _inventory(tmp_path, hosts, common, brokers=None):
    """Every host in web and worker; in broker too, or only ``brokers`` (in that order)."""
    members = {"broker": list(hosts) if brokers is None else brokers, "web": list(hosts), "worker": list(hosts)}
    inventory = {"all": {"vars": {**GOOD, **common},
                         "children": {group: {"hosts": {h: None for h in names}}
                                      for group, names in members.items()}}}
    for name, host_vars in hosts.items():
        (tmp_path / "host_vars").mkdir(exist_ok=True)
        (tmp_path / "host_vars" / f"{name}.yml").write_text(yaml.safe_dump(host_vars, allow_unicode=True))
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return str(path)


def _run(playbook, inventory, *args):
    return subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", inventory, playbook, *args],
                          cwd=ROOT, env=ansible_env(ANSIBLE_FORKS="8"), capture_output=True, text=True,
                          timeout=900, check=False)


@pytest.fixture(scope="module")
def every_case(tmp_path_factory):
    """One run of the preflight over one host per case, plus a host with good values."""
    tmp_path = tmp_path_factory.mktemp("preflight")
    hosts = {_host(i): override for i, (override, _ignored) in enumerate(CASES.values())}
    hosts["good"] = {}
    hosts["extras"] = EXTRAS
    # A case host is a broker only when its case is the broker's: a fleet of 71 brokers would
    # make each broker check every other (most of the run's time) for nothing the cases test.
    brokers = ["good", "extras"] + [_host(i) for i, (override, _ignored) in enumerate(CASES.values())
                                    if any(name.startswith("rabbitmq_") for name in override)]
    inventory = _inventory(tmp_path, hosts, {"django_app_release_archive": _archive(tmp_path / "good.tar.gz")},
                           brokers)
    result = _run(_preflight_copy(tmp_path), inventory)
    return result.stdout + result.stderr


# One more uWSGI app and nginx site beside the app's own, as group_vars would add them.
EXTRAS = {
    "uwsgi_extra_apps": [{"name": "admin", "venv": "/srv/admin/venv", "chdir": "/srv/admin",
                          "module": "admin.wsgi:application"}],
    "nginx_extra_sites": [{"name": "admin", "server_names": ["admin.localhost"],
                           "upstream": {"servers": ["unix:/run/uwsgi/admin/uwsgi.sock"]}}],
}


def _failure_of(out, host):
    """The text of the host's failed task, with the error Ansible printed just before it (the
    only text of a no_log task's failure)."""
    found = []
    for match in re.finditer(rf"^fatal: \[{host}\]: FAILED! =>(.*?)(?=^\S)", out, re.M | re.S):
        error = out.rfind("[ERROR]:", 0, match.start())
        found.append(out[error:match.start()] if error >= 0 else "")
        found.append(match.group(1))
    found += re.findall(rf"^failed: \[{host}\].*?(?=^\S)", out, re.M | re.S)
    return re.sub(r"\s+", " ", " ".join(found)).replace("''", "'")


@pytest.mark.parametrize("index, case", list(enumerate(CASES)), ids=list(CASES))
def test_hostile_value_is_refused_naming_the_variable(every_case, index, case):
    failure = _failure_of(every_case, _host(index))
    assert failure, every_case[-3000:]
    assert re.search(CASES[case][1], failure), failure
    assert re.search(rf"^{_host(index)}\s*: ok=\d+\s+changed=0 ", every_case, re.M)


def test_good_values_pass_and_nothing_changes(every_case):
    assert re.search(r"^good\s*: ok=\d+\s+changed=0 +unreachable=0 +failed=0", every_case, re.M), every_case[-3000:]
    assert not os.path.exists("/tmp/pwned")


def test_one_extra_app_and_site_are_added_once(every_case):
    """The plays hand the roles the app's own app and site; the roles add the extra ones, so an
    extra app or site is never added twice (which would refuse its name as already used)."""
    assert re.search(r"^extras\s*: ok=\d+\s+changed=0 +unreachable=0 +failed=0", every_case, re.M), \
        _failure_of(every_case, "extras") or every_case[-3000:]


def test_secrets_are_not_printed(every_case):
    assert "touch /tmp/pwned" not in every_case
    assert KEY not in every_case


ARCHIVES = {
    "absolute member": ([("requirements.txt", b""), ("/etc/evil", b"x")], r"/etc/evil: absolute path"),
    "../ member": ([("requirements.txt", b""), ("../evil", b"x")], r"\.\./evil: '\.\.' in the path"),
    "no lock file": ([("manage.py", b"")], r"requirements.txt: missing"),
    "not gzip": (None, r"is not a gzip-compressed tar archive"),
    "missing": ("missing", r"is not a file"),
}


@pytest.mark.parametrize("case", list(ARCHIVES), ids=list(ARCHIVES))
def test_hostile_release_archive_is_refused_on_the_controller(tmp_path, case):
    members, message = ARCHIVES[case]
    path = tmp_path / "release.tar.gz"
    if members is None:
        path.write_bytes(b"PK\x03\x04 not a tarball")
    elif members != "missing":
        _archive(path, members)
    inventory = _inventory(tmp_path, {"h": {}}, {"django_app_release_archive": str(path)})
    result = _run(os.path.join(ROOT, "playbooks", "preflight.yml"), inventory)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert re.search(r"django_app_release_archive: .*" + message, re.sub(r"\s+", " ", out)), out
    assert re.search(r"^h\s*: ok=\d+\s+changed=0 ", out, re.M), out


def test_a_lock_without_the_storage_backend_is_refused_when_uploads_go_to_object_storage(tmp_path):
    """The overlay stores the uploads through django-storages' S3 backend: a release whose lock
    does not name it (and boto3) would fail on its first upload, so it is refused before any change."""
    path = _archive(tmp_path / "release.tar.gz", (("requirements.txt", b"Django==5.2.8\ndjango-storages==1.14.6\n"),)
                    + PROJECT[1:])
    inventory = _inventory(tmp_path, {"h": {}}, {"django_app_release_archive": path, "django_app_media_storage": MEDIA_S3})
    result = _run(os.path.join(ROOT, "playbooks", "preflight.yml"), inventory)
    out = re.sub(r"\s+", " ", result.stdout + result.stderr)
    assert result.returncode != 0, out
    assert re.search(r"django_app_release_archive: .*requirements\.txt does not name boto3: django_app_media_storage "
                     r"stores the uploads through django-storages' S3 backend", out), out
    assert "does not name django-storages" not in out and "s3-secret" not in out
    assert re.search(r"^h\s*: ok=\d+\s+changed=0 ", result.stdout, re.M), out


# Lexically inside (a/b/etc/cron.d), physically /etc/cron.d: the first link leads to the release
# root, the second climbs four levels from there. Debian 12's Python has no tarfile.data_filter.
LINK_CHAIN = (("a/b/c/d/e/l", "../../../../.."), ("venv", "a/b/c/d/e/l/../../../../etc/cron.d"))


def test_a_link_chain_out_of_the_release_is_refused_on_the_controller(tmp_path):
    path = tmp_path / "release.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in PROJECT:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in LINK_CHAIN:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    inventory = _inventory(tmp_path, {"h": {}}, {"django_app_release_archive": str(path)})
    result = _run(os.path.join(ROOT, "playbooks", "preflight.yml"), inventory)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert ("django_app_release_archive: %s must not be unpacked: venv: symlink to "
            "a/b/c/d/e/l/../../../../etc/cron.d, outside the archive: it leads above the release directory "
            "(through a/b/c/d/e/l -> ../../../../..)" % path) in re.sub(r"\s+", " ", out), out
    assert re.search(r"^h\s*: ok=\d+\s+changed=0 ", out, re.M), out


def test_one_bad_host_stops_the_run_before_the_broker_play(tmp_path):
    """django_app_name Root on a web host: no broker play, so no RabbitMQ vhost or user Root."""
    inventory = {"all": {"vars": {**GOOD, "django_app_release_archive": _archive(tmp_path / "r.tar.gz")},
                         "children": {"broker": {"hosts": {"b": None}}, "web": {"hosts": {"w": None}},
                                      "worker": {"hosts": {"w": None}}}}}
    (tmp_path / "host_vars").mkdir()
    (tmp_path / "host_vars" / "w.yml").write_text(yaml.safe_dump({"django_app_name": "Root"}))
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    result = _run(os.path.join(ROOT, "playbooks", "site.yml"), str(tmp_path / "hosts.yml"), "--check")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "django_app_name" in out
    assert "PLAY [Run the broker]" not in out and "PLAY [Use the offline bundle]" not in out, out
    assert re.search(r"^b\s*: ok=\d+\s+changed=0 ", out, re.M), out


ROLE_PREFLIGHT = """
- name: The app role's own checks, later in the same run
  hosts: web
  gather_facts: false
  tasks:
    - name: Check the app's inputs as the role does
      ansible.builtin.include_role:
        name: webstack.django.django_app
        tasks_from: preflight
      vars:
        django_app_release_archive: "{second}"
    - name: Show what the role knows of the archive
      ansible.builtin.debug:
        msg: "settings={{ __django_app_archive.project.settings_module }} sha={{ __django_app_archive.sha256[:12] }}"
"""


@pytest.mark.parametrize("second", ["same", "other"])
def test_the_release_archive_is_read_once_a_run(tmp_path, second):
    # preflight.yml reads the archive; the role's checks later in the run keep what it found,
    # unless they are given another archive (or other entry points), which they read.
    good = _archive(tmp_path / "good.tar.gz")
    other = _archive(tmp_path / "other.tar.gz", PROJECT + (("extra.txt", b"x\n"),))
    inventory = _inventory(tmp_path, {"good": {}}, {"django_app_release_archive": good})
    playbook = tmp_path / "run.yml"
    playbook.write_text(f"- name: Preflight\n  ansible.builtin.import_playbook: {_preflight_copy(tmp_path)}\n"
                        + ROLE_PREFLIGHT.replace("{second}", good if second == "same" else other))
    result = _run(str(playbook), inventory)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    reads = re.findall(r"TASK \[webstack\.django\.django_app : Check the release archive on the controller\]"
                       r"[^\n]*\n(\w+):", out)
    entry_points = re.findall(r"TASK \[webstack\.django\.django_app : Look for the entry points in the release "
                              r"archive\][^\n]*\n(\w+):", out)
    expected = ["ok", "skipping"] if second == "same" else ["ok", "ok"]
    assert reads == expected and entry_points == expected, out
    sha = hashlib.sha256(open(good if second == "same" else other, "rb").read()).hexdigest()[:12]
    assert f"settings=mysite.settings sha={sha}" in out, out
