"""Bad input to the django_app role fails before any task touches the host, naming the variable."""

import json
import os
import re

import pytest

from conftest import ROOT, assert_failed_before_any_change, variables_of
from test_preflight import _archive  # a startproject-like release archive

pytestmark = pytest.mark.integration

PLAY = """
- name: Apply the django_app role with bad input
  hosts: localhost
  gather_facts: false
  roles:
    - role: webstack.django.django_app
"""

KEY = "Zq8-vN3kL0pR7sT2wX5yB9cD4fG6hJ1mQ_aE8iO3uY7rT2wX5y"
GOOD = {
    "django_app_name": "demo",
    "django_app_secret_key": KEY,
    "django_app_release_archive": "/etc/hostname",
}
FIRST_CHANGE = "webstack.django.django_app : Create the app"

CASES = {
    "name with a slash": ({"django_app_name": "de/mo"}, r"django_app_name: 'de/mo' must match"),
    "name with a space": ({"django_app_name": "de mo"}, r"django_app_name: 'de mo' must match"),
    "empty secret key": ({"django_app_secret_key": ""}, r"django_app_secret_key: must not be empty"),
    "missing archive": ({"django_app_release_archive": "/nonexistent/demo.tar.gz"},
                        r"django_app_release_archive: /nonexistent/demo.tar.gz is not a file"),
    "quote in a secret": ({"django_app_secret_env": {"API_TOKEN": "a'b"}},
                          r"django_app_secret_env\.API_TOKEN: the value contains a quote"),
    "keep zero releases": ({"django_app_keep_releases": 0}, r"django_app_keep_releases: 0 must be from 1 to 1000"),
    # Uploads and build steps (docs/app-contract.md, 7): outside every release, commands of the release.
    "media root in a release": ({"django_app_media_root": "/srv/demo/releases/media"},
                                r"django_app_media_root: '/srv/demo/releases/media' is not a directory of its own"),
    "media root a system directory": ({"django_app_media_root": "/etc"}, r"django_app_media_root: '/etc' is a system"),
    "build step a shell": ({"django_app_build_steps": [["/bin/sh", "-c", "touch /tmp/pwn"]]},
                           r"django_app_build_steps\[0\]: '/bin/sh' is neither manage\.py nor the plain name"),
    "object storage endpoint not a URL": ({"django_app_media_storage": {"endpoint_url": "storage:8333", "bucket": "demo",
                                                                        "access_key": "k0", "secret_key": "s3-secret-0123456789"}},
                                          r"django_app_media_storage\.endpoint_url: 'storage:8333' is not the URL"),
    "env not a dict": ({"django_app_env": ["A=1"]}, r"django_app_env"),
    # 1. Environment keys: POSIX names, never the role's own or one that changes how programs start.
    "env key runs a command": ({"django_app_env": {"true;touch /tmp/pwn;X=": "1"}},
                               r"django_app_env: the key 'true;touch /tmp/pwn;X=' is not an environment variable name"),
    "secret env key runs a command": ({"django_app_secret_env": {"$(touch /tmp/pwn)": "1"}},
                                      r"django_app_secret_env: the key '\$\(touch /tmp/pwn\)' is not an environment"),
    "env key PATH": ({"django_app_env": {"PATH": "/tmp"}}, r"django_app_env\.PATH: the key PATH is refused"),
    "env key LD_PRELOAD": ({"django_app_secret_env": {"LD_PRELOAD": "/tmp/x.so"}},
                           r"django_app_secret_env\.LD_PRELOAD: the key LD_PRELOAD is refused"),
    "env key PYTHONPATH": ({"django_app_env": {"PYTHONPATH": "/tmp"}}, r"django_app_env\.PYTHONPATH: .* is refused"),
    "env key PYTHONSTARTUP": ({"django_app_env": {"PYTHONSTARTUP": "/tmp/x.py"}}, r"django_app_env\.PYTHONSTARTUP"),
    "env key BASH_ENV": ({"django_app_env": {"BASH_ENV": "/tmp/x"}}, r"django_app_env\.BASH_ENV: .* is refused"),
    "env key IFS": ({"django_app_env": {"IFS": "x"}}, r"django_app_env\.IFS: .* is refused"),
    "env key HOME": ({"django_app_env": {"HOME": "/root"}}, r"django_app_env\.HOME: .* is refused"),
    "env key DJANGO_DEBUG": ({"django_app_env": {"DJANGO_DEBUG": "1"}},
                             r"django_app_env\.DJANGO_DEBUG: the key DJANGO_DEBUG is set by the role itself"),
    "env key DJANGO_SECRET_KEY": ({"django_app_secret_env": {"DJANGO_SECRET_KEY": "x"}},
                                  r"django_app_secret_env\.DJANGO_SECRET_KEY: .* set by the role itself"),
    "env key DJANGO_SETTINGS_MODULE": ({"django_app_env": {"DJANGO_SETTINGS_MODULE": "evil"}},
                                       r"django_app_env\.DJANGO_SETTINGS_MODULE: .* set by the role itself"),
    # 2. System accounts, groups and directories.
    "name root": ({"django_app_name": "root"}, r"django_app_name: 'root' is a system account"),
    "user root": ({"django_app_user": "root"}, r"django_app_user: 'root' is a system account"),
    "user www-data": ({"django_app_user": "www-data"}, r"django_app_user: 'www-data' is a system account"),
    "user postgres": ({"django_app_user": "postgres"}, r"django_app_user: 'postgres' is a system account"),
    "name rabbitmq": ({"django_app_name": "rabbitmq"}, r"django_app_name: 'rabbitmq' is a system account"),
    "user systemd-network": ({"django_app_user": "systemd-network"}, r"django_app_user: 'systemd-network' is a system"),
    "group root": ({"django_app_group": "root"}, r"django_app_group: 'root' is a system group"),
    "group www-data": ({"django_app_group": "www-data"}, r"django_app_group: 'www-data' is a system group"),
    "root /tmp": ({"django_app_root": "/tmp"}, r"django_app_root: '/tmp' is a system directory"),
    "root /srv/../tmp": ({"django_app_root": "/srv/../tmp"}, r"django_app_root: '/srv/\.\./tmp' is not normalised"),
    "root //srv/demo": ({"django_app_root": "/srv//demo"}, r"django_app_root: '/srv//demo' is not normalised"),
    "root with a trailing /": ({"django_app_root": "/srv/demo/"}, r"django_app_root: '/srv/demo/' is not normalised"),
    "root /srv": ({"django_app_root": "/srv"}, r"django_app_root: '/srv' is a system directory"),
    "root /etc/demo": ({"django_app_root": "/etc/demo"}, r"django_app_root: '/etc/demo' is in the system tree /etc"),
    "root outside the allowed roots": ({"django_app_root": "/data/demo"}, r"django_app_root: '/data/demo' is not below"),
    "allowed roots /": ({"django_app_allowed_roots": ["/"], "django_app_root": "/x/demo"},
                        r"django_app_allowed_roots\[0\]: '/' is the root or a system tree"),
    "socket in /tmp": ({"django_app_socket": "/tmp/uwsgi.sock"},
                       r"django_app_socket: '/tmp/uwsgi\.sock' must be a file directly in /run/uwsgi/demo/"),
    "socket with ..": ({"django_app_socket": "/run/uwsgi/demo/../../../tmp/s.sock"},
                       r"django_app_socket: .* is not normalised"),
    # 3. Types: a string where a list or a boolean is needed.
    "allowed hosts a string": ({"django_app_allowed_hosts": "shop.example.com"},
                               r"django_app_allowed_hosts: must be a list \(got a string 'shop\.example\.com'\)"),
    "csrf origins a string": ({"django_app_csrf_trusted_origins": "https://shop.example.com"},
                              r"django_app_csrf_trusted_origins: must be a list"),
    "server names a string": ({"django_app_server_names": "shop.example.com"}, r"django_app_server_names: must be a list"),
    "debug maybe": ({"django_app_debug": "maybe"}, r"django_app_debug"),
    "tls enabled maybe": ({"django_app_tls": {"enabled": "maybe"}}, r"django_app_tls\.enabled: 'maybe' is not a boolean"),
    # 4. Weak secret keys, never shown.
    "secret key startproject's": ({"django_app_secret_key": "django-insecure-" + KEY},
                                  r"django_app_secret_key: is too weak \(.*django-insecure-"),
    "secret key x": ({"django_app_secret_key": "x"}, r"django_app_secret_key: is too weak \(it has fewer than 50"),
    "secret key of one character": ({"django_app_secret_key": "x" * 60},
                                    r"django_app_secret_key: is too weak \(it has fewer than 5 different"),
    "secret key a dict": ({"django_app_secret_key": {"a": 1}}, r"django_app_secret_key: must be a string \(got a dict\)"),
}


