"""Unit tests for the django_app_inputs filter: each bad value is refused naming its variable."""

import re
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.webstack.django.plugins.filter import django_app_inputs as module
from ansible_collections.webstack.django.plugins.filter.django_app_inputs import django_app_inputs

ROLE = Path(__file__).resolve().parents[4] / "roles" / "django_app"
KEY = "Zq8-vN3kL0pR7sT2wX5yB9cD4fG6hJ1mQ_aE8iO3uY7rT2wX5y"
GOOD = {
    "django_app_name": "demo", "django_app_user": "demo", "django_app_group": "demo",
    "django_app_web_group": "www-data", "django_app_root": "/srv/demo",
    "django_app_allowed_roots": ["/srv", "/opt", "/var/lib", "/home"],
    "django_app_socket": "/run/uwsgi/demo/uwsgi.sock", "django_app_secret_key": KEY,
    "django_app_allowed_hosts": ["shop.example.com", "127.0.0.1", ".example.org", "*"],
    "django_app_csrf_trusted_origins": ["https://shop.example.com", "https://*.example.org:8443"],
    "django_app_silenced_checks": ["security.W005", "2_0.W001"],
    "django_app_env": {"CELERY_QUEUE_TYPE": "quorum", "DEMO_MOTTO": "100% $HOME `id` ;#", "N": 5},
    "django_app_secret_env": {"DEMO_API_TOKEN": "t0k3n"}, "django_app_database_url": "sqlite:///x",
    "django_app_broker_url": "amqp://u:p@h:5672/v", "django_app_debug": "false", "django_app_secure_ssl": True,
    "django_app_settings_overlay": "yes", "django_app_check_deploy": 1, "django_app_migrate": "0",
    "django_app_collectstatic": "on", "django_app_healthcheck": False, "django_app_keep_releases": "5",
    "django_app_healthcheck_status": [200, "301"], "django_app_healthcheck_retries": 15,
    "django_app_healthcheck_delay": 0, "django_app_http_port": 80, "django_app_release_id": "",
    "django_app_settings_module": "mysite.settings", "django_app_wsgi_module": "mysite.wsgi:application",
    "django_app_celery_module": "", "django_app_uwsgi_service": "uwsgi-demo",
    "django_app_healthcheck_url": "https://127.0.0.1/healthz", "django_app_version_url": "",
    "django_app_healthcheck_host": "shop.example.com", "django_app_tls": {"enabled": True},
    "django_app_server_names": ["shop.example.com"], "django_app_venv_packages": ["pyuwsgi==2.0.30"],
    "django_app_media_root": "/srv/demo/shared/media", "django_app_media_url": "/media/",
    "django_app_upload_max_size": "20m", "django_app_check_fail_level": "security",
    "django_app_healthcheck_pages": [{"path": "/accounts/login/"}, {"path": "/api/?x=1", "status": [200, "401"]}],
    "django_app_build_steps": [["manage.py", "compress", "--force"], ["pybabel", "compile", "-d", "t"]],
}


S3 = {"endpoint_url": "http://storage:8333", "bucket": "demo", "region": "us-east-1", "access_key": "demokey0",
      "secret_key": "s3-secret-0123456789"}


def test_an_object_storage_passes_and_its_secret_is_never_shown():
    assert "django_app_media_storage" in django_app_inputs({**GOOD, "django_app_media_storage": S3})
    assert "django_app_media_storage" in django_app_inputs({**GOOD, "django_app_media_storage": {}})
    message = refused(django_app_media_storage={**S3, "secret_key": "s3-secret-'quote", "bucket": "x"})
    assert "django_app_media_storage.secret_key: contains a quote" in message
    assert "s3-secret" not in message


def refused(**override):
    with pytest.raises(AnsibleFilterError) as info:
        django_app_inputs({**GOOD, **override})
    return str(info.value)


def test_good_values_pass_and_the_names_come_back():
    assert django_app_inputs(GOOD) == sorted(GOOD)


def test_any_subset_is_checked():
    assert django_app_inputs({"django_app_name": "demo"}) == ["django_app_name"]
    assert django_app_inputs({}) == []


