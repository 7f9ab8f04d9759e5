"""Deployment settings laid over a Django project's own settings module.

DJANGO_SETTINGS_MODULE=webstack_settings imports the module named by WEBSTACK_APP_SETTINGS,
copies its settings, then sets from the environment what the deployment decides: secret key,
debug, hosts, database, static and media files, HTTPS (both ways), logging and Celery. The
project is not modified.
"""
import importlib
import os
import re
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")
_ENGINES = {
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
    "mysql": "django.db.backends.mysql",
}


def _required(name):
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"webstack_settings: the environment variable {name} is required")
    return value


def _bool(name):
    raw = os.environ.get(name, "").strip().lower()
    if raw not in _TRUE + _FALSE:
        raise ImproperlyConfigured(f"webstack_settings: {name} must be one of 1/0, true/false, yes/no, on/off")
    return raw in _TRUE


def _list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _state_path(relative):
    if not _state_dir:
        raise ImproperlyConfigured("webstack_settings: a relative SQLite path needs DJANGO_STATE_DIR")
    return os.path.join(_state_dir, relative)


def _database(url):
    """A DATABASES entry from a URL. Messages name the scheme at most: the URL holds a password."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        raise ImproperlyConfigured("webstack_settings: DATABASE_URL is not a URL (scheme://...)")
    parts = urlsplit("db://" + rest)
    options = dict(parse_qsl(parts.query))
    if scheme == "sqlite":
        path = unquote(rest.split("?", 1)[0])
        if path in (":memory:", "/:memory:"):
            name = ":memory:"
        elif path.startswith("//"):  # sqlite:////abs/path
            name = "/" + path.lstrip("/")
        elif path.startswith("/") and len(path) > 1:  # sqlite:///relative/path
            name = _state_path(path[1:])
        else:
            raise ImproperlyConfigured("webstack_settings: DATABASE_URL has no SQLite path")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name, "OPTIONS": {"timeout": 20, **options}}
    if scheme not in _ENGINES:
        raise ImproperlyConfigured(f"webstack_settings: DATABASE_URL scheme {scheme!r} is not supported (sqlite, postgres, mysql)")
    userinfo, _at, hostport = parts.netloc.rpartition("@")
    user, _colon, password = userinfo.partition(":")
    if hostport.startswith("["):  # [IPv6]:port
        host, _bracket, after = hostport[1:].partition("]")
        port = after[1:]
    else:
        host, _colon, port = hostport.partition(":")
    if port and not port.isdigit():
        raise ImproperlyConfigured("webstack_settings: DATABASE_URL has a port that is not a number")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("webstack_settings: DATABASE_URL has no database name")
    return {
        "ENGINE": _ENGINES[scheme], "NAME": name, "USER": unquote(user), "PASSWORD": unquote(password),
        "HOST": unquote(host), "PORT": port, "OPTIONS": options, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True,
    }


# Writable directory that outlives releases (SQLite files, beat schedule); unset: none.
_state_dir = os.path.abspath(os.environ["DJANGO_STATE_DIR"]) if os.environ.get("DJANGO_STATE_DIR") else ""

# The project's own settings: every UPPERCASE name, whatever its __all__ says.
_app = importlib.import_module(_required("WEBSTACK_APP_SETTINGS"))
globals().update({name: getattr(_app, name) for name in dir(_app) if name.isupper()})

# Marker: the settings went through this overlay.
WEBSTACK_OVERLAY = True
# The secret key comes from the environment, never from the code.
SECRET_KEY = _required("DJANGO_SECRET_KEY")
# Debug only when asked for.
DEBUG = _bool("DJANGO_DEBUG")
# The names the site answers to.
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("webstack_settings: the environment variable DJANGO_ALLOWED_HOSTS is required")
# Origins trusted for CSRF; without the variable, the project's own list.
CSRF_TRUSTED_ORIGINS = _list("DJANGO_CSRF_TRUSTED_ORIGINS") or globals().get("CSRF_TRUSTED_ORIGINS", [])
# The default database from DATABASE_URL; the project's other aliases stay.
if os.environ.get("DATABASE_URL"):
    DATABASES = {**globals().get("DATABASES", {}), "default": _database(os.environ["DATABASE_URL"])}

# Static files: collected into the release (its staticfiles, which nginx serves) unless told otherwise.
STATIC_URL = os.environ.get("DJANGO_STATIC_URL") or "/static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or os.path.join(os.path.realpath(os.getcwd()), "staticfiles")

# HTTPS is terminated by the proxy, which sets X-Forwarded-Proto.
SILENCED_SYSTEM_CHECKS = list(globals().get("SILENCED_SYSTEM_CHECKS", []))
if _bool("DJANGO_SECURE_SSL"):
    # Trust the proxy's X-Forwarded-Proto header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Redirect plain HTTP to HTTPS.
    SECURE_SSL_REDIRECT = True
    # Cookies only over HTTPS.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    # HSTS for a year unless told otherwise.
    try:
        SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS") or 31536000)
    except ValueError:
        raise ImproperlyConfigured("webstack_settings: DJANGO_HSTS_SECONDS must be a number of seconds") from None
    # HSTS for subdomains only when asked; leaving it off is a choice, so its warning is silenced.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS")
    # HSTS preload only when asked; likewise.
    SECURE_HSTS_PRELOAD = _bool("DJANGO_HSTS_PRELOAD")
    SILENCED_SYSTEM_CHECKS += [] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]
    SILENCED_SYSTEM_CHECKS += [] if SECURE_HSTS_PRELOAD else ["security.W021"]
else:
    # Served over plain HTTP, whatever the project's own settings say: no redirect to an https://
    # that nothing serves, no cookie a plain-HTTP site never gets back, no HSTS.
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
    SECURE_HSTS_SECONDS = 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = False
    # So HSTS, the HTTPS redirect and secure cookies (W010/W011/W012: sessions) do not apply.
    SILENCED_SYSTEM_CHECKS += ["security.W004", "security.W005", "security.W008", "security.W010", "security.W011",
                               "security.W012", "security.W016", "security.W021"]

# Uploaded files: in the shared media directory (outside every release, served by nginx at
# DJANGO_MEDIA_URL) unless the project keeps them in a storage of its own (django-storages, ...).
_FILE_SYSTEM = ("django.core.files.storage.FileSystemStorage", "django.core.files.storage.filesystem.FileSystemStorage")
_storages = globals().get("STORAGES") if isinstance(globals().get("STORAGES"), dict) else {}
_default_storage = (_storages.get("default") or {}).get("BACKEND") or globals().get("DEFAULT_FILE_STORAGE") or _FILE_SYSTEM[0]
# Whether uploads go to the media directory on the host (False: the deployment's object storage
# or the project's own storage).
WEBSTACK_MEDIA_LOCAL = _default_storage in _FILE_SYSTEM and not os.environ.get("DJANGO_MEDIA_S3_BUCKET")
if os.environ.get("DJANGO_MEDIA_S3_BUCKET"):
    # The deployment's object storage (django_app_media_storage), shared by every host of the app:
    # django-storages' S3 backend, its files addressed at MEDIA_URL, which nginx reads through
    # from the bucket (webstack_storage.MediaStorage). It replaces the project's own default.
    MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL") or "/media/"
    STORAGES = {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        **_storages,
        "default": {
            "BACKEND": "webstack_storage.MediaStorage",
            "OPTIONS": {
                "endpoint_url": _required("DJANGO_MEDIA_S3_ENDPOINT_URL"),
                "bucket_name": _required("DJANGO_MEDIA_S3_BUCKET"),
                "region_name": os.environ.get("DJANGO_MEDIA_S3_REGION") or "us-east-1",
                "access_key": _required("DJANGO_MEDIA_S3_ACCESS_KEY"),
                "secret_key": _required("DJANGO_MEDIA_S3_SECRET_KEY"),
                "addressing_style": "path",
                "signature_version": "s3v4",
                "location": "",
                "default_acl": None,
                "querystring_auth": False,
                "file_overwrite": False,
            },
        },
    }
    # The pre-4.2 setting beside STORAGES is an error in Django 4.2 and 5.0.
    globals().pop("DEFAULT_FILE_STORAGE", None)
elif WEBSTACK_MEDIA_LOCAL and os.environ.get("DJANGO_MEDIA_ROOT"):
    MEDIA_ROOT = os.path.abspath(os.environ["DJANGO_MEDIA_ROOT"])
    MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL") or "/media/"
    if _storages.get("default"):
        # A location or base URL of the project's own would win over MEDIA_ROOT and MEDIA_URL.
        _options = {k: v for k, v in (_storages["default"].get("OPTIONS") or {}).items() if k not in ("location", "base_url")}
        STORAGES = {**_storages, "default": {**_storages["default"], "OPTIONS": _options}}

# Checks the operator leaves out (django_app_silenced_checks).
SILENCED_SYSTEM_CHECKS += [name for name in _list("DJANGO_SILENCED_CHECKS") if name not in SILENCED_SYSTEM_CHECKS]

# Logging: the project's own LOGGING if it has one, else everything to stderr (the journal stamps it).
if "LOGGING" not in globals():
    _level = (os.environ.get("DJANGO_LOG_LEVEL") or "INFO").upper()
    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(levelname)s %(name)s [%(process)d]: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}},
        "root": {"handlers": ["stderr"], "level": _level},
        "loggers": {"django": {"handlers": ["stderr"], "level": _level, "propagate": False}},
    }

# Celery, read through config_from_object("django.conf:settings", namespace="CELERY").
# The broker from the environment when set.
if os.environ.get("CELERY_BROKER_URL"):
    CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
# The result backend from the environment when set; a relative SQLite one moves to the state directory.
if os.environ.get("CELERY_RESULT_BACKEND"):
    CELERY_RESULT_BACKEND = os.environ["CELERY_RESULT_BACKEND"]
elif _state_dir and str(globals().get("CELERY_RESULT_BACKEND", "")).startswith("db+sqlite:///"):
    _path = str(globals()["CELERY_RESULT_BACKEND"])[len("db+sqlite:///"):]
    if _path and not _path.startswith("/"):  # db+sqlite:////abs/path stays
        CELERY_RESULT_BACKEND = "db+sqlite:///" + os.path.join(_state_dir, _path)
# The beat schedule in the state directory, so it outlives releases.
if _state_dir:
    CELERY_BEAT_SCHEDULE_FILENAME = os.path.join(_state_dir, "celerybeat-schedule")