@pytest.fixture(scope="module")
def outcomes(run_cases):
    return run_cases(PLAY, variables_of(CASES, common=GOOD))


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_change(outcomes, case):
    assert_failed_before_any_change(outcomes[case], CASES[case][1], FIRST_CHANGE)
    assert not os.path.exists("/tmp/pwn")


def test_each_bad_value_gets_its_own_message(run_play):
    """Not one catch-all sentence: one line per bad value, naming the variable and what is allowed."""
    bad = {**GOOD, "django_app_user": "root", "django_app_root": "/tmp", "django_app_keep_releases": 0,
           "django_app_allowed_hosts": "shop.example.com", "django_app_secret_key": "django-insecure-x"}
    result = run_play(PLAY, "-e", json.dumps(bad))
    out = result.stdout + result.stderr
    assert_failed_before_any_change(result, r"django_app_user", FIRST_CHANGE)
    for line in (r"django_app_user: 'root' is a system account", r"django_app_root: '/tmp' is a system directory",
                 r"django_app_keep_releases: 0 must be from 1 to 1000",
                 r"django_app_allowed_hosts: must be a list", r"django_app_secret_key: is too weak"):
        assert re.search(r"(^\s*|failed: )" + line, out, re.M), out
    assert "uwsgi_apps[0]" not in out and "django-insecure-x" not in out