@pytest.mark.parametrize("variable", ["django_app_name", "django_app_user"])
@pytest.mark.parametrize("name", ["root", "www-data", "postgres", "rabbitmq", "nobody", "daemon", "bin", "sys",
                                  "systemd-network"])
def test_system_accounts_are_refused_naming_the_variable(variable, name):
    message = refused(**{variable: name})
    assert re.search(rf"^{variable}: '{re.escape(name)}' is a system account", message, re.M), message


@pytest.mark.parametrize("group", ["root", "www-data", "adm", "sudo", "shadow", "nogroup"])
def test_system_groups_are_refused(group):
    assert re.search(rf"^django_app_group: '{group}' is a system group", refused(django_app_group=group), re.M)


@pytest.mark.parametrize("name", ["Root", "de/mo", "de mo", "$(id)", "démo", "x" * 33, "", 5, ["demo"]])
def test_names_that_are_no_account_names_are_refused(name):
    assert re.search(r"^django_app_name: .* must match", refused(django_app_name=name), re.M)


@pytest.mark.parametrize("root, words", [
    ("/tmp", "system directory"), ("/srv/../tmp", "not normalised"), ("/srv//demo", "not normalised"),
    ("/srv/demo/", "not normalised"), ("/", "system directory"), ("/etc", "system directory"),
    ("/usr", "system directory"), ("/var", "system directory"), ("/srv", "system directory"),
    ("/home", "system directory"), ("/etc/demo", "system tree /etc"), ("/tmp/demo", "is not below"),
    ("/srv/a b", "absolute path"), ("srv/demo", "absolute path"),
])
def test_roots_that_are_system_directories_or_not_normalised_are_refused(root, words):
    message = refused(django_app_root=root)
    assert message.startswith("django_app_root: ") and words in message, message


def test_the_allowed_roots_can_be_changed_but_never_to_a_system_tree():
    assert django_app_inputs({**GOOD, "django_app_allowed_roots": ["/data"], "django_app_root": "/data/demo",
                              "django_app_media_root": "/data/demo/shared/media"})
    assert "is not below /data" in refused(django_app_allowed_roots=["/data"])
    message = refused(django_app_allowed_roots=["/", "/etc", "/usr/local"], django_app_root="/etc/demo")
    assert re.search(r"^django_app_allowed_roots\[0\]: '/' is the root or a system tree", message, re.M)
    assert re.search(r"^django_app_allowed_roots\[1\]: '/etc'", message, re.M)
    assert re.search(r"^django_app_allowed_roots\[2\]: '/usr/local'", message, re.M)
    assert re.search(r"^django_app_root: '/etc/demo' is in the system tree /etc", message, re.M)
    assert "must be a list" in refused(django_app_allowed_roots="/srv")


@pytest.mark.parametrize("socket", ["/run/uwsgi/other/uwsgi.sock", "/tmp/uwsgi.sock", "/run/uwsgi/demo",
                                    "/run/uwsgi/demo/../../x.sock", "/run/uwsgi/demo/sub/x.sock", "uwsgi.sock"])
def test_sockets_outside_the_app_runtime_directory_are_refused(socket):
    assert refused(django_app_socket=socket).startswith("django_app_socket: ")


@pytest.mark.parametrize("key, words", [
    ("django-insecure-" + KEY, "starts with 'django-insecure-'"), ("x", "fewer than 50 characters"),
    ("x" * 50, "fewer than 5 different characters"), ("ab" * 40, "fewer than 5 different characters"),
    ("", "must not be empty"), ({"a": 1}, "must be a string (got a dict)"), (["k"] * 60, "must be a string (got a list)"),
    (KEY + "'", "contains a quote"), (KEY + "\n", "control character"),
])
def test_weak_or_unwritable_secret_keys_are_refused_without_showing_them(key, words):
    message = refused(django_app_secret_key=key)
    assert message.startswith("django_app_secret_key: ") and words in message, message
    assert len(message.splitlines()) == 1
    if isinstance(key, str) and len(key) > 3:
        assert key.strip() not in message


