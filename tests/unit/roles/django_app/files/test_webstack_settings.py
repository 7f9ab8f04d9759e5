"""roles/django_app/files/webstack_settings.py: the overlay over a startproject-style project."""
import os

from django_projects import CELERY_PY, SECRET_KEY

PASSWORD = "p@ss:w/rd%"
PG_URL = "postgres://app%40x:p%40ss%3Aw%2Frd%25@db.example.com:6432/mysite?sslmode=verify-full&sslrootcert=/etc/webstack/ca.pem"


def test_copies_the_app_settings_and_overrides_key_debug_hosts(project):
    settings = project.overlay()
    assert settings["SECRET_KEY"] == SECRET_KEY
    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["www.example.com", "example.com"]
    assert settings["ROOT_URLCONF"] == "mysite.urls"
    assert "django.contrib.admin" in settings["INSTALLED_APPS"]
    assert settings["WEBSTACK_OVERLAY"] is True


def test_copies_names_left_out_of_all(project):
    project.add_settings('__all__ = ["DEBUG"]\nEXTRA_SETTING = "kept"\n')
    assert project.overlay()["EXTRA_SETTING"] == "kept"


def test_debug_on(project):
    assert project.overlay(DJANGO_DEBUG="yes")["DEBUG"] is True


def test_bad_boolean_names_the_variable(project):
    proc = project.overlay(DJANGO_DEBUG="maybe")
    assert proc.returncode != 0
    assert "ImproperlyConfigured: webstack_settings: DJANGO_DEBUG must be one of" in proc.stderr


def test_secret_key_is_required(project):
    proc = project.overlay(DJANGO_SECRET_KEY="")
    assert proc.returncode != 0
    assert "the environment variable DJANGO_SECRET_KEY is required" in proc.stderr


def test_allowed_hosts_are_required(project):
    proc = project.overlay(DJANGO_ALLOWED_HOSTS=" , ")
    assert proc.returncode != 0
    assert "the environment variable DJANGO_ALLOWED_HOSTS is required" in proc.stderr


def test_app_settings_module_is_required(project):
    proc = project.overlay(WEBSTACK_APP_SETTINGS="")
    assert proc.returncode != 0
    assert "the environment variable WEBSTACK_APP_SETTINGS is required" in proc.stderr


def test_csrf_trusted_origins_from_the_environment_or_the_app(project):
    project.add_settings('CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]\n')
    assert project.overlay()["CSRF_TRUSTED_ORIGINS"] == ["https://app.example.com"]
    origins = project.overlay(DJANGO_CSRF_TRUSTED_ORIGINS="https://a.example.com, https://b.example.com")
    assert origins["CSRF_TRUSTED_ORIGINS"] == ["https://a.example.com", "https://b.example.com"]


def test_database_from_a_postgres_url(project):
    assert project.overlay(DATABASE_URL=PG_URL)["DATABASES"] == {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "mysite",
            "USER": "app@x",
            "PASSWORD": PASSWORD,
            "HOST": "db.example.com",
            "PORT": "6432",
            "OPTIONS": {"sslmode": "verify-full", "sslrootcert": "/etc/webstack/ca.pem"},
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }


def test_database_schemes_hosts_and_ports(project):
    cases = {
        "postgresql://u:p@[2001:db8::1]:5433/db": ("django.db.backends.postgresql", "2001:db8::1", "5433"),
        "pgsql://u:p@[::1]/db": ("django.db.backends.postgresql", "::1", ""),
        "postgres://u@%2Frun%2Fpostgresql/db": ("django.db.backends.postgresql", "/run/postgresql", ""),
        "mysql://u:p@mysql.example.com:3306/db": ("django.db.backends.mysql", "mysql.example.com", "3306"),
    }
    for url, (engine, host, port) in cases.items():
        default = project.overlay(DATABASE_URL=url)["DATABASES"]["default"]
        assert (default["ENGINE"], default["HOST"], default["PORT"], default["NAME"]) == (engine, host, port, "db"), url


def test_database_keeps_the_app_aliases_and_replaces_default(project):
    project.add_settings('DATABASES["legacy"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/legacy.db"}\n')
    databases = project.overlay(DATABASE_URL=PG_URL)["DATABASES"]
    assert sorted(databases) == ["default", "legacy"]
    assert databases["default"]["NAME"] == "mysite"
    assert databases["legacy"]["NAME"] == "/srv/legacy.db"