def test_secret_values_are_not_printed(run_play):
    secret = "s3cr3t-" + KEY
    bad = {**GOOD, "django_app_secret_key": secret, "django_app_secret_env": {"API_TOKEN": "a'b" + secret}}
    result = run_play(PLAY, "-vvv", "-e", json.dumps(bad))
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert secret not in out


def test_weak_secret_keys_are_not_printed(run_play):
    weak = "django-insecure-" + "p4ssw0rd" * 3
    result = run_play(PLAY, "-vvv", "-e", json.dumps({**GOOD, "django_app_secret_key": weak}))
    out = result.stdout + result.stderr
    assert_failed_before_any_change(result, r"django_app_secret_key: is too weak", FIRST_CHANGE)
    assert weak not in out and "p4ssw0rd" not in out


# 2. On the host (here the controller itself), read-only, before any change: a root directory
# that holds someone else's files, or a link to one, is refused.
@pytest.mark.parametrize("kind", ["files", "link", "file"])
def test_a_root_the_role_did_not_lay_out_is_refused_on_the_host(run_play, tmp_path, kind):
    root = tmp_path / "apps" / "demo"
    root.parent.mkdir()
    if kind == "files":
        root.mkdir()
        (root / "passwd").write_text("keep me\n")
        message = rf"django_app_root: {root} exists on the host and holds files the role did not lay out \(passwd\)"
    elif kind == "link":
        (tmp_path / "elsewhere").mkdir()
        root.symlink_to(tmp_path / "elsewhere")
        message = rf"django_app_root: {root} is a symbolic link on the host"
    else:
        root.write_text("a file\n")
        message = rf"django_app_root: {root} exists on the host and is not a directory"
    extra = {**GOOD, "django_app_allowed_roots": [str(tmp_path / "apps")], "django_app_root": str(root),
             "django_app_release_archive": _archive(tmp_path / "r.tar.gz")}
    result = run_play(PLAY, "-e", json.dumps(extra), check=False)
    assert_failed_before_any_change(result, message, FIRST_CHANGE)
    if kind == "files":
        assert sorted(p.name for p in root.iterdir()) == ["passwd"]


# 3. A string "false" for each switch: the role reads it as false (what the environment file and
# the release probe get), as the argument specification meant it.
RENDER = """
- name: Render what the role writes from the switches
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Run the role's checks
      ansible.builtin.include_role:
        name: webstack.django.django_app
        tasks_from: preflight
        public: true
    - name: Write the environment file as the role would
      ansible.builtin.template:
        src: {template}
        dest: {dest}
        mode: "0600"
    - name: Write the switches, the probe and the nginx site as the role reads them
      ansible.builtin.copy:
        content: >-
          {{{{ {{'flags': __django_app_flags, 'probe': __django_app_probe_argv[4:],
                'tls': ([__django_app_nginx_site] | webstack.django.nginx_sites)[0].tls.enabled}} | to_json }}}}
        dest: {dest}.json
        mode: "0600"
"""

SWITCHES = ["django_app_settings_overlay", "django_app_debug", "django_app_check_deploy", "django_app_secure_ssl",
            "django_app_migrate", "django_app_collectstatic", "django_app_healthcheck"]


@pytest.mark.parametrize("text", ["false", "no", "0", "off"])
def test_a_false_given_as_a_string_is_false(run_play, tmp_path, text):
    dest = tmp_path / "app.env"
    play = RENDER.format(template=os.path.join(ROOT, "roles", "django_app", "templates", "srv", "app", "shared",
                                               "app.env.j2"), dest=dest)
    args = ["-e", json.dumps({**GOOD, "django_app_release_archive": _archive(tmp_path / "r.tar.gz"),
                              "django_app_tls": {"enabled": text, "redirect_http": text}})]
    for name in SWITCHES:
        args += ["-e", f"{name}={text}"]  # key=value: a string, as typed on a command line
    result = run_play(play, *args, check=False)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    shown = json.loads((tmp_path / "app.env.json").read_text())
    assert shown["flags"] == {name.replace("django_app_", ""): False for name in SWITCHES}, shown
    assert "--check-deploy" not in shown["probe"] and shown["tls"] is False, shown
    env = dest.read_text()
    assert "DJANGO_DEBUG='0'" in env and "DJANGO_SECURE_SSL='0'" in env, env
    # The overlay is off: the app's own settings module, and no overlay on the path.
    assert "DJANGO_SETTINGS_MODULE='mysite.settings'" in env and "PYTHONPATH" not in env, env