@pytest.mark.parametrize("variable", ["django_app_env", "django_app_secret_env"])
@pytest.mark.parametrize("key, where, words", [
    ("true;touch /tmp/pwn;X=", "", "is not an environment variable name"),
    ("1A", "", "is not an environment variable name"),
    ("A B", "", "is not an environment variable name"),
    ("PATH", ".PATH", "is refused"), ("LD_PRELOAD", ".LD_PRELOAD", "is refused"),
    ("PYTHONPATH", ".PYTHONPATH", "is refused"), ("BASH_ENV", ".BASH_ENV", "is refused"),
    ("IFS", ".IFS", "is refused"), ("HOME", ".HOME", "is refused"), ("ENV", ".ENV", "is refused"),
    ("PYTHONHOME", ".PYTHONHOME", "is refused"), ("PYTHONSTARTUP", ".PYTHONSTARTUP", "is refused"),
    ("LD_LIBRARY_PATH", ".LD_LIBRARY_PATH", "is refused"), ("UWSGI_UID", ".UWSGI_UID", "is refused"),
    ("DJANGO_DEBUG", ".DJANGO_DEBUG", "set by the role itself"),
    ("DJANGO_SECRET_KEY", ".DJANGO_SECRET_KEY", "set by the role itself"),
    ("DJANGO_SETTINGS_MODULE", ".DJANGO_SETTINGS_MODULE", "set by the role itself"),
    ("DJANGO_ALLOWED_HOSTS", ".DJANGO_ALLOWED_HOSTS", "set by the role itself"),
    ("DJANGO_STATIC_ROOT", ".DJANGO_STATIC_ROOT", "set by the role itself"),
    ("WEBSTACK_APP_SETTINGS", ".WEBSTACK_APP_SETTINGS", "set by the role itself"),
])
def test_environment_keys_by_one_rule(variable, key, where, words):
    message = refused(**{variable: {key: "1"}})
    assert message.startswith(f"{variable}{where}: ") and words in message, message


def test_every_role_written_django_variable_is_reserved():
    """The DJANGO_* names the role writes (the environment in vars/main.yml, bin/manage) are the
    filter's reserved names: a new one in the templates must be added there."""
    written = set(re.findall(r"'(DJANGO_[A-Z_]+|WEBSTACK_[A-Z_]+)'", (ROLE / "vars" / "main.yml").read_text()))
    written |= set(re.findall(r"(DJANGO_[A-Z_]+)=", (ROLE / "templates" / "srv" / "app" / "bin" / "manage.j2").read_text()))
    assert written and written <= module.ROLE_ENV, written - module.ROLE_ENV


@pytest.mark.parametrize("value", ["a'b", "a\\b", "a\nb", "a\x00b", "a\x7f"])
def test_secret_env_values_that_cannot_be_written_are_refused_without_showing_them(value):
    message = refused(django_app_secret_env={"API_TOKEN": value + "s3cr3t"})
    assert message.startswith("django_app_secret_env.API_TOKEN: the value contains") and "s3cr3t" not in message


@pytest.mark.parametrize("value", [{"a": 1}, ["a"], None])
def test_env_values_must_be_scalars(value):
    assert refused(django_app_env={"A": value}).startswith("django_app_env.A: must be a string or a number")


@pytest.mark.parametrize("variable", ["django_app_env", "django_app_secret_env"])
def test_env_that_is_no_dict_is_refused(variable):
    assert refused(**{variable: ["A=1"]}).startswith(f"{variable}: must be a dict")


@pytest.mark.parametrize("variable", ["django_app_settings_overlay", "django_app_debug", "django_app_check_deploy",
                                      "django_app_secure_ssl", "django_app_migrate", "django_app_collectstatic",
                                      "django_app_healthcheck"])
def test_switches_that_are_no_booleans_are_refused(variable):
    assert re.search(rf"^{variable}: 'maybe' is not a boolean", refused(**{variable: "maybe"}), re.M)


@pytest.mark.parametrize("variable", ["django_app_allowed_hosts", "django_app_csrf_trusted_origins",
                                      "django_app_silenced_checks", "django_app_server_names",
                                      "django_app_venv_packages", "django_app_allowed_roots"])
def test_a_string_where_a_list_is_required_is_refused_naming_the_variable(variable):
    message = refused(**{variable: "shop.example.com"})
    assert re.search(rf"^{variable}: must be a list \(got a string 'shop.example.com'\)", message, re.M), message