def test_database_of_the_app_without_database_url(project):
    default = project.overlay()["DATABASES"]["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert default["NAME"] == repr(project.dir / "db.sqlite3")  # the app's Path, as the JSON dump writes it


def test_sqlite_relative_path_is_in_the_state_dir(project, tmp_path):
    state = tmp_path / "state"
    default = project.overlay(DATABASE_URL="sqlite:///data/db.sqlite3", DJANGO_STATE_DIR=str(state))["DATABASES"]["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert default["NAME"] == str(state / "data" / "db.sqlite3")


def test_sqlite_absolute_path(project, tmp_path):
    default = project.overlay(DATABASE_URL="sqlite:////var/lib/mysite/db.sqlite3", DJANGO_STATE_DIR=str(tmp_path))["DATABASES"]["default"]
    assert default["NAME"] == "/var/lib/mysite/db.sqlite3"


def test_sqlite_relative_path_needs_the_state_dir(project):
    proc = project.overlay(DATABASE_URL="sqlite:///db.sqlite3")
    assert proc.returncode != 0
    assert "a relative SQLite path needs DJANGO_STATE_DIR" in proc.stderr


def test_unknown_scheme_names_the_scheme_not_the_url(project):
    proc = project.overlay(DATABASE_URL="oracle://app:s3cr3t-pa55@db.example.com/mysite")
    assert proc.returncode != 0
    assert "DATABASE_URL scheme 'oracle' is not supported" in proc.stderr
    assert "s3cr3t-pa55" not in proc.stderr and "db.example.com" not in proc.stderr


def test_not_a_url_is_not_echoed(project):
    proc = project.overlay(DATABASE_URL="app:s3cr3t-pa55@db.example.com")
    assert proc.returncode != 0
    assert "DATABASE_URL is not a URL" in proc.stderr
    assert "s3cr3t-pa55" not in proc.stderr


def test_static_root_is_the_staticfiles_of_the_real_working_directory(project, tmp_path):
    current = tmp_path / "current"
    current.symlink_to(project.dir)
    settings = project.overlay(cwd=current)
    assert settings["STATIC_ROOT"] == os.path.join(os.path.realpath(project.dir), "staticfiles")
    assert settings["STATIC_URL"] == "/static/"


def test_static_root_and_url_from_the_environment(project):
    settings = project.overlay(DJANGO_STATIC_ROOT="/srv/mysite/releases/1/staticfiles", DJANGO_STATIC_URL="/assets/")
    assert settings["STATIC_ROOT"] == "/srv/mysite/releases/1/staticfiles"
    assert settings["STATIC_URL"] == "/assets/"


def test_https_on(project):
    settings = project.overlay(DJANGO_SECURE_SSL="on")
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 31536000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert settings["SECURE_HSTS_PRELOAD"] is False
    assert settings["SILENCED_SYSTEM_CHECKS"] == ["security.W005", "security.W021"]


def test_https_on_with_subdomains_and_preload(project):
    settings = project.overlay(
        DJANGO_SECURE_SSL="1", DJANGO_HSTS_SECONDS="600", DJANGO_HSTS_INCLUDE_SUBDOMAINS="true", DJANGO_HSTS_PRELOAD="yes",
    )
    assert settings["SECURE_HSTS_SECONDS"] == 600
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert settings["SILENCED_SYSTEM_CHECKS"] == []


def test_https_off_silences_the_https_checks_and_keeps_the_app_list(project):
    project.add_settings('SILENCED_SYSTEM_CHECKS = ["admin.E410"]\n')
    settings = project.overlay(DJANGO_SECURE_SSL="off")
    assert settings["SILENCED_SYSTEM_CHECKS"][0] == "admin.E410"
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= set(settings["SILENCED_SYSTEM_CHECKS"])
    assert "SECURE_PROXY_SSL_HEADER" not in settings


def test_silenced_checks_from_the_environment_are_added_once(project):
    project.add_settings('SILENCED_SYSTEM_CHECKS = ["admin.E410"]\n')
    settings = project.overlay(DJANGO_SECURE_SSL="on", DJANGO_SILENCED_CHECKS="security.W009, admin.E410,")
    silenced = settings["SILENCED_SYSTEM_CHECKS"]
    assert silenced.count("admin.E410") == 1 and "security.W009" in silenced


def test_https_off_turns_the_projects_https_settings_off(project):
    """A project that turns HTTPS on from its own settings (or its environment) is served over
    plain HTTP here: a redirect to https:// would reach nothing and secure cookies never come back."""
    project.add_settings("SECURE_SSL_REDIRECT = True\nSESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True\n"
                         "SECURE_HSTS_SECONDS = 31536000\nSECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = True\n")
    settings = project.overlay(DJANGO_SECURE_SSL="off")
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SESSION_COOKIE_SECURE"] is False and settings["CSRF_COOKIE_SECURE"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False and settings["SECURE_HSTS_PRELOAD"] is False
    # And on again with TLS, whatever the project said.
    project.add_settings("SECURE_SSL_REDIRECT = False\nSESSION_COOKIE_SECURE = False\n")
    settings = project.overlay(DJANGO_SECURE_SSL="on")
    assert settings["SECURE_SSL_REDIRECT"] is True and settings["SESSION_COOKIE_SECURE"] is True


def test_media_goes_to_the_shared_directory_at_the_media_url(project, tmp_path):
    project.add_settings('MEDIA_ROOT = "/somewhere/in/the/release/media"\nMEDIA_URL = "/uploads/"\n')
    settings = project.overlay(DJANGO_MEDIA_ROOT=str(tmp_path / "media"), DJANGO_MEDIA_URL="/media/")
    assert settings["MEDIA_ROOT"] == str(tmp_path / "media")
    assert settings["MEDIA_URL"] == "/media/"
    assert settings["WEBSTACK_MEDIA_LOCAL"] is True


def test_media_location_of_the_projects_file_storage_gives_way(project, tmp_path):
    project.add_settings('STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage",'
                         ' "OPTIONS": {"location": "/elsewhere", "base_url": "/x/", "file_permissions_mode": 0o640}},'
                         ' "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}\n')
    settings = project.overlay(DJANGO_MEDIA_ROOT=str(tmp_path / "media"))
    assert settings["MEDIA_ROOT"] == str(tmp_path / "media")
    assert settings["STORAGES"]["default"]["OPTIONS"] == {"file_permissions_mode": 0o640}
    assert settings["STORAGES"]["staticfiles"]["BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_media_in_a_storage_of_the_projects_own_stays_there(project, tmp_path):
    project.add_settings('MEDIA_URL = "https://bucket.example.com/"\n'
                         'STORAGES = {"default": {"BACKEND": "storages.backends.s3.S3Storage"},'
                         ' "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}\n')
    settings = project.overlay(DJANGO_MEDIA_ROOT=str(tmp_path / "media"))
    assert settings["WEBSTACK_MEDIA_LOCAL"] is False
    assert settings["MEDIA_URL"] == "https://bucket.example.com/"
    assert "MEDIA_ROOT" not in settings


S3 = {"DJANGO_MEDIA_S3_ENDPOINT_URL": "http://storage:8333", "DJANGO_MEDIA_S3_BUCKET": "demo",
      "DJANGO_MEDIA_S3_ACCESS_KEY": "demokey0", "DJANGO_MEDIA_S3_SECRET_KEY": "s3-secret-0123456789"}


def test_media_in_the_deployments_object_storage_replaces_the_projects_own(project, tmp_path):
    project.add_settings('DEFAULT_FILE_STORAGE = "django.core.files.storage.FileSystemStorage"\n'
                         'STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}\n')
    settings = project.overlay(DJANGO_MEDIA_ROOT=str(tmp_path / "media"), DJANGO_MEDIA_URL="/uploads/", **S3)
    assert settings["WEBSTACK_MEDIA_LOCAL"] is False
    assert settings["MEDIA_URL"] == "/uploads/"
    assert "DEFAULT_FILE_STORAGE" not in settings
    # The project had no staticfiles storage: Django's default is kept beside the new default.
    assert settings["STORAGES"]["staticfiles"] == {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    assert settings["STORAGES"]["default"] == {
        "BACKEND": "webstack_storage.MediaStorage",
        "OPTIONS": {"endpoint_url": "http://storage:8333", "bucket_name": "demo", "region_name": "us-east-1",
                    "access_key": "demokey0", "secret_key": "s3-secret-0123456789", "addressing_style": "path",
                    "signature_version": "s3v4", "location": "", "default_acl": None, "querystring_auth": False,
                    "file_overwrite": False},
    }


def test_media_object_storage_needs_its_endpoint_and_keys(project):
    proc = project.overlay(**{**S3, "DJANGO_MEDIA_S3_SECRET_KEY": ""})
    assert proc.returncode != 0
    assert "the environment variable DJANGO_MEDIA_S3_SECRET_KEY is required" in proc.stderr
    assert "s3-secret" not in proc.stderr


def check_deploy(project, **extra):
    return project.run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], project.overlay_env(**extra))


def test_check_deploy_passes_for_a_startproject_project_over_http(project):
    proc = check_deploy(project, DJANGO_SECURE_SSL="off")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_check_deploy_passes_over_https(project):
    proc = check_deploy(project, DJANGO_SECURE_SSL="on")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_deploy_fails_with_the_app_key(project):
    proc = check_deploy(project, DJANGO_SECRET_KEY="django-insecure-short")
    assert proc.returncode != 0
    assert "security.W009" in proc.stderr


def test_default_logging_to_stderr(project):
    logging = project.overlay(DJANGO_LOG_LEVEL="warning")["LOGGING"]
    assert logging["handlers"]["stderr"]["class"] == "logging.StreamHandler"
    assert logging["handlers"]["stderr"]["stream"] == "ext://sys.stderr"
    assert logging["root"] == {"handlers": ["stderr"], "level": "WARNING"}
    assert logging["loggers"]["django"]["handlers"] == ["stderr"]
    assert project.overlay()["LOGGING"]["root"]["level"] == "INFO"


def test_default_logging_shows_request_errors(project):
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.request').error('Internal Server Error: /boom')"
    )
    proc = project.run(["-c", script], project.overlay_env())
    assert proc.returncode == 0, proc.stderr
    assert "ERROR django.request" in proc.stderr and "/boom" in proc.stderr


def test_app_logging_is_kept(project):
    project.add_settings('LOGGING = {"version": 1, "root": {"level": "DEBUG"}}\n')
    assert project.overlay()["LOGGING"] == {"version": 1, "root": {"level": "DEBUG"}}


def test_celery_broker_and_result_backend_from_the_environment(project):
    project.add_settings('CELERY_BROKER_URL = "amqp://guest:guest@localhost//"\nCELERY_RESULT_BACKEND = "rpc://"\n')
    assert project.overlay()["CELERY_BROKER_URL"] == "amqp://guest:guest@localhost//"
    settings = project.overlay(CELERY_BROKER_URL="amqp://mysite:pw@mq.example.com/mysite", CELERY_RESULT_BACKEND="redis://r/0")
    assert settings["CELERY_BROKER_URL"] == "amqp://mysite:pw@mq.example.com/mysite"
    assert settings["CELERY_RESULT_BACKEND"] == "redis://r/0"


def test_celery_sqlite_result_backend_moves_to_the_state_dir(project, tmp_path):
    project.add_settings('CELERY_RESULT_BACKEND = "db+sqlite:///results.sqlite3"\n')
    state = str(tmp_path / "state")
    assert project.overlay(DJANGO_STATE_DIR=state)["CELERY_RESULT_BACKEND"] == "db+sqlite:///" + os.path.join(state, "results.sqlite3")
    assert project.overlay()["CELERY_RESULT_BACKEND"] == "db+sqlite:///results.sqlite3"


def test_celery_absolute_sqlite_result_backend_is_kept(project, tmp_path):
    project.add_settings('CELERY_RESULT_BACKEND = "db+sqlite:////var/lib/mysite/results.sqlite3"\n')
    settings = project.overlay(DJANGO_STATE_DIR=str(tmp_path))
    assert settings["CELERY_RESULT_BACKEND"] == "db+sqlite:////var/lib/mysite/results.sqlite3"


def test_celery_beat_schedule_in_the_state_dir(project, tmp_path):
    assert "CELERY_BEAT_SCHEDULE_FILENAME" not in project.overlay()
    state = tmp_path / "state"
    assert project.overlay(DJANGO_STATE_DIR=str(state))["CELERY_BEAT_SCHEDULE_FILENAME"] == str(state / "celerybeat-schedule")


def test_celery_app_reads_the_overlay(project):
    project.write("mysite/celery.py", CELERY_PY)
    script = "from mysite.celery import app; print(app.conf.broker_url, app.conf.beat_schedule_filename)"
    proc = project.run(["-c", script], project.overlay_env(CELERY_BROKER_URL="amqp://mq.example.com//", DJANGO_STATE_DIR="/var/lib/mysite"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["amqp://mq.example.com//", "/var/lib/mysite/celerybeat-schedule"]
