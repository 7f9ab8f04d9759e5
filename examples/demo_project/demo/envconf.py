"""Small helpers to read configuration from the environment.

Kept free of Django settings access so they can be imported (and tested)
before settings are configured.
"""
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default=False, environ=None):
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off (got {raw!r})"
    )


def env_list(name, default=(), environ=None):
    """Comma-separated list; blanks dropped. Unset -> list(default)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def release_id(base_dir, environ=None):
    """DJANGO_RELEASE_ID, else the first line of <base_dir>/RELEASE, else 'dev'."""
    environ = os.environ if environ is None else environ
    value = environ.get("DJANGO_RELEASE_ID", "").strip()
    if value:
        return value
    try:
        text = (Path(base_dir) / "RELEASE").read_text(encoding="utf-8")
    except OSError:
        return "dev"
    lines = text.strip().splitlines()
    return lines[0].strip() if lines and lines[0].strip() else "dev"


SQLITE_TIMEOUT = 20
_POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


def parse_database_url(url):
    """Turn a DATABASE_URL into a Django DATABASES entry.

    Supported:
      sqlite:///abs/path/db.sqlite3   (sqlite:////abs/path also accepted)
      sqlite://:memory:
      postgres://user:pass@host:port/dbname?sslmode=require
        (also postgresql://; user, password, host may be percent-encoded;
         a percent-encoded absolute host such as %2Frun%2Fpostgresql is a
         unix socket directory; query parameters become OPTIONS)
    """
    if not url or "://" not in url:
        raise ImproperlyConfigured(f"DATABASE_URL is not a URL: {url!r}")
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()

    if scheme == "sqlite":
        if rest in (":memory:", "/:memory:"):
            name = ":memory:"
        else:
            path = unquote(rest.split("?", 1)[0])
            if not path.startswith("/"):
                raise ImproperlyConfigured(
                    "DATABASE_URL: sqlite needs an absolute path, "
                    f"e.g. sqlite:///var/lib/demo/db.sqlite3 (got {url!r})"
                )
            name = "/" + path.lstrip("/")
            if name == "/":
                raise ImproperlyConfigured(f"DATABASE_URL: sqlite path missing in {url!r}")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {"timeout": SQLITE_TIMEOUT},
        }

    if scheme in _POSTGRES_SCHEMES:
        parts = urlsplit("postgres://" + rest)
        netloc = parts.netloc
        userinfo, _ignored, hostport = netloc.rpartition("@")
        user, _ignored, password = userinfo.partition(":")
        if hostport.startswith("["):  # [ipv6]:port
            host, _ignored, after = hostport[1:].partition("]")
            port = after[1:] if after.startswith(":") else ""
        elif ":" in hostport:
            host, _ignored, port = hostport.rpartition(":")
        else:
            host, port = hostport, ""
        if port and not port.isdigit():
            raise ImproperlyConfigured(f"DATABASE_URL: bad port {port!r}")
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL: database name missing in {url!r}")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(user),
            "PASSWORD": unquote(password),
            "HOST": unquote(host),
            "PORT": port,
            "OPTIONS": dict(parse_qsl(parts.query)),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }

    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {scheme!r} is not supported (use sqlite or postgres)"
    )