@pytest.mark.parametrize("hosts, where", [
    ([], "django_app_allowed_hosts: must list at least one"), (["my host"], r"django_app_allowed_hosts\[0\]"),
    (["a", "b,c"], r"django_app_allowed_hosts\[1\]"), (["a'b"], r"django_app_allowed_hosts\[0\]"), ([5], r"\[0\]"),
])
def test_bad_allowed_hosts_name_the_item(hosts, where):
    assert re.search(where, refused(django_app_allowed_hosts=hosts))


@pytest.mark.parametrize("override, where", [
    ({"django_app_keep_releases": 0}, "django_app_keep_releases: 0 must be from 1 to 1000"),
    ({"django_app_keep_releases": 10**9}, "django_app_keep_releases: 1000000000 must be from 1 to 1000"),
    ({"django_app_keep_releases": "many"}, "django_app_keep_releases: 'many' must be a whole number"),
    ({"django_app_healthcheck_retries": 0}, "django_app_healthcheck_retries: 0 must be from 1 to 1000"),
    ({"django_app_healthcheck_delay": 3601}, "django_app_healthcheck_delay: 3601 must be from 0 to 3600"),
    ({"django_app_healthcheck_status": []}, "django_app_healthcheck_status: must be a non-empty list"),
    ({"django_app_healthcheck_status": [200, 999]}, r"django_app_healthcheck_status\[1\]: 999 is not an HTTP status"),
    ({"django_app_healthcheck_status": "200"}, "django_app_healthcheck_status: must be a non-empty list"),
    ({"django_app_release_id": ".."}, "django_app_release_id: '..' is not a release id"),
    ({"django_app_wsgi_module": "demo.wsgi:application --x"}, "django_app_wsgi_module: "),
    ({"django_app_healthcheck_url": "ftp://x"}, "django_app_healthcheck_url: 'ftp://x' is not an http"),
    ({"django_app_tls": "yes"}, "django_app_tls: must be a dict"),
    ({"django_app_web_group": "a b"}, "django_app_web_group: 'a b' is not a group name"),
    ({"django_app_csrf_trusted_origins": ["example.org"]}, r"django_app_csrf_trusted_origins\[0\]"),
    ({"django_app_silenced_checks": ["security.W005,x"]}, r"django_app_silenced_checks\[0\]"),
    ({"django_app_broker_url": "amqp://'"}, "django_app_broker_url: contains a quote"),
    ({"django_app_media_url": "media"}, "django_app_media_url: "),
    ({"django_app_media_url": "/"}, "django_app_media_url: "),
    ({"django_app_media_url": "/media"}, "django_app_media_url: "),
    ({"django_app_media_url": "/../media/"}, "django_app_media_url: "),
    ({"django_app_media_url": "/static/"}, "django_app_media_url: '/static/' is where the static files"),
    ({"django_app_upload_max_size": "20 m"}, "django_app_upload_max_size: "),
    ({"django_app_upload_max_size": "0"}, "django_app_upload_max_size: "),
    ({"django_app_check_fail_level": "WARNING"}, "django_app_check_fail_level: 'WARNING' is not one of error, security, warning"),
    ({"django_app_build_steps": "manage.py compress"}, "django_app_build_steps: must be a list"),
    ({"django_app_build_steps": [["/bin/sh", "-c", "id"]]}, r"django_app_build_steps\[0\]: '/bin/sh' is neither manage\.py"),
    ({"django_app_build_steps": [["manage.py"]]}, r"django_app_build_steps\[0\]: runs manage\.py without a command"),
    ({"django_app_build_steps": [["manage.py", "compress"], "compilemessages"]}, r"django_app_build_steps\[1\]: must be a non-empty list"),
    ({"django_app_healthcheck_pages": "/login/"}, "django_app_healthcheck_pages: must be a list"),
    ({"django_app_healthcheck_pages": ["/login/"]}, r"django_app_healthcheck_pages\[0\]: must be a dict"),
    ({"django_app_healthcheck_pages": [{"path": "login"}]}, r"django_app_healthcheck_pages\[0\]\.path: 'login' is not a path"),
    ({"django_app_healthcheck_pages": [{"path": "/a b"}]}, r"django_app_healthcheck_pages\[0\]\.path: "),
    ({"django_app_healthcheck_pages": [{"path": "/", "status": [700]}]}, r"django_app_healthcheck_pages\[0\]\.status\[0\]: 700 is not an HTTP status"),
    ({"django_app_healthcheck_pages": [{"path": "/", "url": "x"}]}, r"django_app_healthcheck_pages\[0\]: unknown key url"),
    ({"django_app_media_storage": "http://storage:8333"}, "django_app_media_storage: must be a dict"),
    ({"django_app_media_storage": {**S3, "endpoint": "x"}}, "django_app_media_storage: unknown key endpoint"),
    ({"django_app_media_storage": {k: v for k, v in S3.items() if k != "bucket"}},
     r"django_app_media_storage\.bucket: is required"),
    ({"django_app_media_storage": {**S3, "endpoint_url": "storage:8333"}},
     r"django_app_media_storage\.endpoint_url: 'storage:8333' is not the URL of an S3-compatible endpoint"),
    ({"django_app_media_storage": {**S3, "endpoint_url": "http://storage:8333/bucket"}},
     r"django_app_media_storage\.endpoint_url: .* no path"),
    ({"django_app_media_storage": {**S3, "endpoint_url": "http://u:p@storage"}}, r"django_app_media_storage\.endpoint_url: "),
    ({"django_app_media_storage": {**S3, "bucket": "My_Bucket"}}, r"django_app_media_storage\.bucket: 'My_Bucket' is not an S3 bucket"),
    ({"django_app_media_storage": {**S3, "region": "US East"}}, r"django_app_media_storage\.region: "),
    ({"django_app_media_storage": {**S3, "access_key": ""}}, r"django_app_media_storage\.access_key: is empty"),
    ({"django_app_media_storage": {**S3, "secret_key": ["x"]}}, r"django_app_media_storage\.secret_key: must be a string"),
    ({"django_app_env": {"DJANGO_MEDIA_S3_BUCKET": "x"}}, r"django_app_env\.DJANGO_MEDIA_S3_BUCKET: "),
])
def test_other_bad_values_name_the_variable(override, where):
    assert re.search(where, refused(**override))


def test_every_bad_value_gets_its_own_line():
    message = refused(django_app_user="root", django_app_root="/tmp", django_app_secret_key="x",
                      django_app_allowed_hosts="shop.example.com", django_app_debug="maybe")
    lines = message.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "django_app_user", "django_app_root", "django_app_debug", "django_app_secret_key", "django_app_allowed_hosts"]


def test_values_are_shown_cut_short():
    message = refused(django_app_name="x" * 10000)
    assert len(message) < 300 and "10000 characters" in message


def test_not_a_dict_is_refused():
    with pytest.raises(AnsibleFilterError, match="expects a dict"):
        django_app_inputs(["django_app_name"])


@pytest.mark.parametrize("block", ["DOCUMENTATION", "EXAMPLES", "RETURN"])
def test_documentation_is_yaml(block):
    assert yaml.safe_load(getattr(module, block))


def test_filter_is_registered():
    assert module.FilterModule().filters() == {"django_app_inputs": django_app_inputs}


@pytest.mark.parametrize("media_root, words", [
    ("/srv/demo/releases/1.0.0/media", "is not a directory of its own"),
    ("/srv/demo/current/media", "is not a directory of its own"),
    ("/srv/demo/shared/config", "is not a directory of its own"),
    ("/srv/demo", "is not a directory of its own"),
    ("/var/www", "is a system directory"),
    ("/usr/share/demo", "is in the system tree"),
    ("/etc", "is a system directory"),
    ("/srv/demo/shared/../../../etc", "is not normalised"),
    ("media", "must be an absolute path"),
])
def test_a_media_root_inside_a_release_or_the_system_is_refused(media_root, words):
    message = refused(django_app_media_root=media_root)
    assert message.startswith("django_app_media_root: ") and words in message, message


def test_a_media_root_elsewhere_below_an_allowed_root_is_taken():
    assert "django_app_media_root" in django_app_inputs({**GOOD, "django_app_media_root": "/srv/uploads/demo"})
